package taskhttp

import (
	"html/template"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/tasktree"
)

// page is what the HTML templates render.
type page struct {
	Refresh int // milliseconds between reloads of the fragment
	Scopes  []scopeView
}

type scopeView struct {
	*async.Snapshot
	Tasks, Groups int
	Roots         []*tasktree.Node
	Hidden        int // nodes left out beyond the page's limit
}

// pageLimit is the most nodes a scope shows on the page: a browser would
// choke on a million, and the text and JSON formats have them all.
const pageLimit = 2000

func newPage(snaps []*async.Snapshot, refresh int) page {
	p := page{Refresh: refresh}
	for _, s := range snaps {
		v := scopeView{Snapshot: s}
		v.Tasks, v.Groups = tasktree.Counts(s)
		budget := pageLimit
		v.Roots = prune(tasktree.Tree(s), &budget)
		v.Hidden = len(s.Nodes) - (pageLimit - budget)
		p.Scopes = append(p.Scopes, v)
	}
	return p
}

// prune returns the first *budget nodes of the forest, in depth-first
// order, and takes what it kept from *budget.
func prune(nodes []*tasktree.Node, budget *int) []*tasktree.Node {
	var out []*tasktree.Node
	for _, n := range nodes {
		if *budget <= 0 {
			break
		}
		*budget--
		c := *n
		c.Children = prune(n.Children, budget)
		out = append(out, &c)
	}
	return out
}

func escape(s string) string { return template.HTMLEscapeString(s) }

var funcs = template.FuncMap{
	"age": tasktree.FormatAge,
	"percent": func(p *async.Progress) int {
		return int(p.Fraction() * 100)
	},
	"progress": func(p *async.Progress) string { return tasktree.FormatProgress(*p) },
}

// The page renders the tree on the server, so it reads without JavaScript;
// a small script then reloads the tree fragment every Refresh milliseconds
// and counts its reloads in body's data-updates attribute.
var templates = template.Must(template.New("page").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tasks</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h2 { font-size: 1.1em; margin: 1em 0 .3em; }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.4em; margin: 0; border-left: 1px dotted #bbb; }
ul.tree { border: 0; padding-left: 0; }
li.node { margin: .15em 0; }
.id { color: #888; font-size: .85em; }
.name { font-weight: 600; }
.state { display: inline-block; padding: 0 .45em; border-radius: .6em; font-size: .8em; color: #fff; }
.state-pending { background: #9e9e9e; }
.state-running { background: #1e88e5; }
.state-done { background: #43a047; }
.state-cancelled { background: #e53935; }
.kind-group > .name { font-style: italic; }
.age, .awaiting, .orphan, .message { color: #555; font-size: .9em; }
progress { width: 8em; vertical-align: middle; }
#status { color: #888; font-size: .85em; }
</style>
</head>
<body data-updates="0">
<h1>tasks</h1>
<div id="status">refreshing every {{.Refresh}} ms</div>
<div id="tree">{{template "fragment" .}}</div>
<script>
(function () {
  const tree = document.getElementById("tree"), status = document.getElementById("status");
  async function reload() {
    try {
      const url = new URL(location.href);
      url.searchParams.set("format", "fragment");
      const r = await fetch(url, {cache: "no-store"});
      if (!r.ok) throw new Error(r.status + " " + r.statusText);
      tree.innerHTML = await r.text();
      document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
      status.textContent = "updated " + new Date().toLocaleTimeString();
    } catch (e) {
      status.textContent = "update failed: " + e.message;
    }
    setTimeout(reload, {{.Refresh}});
  }
  setTimeout(reload, {{.Refresh}});
})();
</script>
</body>
</html>
{{define "fragment"}}{{range .Scopes}}<section class="scope">
<h2>scope {{.Scope}} <span class="id">{{.Tasks}} tasks, {{.Groups}} groups</span></h2>
<ul class="tree">{{range .Roots}}{{template "node" .}}{{end}}</ul>
{{if .Hidden}}<p class="hidden">… and {{.Hidden}} more; <a href="?format=text">the text tree</a> and <a href="?format=json">JSON</a> have them all.</p>{{end}}
</section>{{else}}<p>No async.Run scope is running.</p>{{end}}{{end}}
{{define "node"}}<li class="node kind-{{.Kind}} state-{{.State}}" data-id="{{.Kind}}-{{.ID}}">
<span class="id">{{.Kind}} {{.ID}}</span> <span class="name">{{.Name}}</span>
{{if eq .Kind.String "group"}}<span class="age">{{.Tasks}} tasks</span>{{else}}<span class="state state-{{.State}}">{{.State}}</span>{{end}}
{{if gt .Age 0}}<span class="age">{{age .Age}}</span>{{end}}
{{with .Progress}}{{if ge .Fraction 0.0}}<progress value="{{.Done}}" max="{{.Total}}">{{percent .}}%</progress> {{end}}<span class="message">{{progress .}}</span>{{end}}
{{with .Awaiting}}<span class="awaiting">awaiting {{.Target}} {{printf "%q" .Name}}{{if not .Deadline.IsZero}} (with a deadline){{end}}</span>{{end}}
{{if .Orphan}}<span class="orphan">(parent {{.Parent}} has finished)</span>{{end}}
{{if .Children}}<ul>{{range .Children}}{{template "node" .}}{{end}}</ul>{{end}}
</li>{{end}}`))
