// Package tasktree renders the task trees that [async.Scope.Snapshot] takes:
// as an indented tree like pstree, as a table like ps, or as JSON. It is to
// the root package what net/http/pprof and the pprof tool are to
// runtime/pprof: the root collects, this package shows, and package
// debug/taskhttp serves it over HTTP.
//
// The one call to make when a program seems stuck is [Dump].
package tasktree

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/internal/words"
)

// ErrNoScope is returned by [Dump] for a context that is not inside
// [async.Run].
var ErrNoScope = errors.New("tasktree: context is not inside async.Run")

// Dump writes the task tree of ctx's scope to w (see [WriteTree]). It
// returns [ErrNoScope] outside [async.Run]. With [WithStacks], each task's
// line is followed by its goroutine's stack.
func Dump(ctx context.Context, w io.Writer, opts ...Option) error {
	s := async.ScopeOf(ctx)
	if s == nil {
		return ErrNoScope
	}
	snap := s.Snapshot()
	var stacksErr error
	for _, o := range opts {
		if o.stacks {
			stacksErr = AddStacks(snap)
		}
	}
	if stacksErr != nil {
		fmt.Fprintf(w, "(no stacks: %v)\n", stacksErr)
	}
	return WriteTree(w, snap)
}

// Option changes what [Dump] writes.
type Option struct{ stacks bool }

// WithStacks makes [Dump] write each task's goroutine, as goroutine?debug=2
// does: its wait reason, how long it has waited and its stack (see
// [AddStacks]; the scope must run [async.WithProfileLabels]).
func WithStacks() Option { return Option{stacks: true} }

// Node is a node of the tree that [Tree] builds: a task or a group of a
// snapshot, with its children.
type Node struct {
	*async.TaskInfo
	// Orphan is set on a top-level node whose parent task has already
	// finished: a child task may outlive the task that started it.
	Orphan   bool
	Children []*Node
}

// Tree returns the snapshot's nodes as a forest: the scope's children, then
// nodes whose parent has finished. Children are in the order of s.Nodes.
func Tree(s *async.Snapshot) []*Node {
	nodes := make([]Node, len(s.Nodes))
	index := make(map[async.Ref]*Node, len(s.Nodes))
	for i := range s.Nodes {
		nodes[i].TaskInfo = &s.Nodes[i]
		index[async.Ref{Kind: s.Nodes[i].Kind, ID: s.Nodes[i].ID}] = &nodes[i]
	}
	var roots, orphans []*Node
	for i := range nodes {
		n := &nodes[i]
		if n.Parent.Kind == 0 {
			roots = append(roots, n)
		} else if p, ok := index[n.Parent]; ok {
			p.Children = append(p.Children, n)
		} else {
			n.Orphan = true
			orphans = append(orphans, n)
		}
	}
	return append(roots, orphans...)
}

// Counts returns how many tasks and groups the snapshot holds.
func Counts(s *async.Snapshot) (tasks, groups int) {
	for i := range s.Nodes {
		if s.Nodes[i].Kind == async.KindGroup {
			groups++
		} else {
			tasks++
		}
	}
	return tasks, groups
}

// WriteTree writes the snapshot as an indented tree, like pstree:
//
//	scope "crawler": 3 tasks, 1 group
//	└─ task 1 "main" waiting 2s, awaiting group 1 "fetchers" for 1.5s
//	   └─ group 1 "fetchers" 2 tasks
//	      ├─ task 2 "fetch a" running 1.5s [3/10 30% reading]
//	      └─ task 3 "fetch b" waiting 1.5s, awaiting sleep "backoff" for 1s (wakes in 200ms)
//
// [FoldAt] or more identical siblings (see FoldAt) are one line:
//
//	└─ 10,000 tasks like task 3 "job-0" waiting 2s, awaiting task 2 "gate" for 2s (tasks 3–10002 "job-9999": same origin, state and wait)
//
// A waiting task is one blocked in a wait of package async: the line says
// on what, for how long, and when the wait ends if it has a deadline.
func WriteTree(w io.Writer, s *async.Snapshot) error {
	bw := &errWriter{w: w}
	tasks, groups := Counts(s)
	fmt.Fprintf(bw, "scope %q: %s, %s\n", s.Scope, words.Count(int64(tasks), "task"), words.Count(int64(groups), "group"))
	var walk func(f Fold, prefix string, last bool)
	walk = func(f Fold, prefix string, last bool) {
		n := f.Node
		branch, indent := "├─ ", "│  "
		if last {
			branch, indent = "└─ ", "   "
		}
		if f.Count > 1 {
			bw.WriteString(prefix + branch + foldLine(s, f) + "\n")
			return
		}
		if n.Kind == async.KindGroup {
			// A group counts the tasks below it at any depth, and adds up
			// its subgroups' progress.
			tot := SubtreeTotals(n)
			g := *n.TaskInfo
			g.Tasks, g.Progress = tot.Tasks, tot.Progress
			bw.WriteString(prefix + branch + describe(s, &g))
		} else {
			bw.WriteString(prefix + branch + describe(s, n.TaskInfo))
		}
		if n.Orphan {
			bw.WriteString(" (parent " + n.Parent.String() + " has finished)")
		}
		bw.WriteString("\n")
		if g := n.Goroutine; g != nil {
			pad := prefix + indent + "│  "
			if len(n.Children) == 0 {
				pad = prefix + indent + "   "
			}
			bw.WriteString(pad + GoroutineHeader(g) + "\n")
			for line := range strings.SplitSeq(g.Stack, "\n") {
				bw.WriteString(pad + line + "\n")
			}
		}
		kids := FoldSiblings(n.Children)
		for i, c := range kids {
			walk(c, prefix+indent, i == len(kids)-1)
		}
	}
	roots := FoldSiblings(Tree(s))
	for i, n := range roots {
		walk(n, "", i == len(roots)-1)
	}
	return bw.err
}

// describe is a node's line in the tree, without the branch.
func describe(s *async.Snapshot, t *async.TaskInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d %q ", t.Kind, t.ID, t.Name)
	if t.Kind == async.KindGroup {
		b.WriteString(words.Count(int64(t.Tasks), "task"))
	} else {
		b.WriteString(t.State.String())
		if t.Age > 0 {
			b.WriteString(" " + FormatAge(t.Age))
		}
	}
	if t.Progress != nil {
		b.WriteString(" [" + FormatProgress(*t.Progress) + "]")
	}
	if t.Awaiting != nil {
		b.WriteString(", awaiting " + awaiting(s, t))
	}
	return b.String()
}

// awaiting describes what a task waits for: the target, for how long it has
// waited, and when the wait ends if it has a deadline.
func awaiting(s *async.Snapshot, t *async.TaskInfo) string {
	out := t.Awaiting.String()
	if t.Waited > 0 {
		out += " for " + FormatAge(t.Waited)
	}
	if c := Countdown(t.Awaiting, s.Taken); c != "" {
		out += " (" + c + ")"
	}
	return out
}

// GoroutineHeader renders a goroutine's first line as goroutine?debug=2
// does: "goroutine 18 [chan receive, 3 minutes]:".
func GoroutineHeader(g *async.Goroutine) string {
	out := "goroutine " + strconv.FormatUint(g.ID, 10) + " [" + g.Status
	if g.WaitMinutes > 0 {
		out += ", " + strconv.Itoa(g.WaitMinutes) + " minutes"
	}
	return out + "]:"
}

// Countdown says when a wait ends, seen at taken: "wakes in 400ms" for a
// sleep, "expires in 2s" for a block under [async.Timeout], "times out in
// 3s" for a wait with a deadline; "" for a wait without one.
func Countdown(a *async.Awaiting, taken time.Time) string {
	switch {
	case a == nil || a.Deadline.IsZero():
		return ""
	case a.Sleep:
		return "wakes in " + FormatAge(a.Deadline.Sub(taken))
	case a.Timeout:
		return "expires in " + FormatAge(a.Deadline.Sub(taken))
	}
	return "times out in " + FormatAge(a.Deadline.Sub(taken))
}

// WriteTable writes the snapshot as a table with one line per node, like ps;
// [FoldAt] or more identical siblings are one line, named "first" ×count.
// Its ORIGIN column is the file and line where each task's function was
// written ([Site]); the JSON form has the function's name too.
func WriteTable(w io.Writer, s *async.Snapshot) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	bw := &errWriter{w: tw}
	bw.WriteString("KIND\tID\tPARENT\tSTATE\tAGE\tPROGRESS\tAWAITING\tNAME\tORIGIN\n")
	// Identical siblings (see FoldAt) are one row, the first of them, its
	// name followed by how many it stands for.
	type sibling struct {
		parent async.Ref
		key    foldKey
	}
	hasChildren := make(map[async.Ref]bool)
	for i := range s.Nodes {
		hasChildren[s.Nodes[i].Parent] = true
	}
	siblingKey := func(t *async.TaskInfo) (sibling, bool) {
		k, ok := keyOf(t)
		if !ok || hasChildren[async.Ref{Kind: t.Kind, ID: t.ID}] {
			return sibling{}, false
		}
		return sibling{t.Parent, k}, true
	}
	counts := make(map[sibling]int)
	for i := range s.Nodes {
		if k, ok := siblingKey(&s.Nodes[i]); ok {
			counts[k]++
		}
	}
	shown := make(map[sibling]bool)
	for i := range s.Nodes {
		t := &s.Nodes[i]
		name := strconv.Quote(t.Name)
		if k, ok := siblingKey(t); ok && counts[k] >= FoldAt {
			if shown[k] {
				continue
			}
			shown[k] = true
			name += " ×" + thousands(counts[k])
		}
		age, progress, wait := "-", "-", "-"
		if t.Age > 0 {
			age = FormatAge(t.Age)
		}
		if t.Progress != nil {
			progress = FormatProgress(*t.Progress)
		}
		if t.Awaiting != nil {
			wait = awaiting(s, t)
		}
		fmt.Fprintf(bw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			t.Kind, t.ID, t.Parent, t.State, age, tabSafe(progress), tabSafe(wait), tabSafe(name), Site(t.Origin))
	}
	if bw.err != nil {
		return bw.err
	}
	return tw.Flush()
}

// Site returns the file and line of an origin ("fetch/run.go:88" for
// "fetch.(*Fetcher).Run.func2 (fetch/run.go:88)"), or the origin as it is
// if it has none.
func Site(origin string) string {
	if i := strings.LastIndexByte(origin, '('); i >= 0 && strings.HasSuffix(origin, ")") {
		return origin[i+1 : len(origin)-1]
	}
	return origin
}

func tabSafe(s string) string { return strings.ReplaceAll(s, "\t", " ") }

// WriteJSON writes the snapshot as one indented JSON object.
func WriteJSON(w io.Writer, s *async.Snapshot) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// FormatAge renders a duration the way the task tree shows ages: to the
// millisecond under a second, to a tenth of a second under a minute, to the
// second above.
func FormatAge(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + FormatAge(-d)
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// FormatProgress renders progress as "3/10 30% message", or "3 message" when
// the total is unknown.
func FormatProgress(p async.Progress) string {
	var out string
	if f := p.Fraction(); f >= 0 {
		out = fmt.Sprintf("%d/%d %d%%", p.Done, p.Total, int(f*100))
	} else {
		out = strconv.FormatInt(p.Done, 10)
	}
	if p.Message != "" {
		out += " " + p.Message
	}
	return out
}

// errWriter keeps the first write error, so that a renderer can write
// freely and report it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) WriteString(s string) {
	_, _ = e.Write([]byte(s))
}
