package taskhttp

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/tasktree"
	"github.com/asyncgo/async/internal/words"
)

// page is what the HTML templates render.
type page struct {
	pageOptions
	Scopes []scopeView
}

// pageOptions are the page's query parameters.
type pageOptions struct {
	Refresh int    // milliseconds between reloads of the fragment
	Filter  string // the filter box's text: only matching nodes and their ancestors are shown
	// Opened and Folded hold the ids ("group-7") of the groups the reader
	// opened or folded, overriding whether they start open.
	Opened, Folded map[string]bool
	// Stacks holds the ids ("task-7") of the tasks the reader opened to
	// see their goroutine's stack; StacksError says why there are none.
	Stacks      map[string]bool
	StacksError error
	// Reveal is the id of a node to show whatever the cap and the folds:
	// the target of an awaiting link the reader followed.
	Reveal string
}

type scopeView struct {
	*async.Snapshot
	Tasks, Groups int
	States        []stateCount // tasks per state, in lifecycle order, zero counts left out
	Roots         []*nodeView
	Shown         int // nodes on the page
	Matched       int // nodes that match the filter, with their ancestors
}

// stateCount is one entry of a per-state count.
type stateCount struct {
	State string
	N     int
}

// nodeView is a task or group as the page shows it.
type nodeView struct {
	*async.TaskInfo
	Orphan   bool
	Children []*nodeView
	// Countdown says when the node's wait ends ("wakes in 400ms"), as the
	// text form does; empty for a wait without a deadline.
	Countdown string
	// For groups: Open is whether it is expanded (large groups start
	// folded, and a folded group's children are not sent: they would only
	// take the page's room), States counts its direct tasks per state.
	Open   bool
	States []stateCount
	// Count is how many identical siblings the node stands for (see
	// tasktree.FoldAt), Last the last of them; 1 and nil for most nodes.
	Count int
	Last  *async.TaskInfo
	// OnPath: the node is, or leads to, the node the reader asked to see
	// (reveal=): it is shown open, even past the page's node cap.
	OnPath bool
	// ShowStack: the reader opened the task; its goroutine shows.
	ShowStack   bool
	StacksError error
}

// pageLimit is the most nodes a scope shows on the page: a browser would
// slow down on tens of thousands refreshed every second, and the filter box,
// the text and the JSON formats reach the rest.
const pageLimit = 2000

// foldAbove is the number of children above which a group starts folded,
// so that a group of thousands of tasks is one line until it is opened.
const foldAbove = 50

func newPage(snaps []*async.Snapshot, opts pageOptions) page {
	p := page{pageOptions: opts}
	query := strings.ToLower(strings.TrimSpace(opts.Filter))
	for _, s := range snaps {
		v := scopeView{Snapshot: s}
		v.Tasks, v.Groups = tasktree.Counts(s)
		v.States = countStates(s.Nodes)
		forest := views(tasktree.Tree(s), opts, s.Taken)
		if opts.Reveal != "" {
			reveal(forest, opts.Reveal)
		}
		if query != "" {
			forest = keepMatching(forest, query)
		}
		forest = foldSiblings(dropFolded(forest))
		v.Matched = count(forest)
		budget := pageLimit
		v.Roots = prune(forest, &budget)
		v.Shown = pageLimit - budget
		p.Scopes = append(p.Scopes, v)
	}
	return p
}

// views wraps the snapshot's tree for the page.
func views(nodes []*tasktree.Node, opts pageOptions, taken time.Time) []*nodeView {
	out := make([]*nodeView, len(nodes))
	for i, n := range nodes {
		v := &nodeView{TaskInfo: n.TaskInfo, Orphan: n.Orphan, Children: views(n.Children, opts, taken),
			Countdown: tasktree.Countdown(n.Awaiting, taken)}
		if n.Kind == async.KindTask && opts.Stacks["task-"+strconv.FormatUint(n.ID, 10)] {
			v.ShowStack, v.StacksError = true, opts.StacksError
		}
		if n.Kind == async.KindGroup {
			id := "group-" + strconv.FormatUint(n.ID, 10)
			v.Open = opts.Opened[id] || !opts.Folded[id] && len(n.Children) <= foldAbove
			// The group's counts and progress take in its subgroups.
			tot := tasktree.SubtreeTotals(n)
			info := *n.TaskInfo
			info.Tasks, info.Progress = tot.Tasks, tot.Progress
			v.TaskInfo = &info
			v.States = statesOf(tot.States)
		}
		out[i] = v
	}
	return out
}

// countStates counts the tasks among nodes by state.
func countStates(nodes []async.TaskInfo) []stateCount {
	var n [5]int
	for i := range nodes {
		if nodes[i].Kind == async.KindTask && int(nodes[i].State) < len(n) {
			n[nodes[i].State]++
		}
	}
	return statesOf(n)
}

// statesOf lists the counts by state in lifecycle order, leaving out zeros.
func statesOf(n [5]int) []stateCount {
	var out []stateCount
	for _, st := range []async.State{async.Running, async.Waiting, async.Pending, async.Done, async.Cancelled} {
		if n[st] > 0 {
			out = append(out, stateCount{st.String(), n[st]})
		}
	}
	return out
}

// keepMatching returns the nodes that match query, or have a descendant
// that does; a group kept for its descendants is opened to show them.
func keepMatching(nodes []*nodeView, query string) []*nodeView {
	var out []*nodeView
	for _, n := range nodes {
		kids := keepMatching(n.Children, query)
		if len(kids) == 0 && !matches(n, query) {
			continue
		}
		c := *n
		c.Children = kids
		c.Open = true
		out = append(out, &c)
	}
	return out
}

// matches reports whether the node's id, name, state or awaited node
// contains query, which is in lower case.
func matches(n *nodeView, query string) bool {
	text := n.Kind.String() + " " + strconv.FormatUint(n.ID, 10) + " " + n.Name
	if n.Kind == async.KindTask {
		text += " " + n.State.String()
	}
	if n.Awaiting != nil {
		text += " awaiting " + n.Awaiting.String()
	}
	return strings.Contains(strings.ToLower(text), query)
}

// foldSiblings makes each set of tasktree.FoldAt or more identical
// siblings one node with a count, where the first of them was.
func foldSiblings(nodes []*nodeView) []*nodeView {
	counts := make(map[any]int)
	for _, n := range nodes {
		if k, ok := tasktree.FoldKey(n.TaskInfo); ok && len(n.Children) == 0 {
			counts[k]++
		}
	}
	out := make([]*nodeView, 0, len(nodes))
	at := make(map[any]*nodeView)
	for _, n := range nodes {
		k, ok := tasktree.FoldKey(n.TaskInfo)
		if !ok || len(n.Children) > 0 || counts[k] < tasktree.FoldAt {
			c := *n
			c.Children = foldSiblings(n.Children)
			out = append(out, &c)
			continue
		}
		if f := at[k]; f != nil {
			f.Count++
			f.Last = n.TaskInfo
			continue
		}
		c := *n
		c.Count, c.Last = 1, n.TaskInfo
		at[k] = &c
		out = append(out, &c)
	}
	return out
}

// reveal marks the node whose id ("group-7") is id, its ancestors and, if
// it is open, its children as on the path to be shown, opening the groups
// that lead to it. It reports
// whether the node is among nodes.
func reveal(nodes []*nodeView, id string) bool {
	for _, n := range nodes {
		self := n.Kind.String()+"-"+strconv.FormatUint(n.ID, 10) == id
		if self || reveal(n.Children, id) {
			n.OnPath = true
			if !self && n.Kind == async.KindGroup {
				n.Open = true
			}
			if self && n.Open {
				for _, c := range n.Children { // what it holds, too
					c.OnPath = true
				}
			}
			return true
		}
	}
	return false
}

// dropFolded leaves out the children of folded groups.
func dropFolded(nodes []*nodeView) []*nodeView {
	out := make([]*nodeView, len(nodes))
	for i, n := range nodes {
		c := *n
		if n.Kind == async.KindGroup && !n.Open {
			c.Children = nil
		} else {
			c.Children = dropFolded(n.Children)
		}
		out[i] = &c
	}
	return out
}

func count(nodes []*nodeView) int {
	total := len(nodes)
	for _, n := range nodes {
		total += count(n.Children)
	}
	return total
}

// prune returns the first *budget nodes of the forest, in depth-first
// order, and takes what it kept from *budget.
func prune(nodes []*nodeView, budget *int) []*nodeView {
	var out []*nodeView
	for _, n := range nodes {
		if *budget <= 0 && !n.OnPath {
			continue // past the cap: only the path to a revealed node
		}
		*budget--
		c := *n
		c.Children = prune(n.Children, budget)
		out = append(out, &c)
	}
	return out
}

func escape(s string) string { return template.HTMLEscapeString(s) }

// plural returns "1 task", "2 tasks", with thousands separated: "10,000 tasks".
func plural(n int, word string) string {
	return thousands(n) + " " + words.Noun(int64(n), word)
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

var funcs = template.FuncMap{
	"age": tasktree.FormatAge,
	"percent": func(p *async.Progress) int {
		return int(p.Fraction() * 100)
	},
	"progress":        func(p *async.Progress) string { return tasktree.FormatProgress(*p) },
	"plural":          plural,
	"thousands":       thousands,
	"goroutineHeader": tasktree.GoroutineHeader,
}

// The page renders the tree on the server, so it reads without JavaScript.
// A small script then reloads the tree fragment every Refresh milliseconds
// (counting its reloads in body's data-updates attribute), keeps the groups
// the reader opened or folded that way, and sends the filter box's text.
//
// Design: a node's state is its badge and the thin coloured border on the
// left of its row, never the row's background, so that ids, names and
// progress bars keep their contrast; every text colour passes WCAG AA
// (4.5:1) on white. Ages sit in a fixed-width column after the badge, so
// they read down the page. Groups are folding rows with a neutral band,
// their kind spelled out and their tasks counted per state.
var templates = template.Must(template.New("page").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tasks</title>
<style>
:root {
  --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --band: #f3f4f6;
  --pending: #6e7781; --running: #0b5cad; --waiting: #8250df; --done: #1a7f37; --cancelled: #c62828;
  --await-bg: #fff5e1; --await-line: #d4a72c; --await-ink: #6b4400;
}
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em; color: var(--ink); background: #fff; }
h1 { font-size: 1.3em; margin: 0 0 .4em; }
#controls { display: flex; gap: 1em; align-items: center; flex-wrap: wrap; margin-bottom: .6em; }
#filter { font: inherit; padding: .25em .5em; width: 22em; border: 1px solid #8c959f; border-radius: 4px; }
#status { color: var(--muted); font-size: .85em; }
.scope-head { display: flex; gap: .8em; align-items: baseline; flex-wrap: wrap; border-bottom: 1px solid var(--line); padding-bottom: .3em; margin: 1em 0 .4em; }
.scope-head h2 { font-size: 1.1em; margin: 0; }
.totals { color: var(--muted); }
.count { white-space: nowrap; margin-right: .6em; }
.count::before { content: ""; display: inline-block; width: .7em; height: .7em; border-radius: 50%; margin-right: .3em; background: var(--state); vertical-align: -.05em; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding: 0; }
ul.tree ul { margin-left: 1.1em; padding-left: .6em; border-left: 1px solid var(--line); }
.row { display: flex; align-items: center; gap: .5em; flex-wrap: nowrap; white-space: nowrap; overflow: hidden; padding: .12em .5em; margin: .1em 0; border-left: 3px solid var(--state, var(--line)); background: transparent; }
.row > * { flex-shrink: 0; }
.row > .name, .row > .message, .row > .awaiting, .row > .origin, .row > .group-counts { flex-shrink: 1; min-width: 2em; overflow: hidden; text-overflow: ellipsis; }
.row > .name { min-width: min(6em, max-content); flex-shrink: .5; }
.row > .origin { flex-shrink: 1000; margin-left: auto; padding-left: 1em; color: var(--muted); font: .8em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.row:hover { background: #f6f8fa; }
.st-pending { --state: var(--pending); }
.st-running { --state: var(--running); }
.st-waiting { --state: var(--waiting); }
.st-done { --state: var(--done); }
.st-cancelled { --state: var(--cancelled); }
.badge { display: inline-block; min-width: 5.6em; text-align: center; padding: 0 .4em; border-radius: 3px; font-size: .78em; font-weight: 600; color: #fff; background: var(--state); text-transform: uppercase; letter-spacing: .03em; }
.age { display: inline-block; min-width: 5.5em; text-align: right; font: .85em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-variant-numeric: tabular-nums; color: var(--ink); }
.id { color: var(--muted); font: .85em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.name { font-weight: 600; }
.bar { display: inline-block; width: 8em; height: .65em; background: #dde3ea; border: 1px solid #8c959f; border-radius: 3px; overflow: hidden; vertical-align: middle; }
.fill { display: block; height: 100%; background: var(--running); }
.message { color: var(--muted); font-size: .9em; }
.awaiting { color: var(--await-ink); background: var(--await-bg); border: 1px solid var(--await-line); border-radius: 3px; padding: 0 .4em; font-size: .88em; text-decoration: none; white-space: nowrap; }
.awaiting:hover { text-decoration: underline; }
.deadline, .orphan, .waited { color: var(--muted); font-size: .85em; }
.waited { font-variant-numeric: tabular-nums; }
li.group > details > summary { list-style: none; cursor: pointer; background: var(--band); border-left-color: #424a53; border-radius: 0 4px 4px 0; }
li.group > details > summary::-webkit-details-marker { display: none; }
li.group > details > summary::before { content: "▸"; color: var(--muted); width: 1em; }
li.group > details[open] > summary::before { content: "▾"; }
.kind { display: inline-block; min-width: 5.6em; text-align: center; padding: 0 .4em; border: 1px solid #424a53; border-radius: 3px; font-size: .78em; font-weight: 600; color: #424a53; text-transform: uppercase; letter-spacing: .03em; background: #fff; }
.group-counts { color: var(--muted); font-size: .9em; }
:target > .row, :target > details > summary { outline: 2px solid var(--await-line); }
.more { color: var(--muted); }
.fold { font-weight: 700; color: var(--ink); background: var(--band); border: 1px solid #8c959f; border-radius: 9px; padding: 0 .45em; font-size: .82em; font-variant-numeric: tabular-nums; }
li.task > .row { cursor: pointer; }
.goroutine { margin: .1em 0 .4em 1.2em; }
.stack { font: .8em/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: .4em .6em; overflow-x: auto; margin: 0; color: var(--ink); }
.nostack { color: var(--muted); font-size: .85em; margin: 0; }
</style>
</head>
<body data-updates="0">
<h1>tasks</h1>
<div id="controls">
<input id="filter" type="search" placeholder="filter: name, id, state" value="{{.Filter}}" aria-label="filter tasks and groups">
<span id="status">refreshing every {{.Refresh}} ms</span>
</div>
<div id="tree">{{template "fragment" .}}</div>
<script>
(function () {
  const tree = document.getElementById("tree"), status = document.getElementById("status");
  const filter = document.getElementById("filter");
  // The groups the reader opened or folded, sent with every reload: the
  // server sends no children for a folded group, so opening one reloads.
  const toggled = new Map(); // "group-7" → open
  // The tasks opened for their stack, sent with every reload as stack=.
  const stacks = new Set();
  let reveal = "";
  tree.addEventListener("click", (e) => {
    const taskRow = e.target.closest("li.task > .row");
    if (taskRow && !e.target.closest("a")) {
      const id = taskRow.parentElement.id;
      if (stacks.has(id)) stacks.delete(id); else stacks.add(id);
      reload();
      return;
    }
    const link = e.target.closest("a.awaiting");
    if (link) {
      // The awaited node may be past the node cap or in a folded group:
      // ask for the path to it, then go there.
      const id = link.getAttribute("href").slice(1);
      if (!document.getElementById(id)) {
        e.preventDefault();
        reveal = id;
        reload().then(() => { const el = document.getElementById(id); if (el) { location.hash = id; el.scrollIntoView(); } });
      }
      return;
    }
    const summary = e.target.closest("summary");
    if (!summary) return;
    e.preventDefault();
    const d = summary.parentElement, li = d.closest("li.node");
    toggled.set(li.id, !d.open);
    d.open = !d.open;
    reload();
  });
  let timer;
  async function reload() {
    clearTimeout(timer);
    try {
      const url = new URL(location.href);
      url.searchParams.set("format", "fragment");
      url.searchParams.set("q", filter.value);
      const ids = (open) => [...toggled].filter(([, o]) => o === open).map(([id]) => id).join(",");
      url.searchParams.set("open", ids(true));
      url.searchParams.set("fold", ids(false));
      url.searchParams.set("stack", [...stacks].join(","));
      url.searchParams.set("reveal", reveal);
      const r = await fetch(url, {cache: "no-store"});
      if (!r.ok) throw new Error(r.status + " " + r.statusText);
      tree.innerHTML = await r.text();
      document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
      status.textContent = "updated " + new Date().toLocaleTimeString();
    } catch (e) {
      status.textContent = "update failed: " + e.message;
    }
    timer = setTimeout(reload, {{.Refresh}});
  }
  let typing;
  filter.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(reload, 150); });
  timer = setTimeout(reload, {{.Refresh}});
})();
</script>
</body>
</html>
{{define "fragment"}}{{range .Scopes}}<section class="scope">
<div class="scope-head"><h2>scope {{printf "%q" .Scope}}</h2>
<span class="totals">{{plural .Tasks "task"}} in {{plural .Groups "group"}}:</span>
<span class="states">{{range .States}}<span class="count st-{{.State}}">{{thousands .N}} {{.State}}</span>{{end}}</span></div>
<ul class="tree">{{range .Roots}}{{template "node" .}}{{end}}</ul>
{{if lt .Shown .Matched}}<p class="more">Showing the first {{thousands .Shown}} of {{thousands .Matched}} nodes: narrow them with the filter, or see them all as <a href="?format=text">text</a> or <a href="?format=json">JSON</a>.</p>{{end}}
{{if and $.Filter (not .Matched)}}<p class="more">Nothing matches {{printf "%q" $.Filter}}.</p>{{end}}
</section>{{else}}<p>No async.Run scope is running.</p>{{end}}{{end}}
{{define "row"}}<span class="age" title="age">{{if gt .Age 0}}{{age .Age}}{{else}}–{{end}}</span>
<span class="id">{{.Kind}} {{.ID}}</span> <span class="name">{{.Name}}</span>{{if gt .Count 1}} <span class="fold" title="{{thousands .Count}} tasks with the same origin, state and wait: tasks {{.ID}} to {{.Last.ID}} ({{.Last.Name}})">×{{thousands .Count}}</span>{{end}}
{{with .Progress}}{{if ge .Fraction 0.0}}<span class="bar" role="progressbar" aria-valuenow="{{.Done}}" aria-valuemax="{{.Total}}"><span class="fill" style="width: {{percent .}}%"></span></span> {{end}}<span class="message">{{progress .}}</span>{{end}}
{{with .Awaiting}}{{if .Sleep}}<span class="awaiting">⟶ awaiting {{.String}}</span>{{else if .Timeout}}<span class="awaiting">⟶ under timeout {{printf "%q" .Name}}</span>{{else}}<a class="awaiting" href="#{{.Target.Kind}}-{{.Target.ID}}">⟶ awaiting {{.Target}} {{printf "%q" .Name}}</a>{{end}}{{end}}
{{if gt .Waited 0}}<span class="waited" title="waiting since {{.WaitingSince.Format "15:04:05.000"}}">for {{age .Waited}}</span>{{end}}{{with .Countdown}} <span class="deadline">({{.}})</span>{{end}}
{{if .Orphan}}<span class="orphan">(parent {{.Parent}} has finished)</span>{{end}}
{{with .Origin}}<span class="origin" title="made at {{.}}">{{.}}</span>{{end}}{{end}}
{{define "node"}}{{if eq .Kind.String "group"}}<li class="node group" id="group-{{.ID}}" data-id="group-{{.ID}}">
<details{{if .Open}} open{{end}}><summary class="row"><span class="kind">group</span> {{template "row" .}}
<span class="group-counts">{{plural .Tasks "task"}}{{range $i, $s := .States}}{{if $i}},{{else}}:{{end}} {{thousands $s.N}} {{$s.State}}{{end}}</span></summary>
{{if .Children}}<ul>{{range .Children}}{{template "node" .}}{{end}}</ul>{{end}}
</details></li>{{else}}<li class="node task st-{{.State}}" id="task-{{.ID}}" data-id="task-{{.ID}}">
<div class="row" title="click for the goroutine's stack"><span class="badge">{{.State}}</span> {{template "row" .}}</div>
{{if .ShowStack}}<div class="goroutine">{{with .Goroutine}}<pre class="stack"><b>{{goroutineHeader .}}</b>
{{.Stack}}</pre>{{else}}<p class="nostack">{{with .StacksError}}No stack: {{.}}{{else}}No goroutine found for this task: it may have just finished.{{end}}</p>{{end}}</div>{{end}}
{{if .Children}}<ul>{{range .Children}}{{template "node" .}}{{end}}</ul>{{end}}
</li>{{end}}{{end}}`))
