package async

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// ErrNoScope is returned by [Dump] for a context that is not inside [Run].
var ErrNoScope = errors.New("async: context is not inside async.Run")

// Kind says whether a node of the task tree is a task or a group.
type Kind uint8

const (
	// KindTask is a task made by Spawn or Go.
	KindTask Kind = iota + 1
	// KindGroup is a Group made by WithGroup.
	KindGroup
)

// String returns "task" or "group".
func (k Kind) String() string {
	switch k {
	case KindTask:
		return "task"
	case KindGroup:
		return "group"
	case 0:
		return "scope"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText returns the kind's name, for JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "task":
		*k = KindTask
	case "group":
		*k = KindGroup
	case "scope":
		*k = 0
	default:
		return fmt.Errorf("async: unknown node kind %q", b)
	}
	return nil
}

// Ref names a node of the task tree. The zero Ref is the scope itself.
type Ref struct {
	Kind Kind   `json:"kind"`
	ID   uint64 `json:"id"`
}

// String returns "task 3", "group 2" or "scope".
func (r Ref) String() string {
	if r.Kind == 0 {
		return "scope"
	}
	return r.Kind.String() + " " + strconv.FormatUint(r.ID, 10)
}

func refOf(n node) Ref {
	switch v := n.(type) {
	case *taskCore:
		return Ref{KindTask, v.id}
	case *Group:
		return Ref{KindGroup, v.id}
	}
	return Ref{}
}

// Awaiting is what a task is blocked on: a task it awaits (Await, WaitFor,
// Shield), or a group whose tasks it waits for at the end of WithGroup.
type Awaiting struct {
	Target   Ref       `json:"target"`
	Name     string    `json:"name"`
	Deadline time.Time `json:"deadline,omitzero"` // when the wait times out (WaitFor, Timeout), if it does
}

// String returns e.g. `task 4 "fetch"`.
func (a *Awaiting) String() string {
	return fmt.Sprintf("%s %q", a.Target, a.Name)
}

// TaskInfo is one node of a [Snapshot]: a live task or group.
type TaskInfo struct {
	Kind    Kind      `json:"kind"`
	ID      uint64    `json:"id"`
	Name    string    `json:"name"`
	State   State     `json:"-"`       // a group is Running while it exists
	Parent  Ref       `json:"parent"`  // the zero Ref for a child of the scope
	Started time.Time `json:"started"` // when the function (or the group) started; zero while pending
	// Age is how long the node had been running when the snapshot was
	// taken; 0 while pending.
	Age      time.Duration `json:"-"`
	Progress *Progress     `json:"-"`                  // the latest report; nil if none
	Awaiting *Awaiting     `json:"awaiting,omitempty"` // nil unless blocked in Await, WaitFor or WithGroup
	// Origin is the function the task runs, with its file and line: for a
	// function literal, where it was written. Empty for groups.
	Origin string `json:"origin,omitempty"`
	// Stack is where the task was created, innermost call first, with
	// [WithCreationStacks] only.
	Stack []string `json:"stack,omitempty"`
	// Tasks is, for a group, how many of its tasks have not finished.
	Tasks int `json:"tasks,omitempty"`
}

type jsonProgress struct {
	Done     int64     `json:"done"`
	Total    int64     `json:"total"`
	Fraction float64   `json:"fraction"` // -1 when the total is unknown
	Message  string    `json:"message,omitempty"`
	Updated  time.Time `json:"updated"`
}

// MarshalJSON writes the state by name, the age in seconds and the progress
// with lower-case keys.
func (t TaskInfo) MarshalJSON() ([]byte, error) {
	type plain TaskInfo
	v := struct {
		plain
		State    string        `json:"state"`
		Age      float64       `json:"age_seconds"`
		Progress *jsonProgress `json:"progress,omitempty"`
	}{plain: plain(t), State: t.State.String(), Age: t.Age.Seconds()}
	if p := t.Progress; p != nil {
		v.Progress = &jsonProgress{p.Done, p.Total, p.Fraction(), p.Message, p.Updated}
	}
	return json.Marshal(v)
}

// Snapshot is the task tree of a [Scope] at one moment: every live task and
// group. Build one with [Scope.Snapshot]; render it with [Snapshot.WriteTree]
// (like pstree), [Snapshot.WriteTable] (like ps) or [Snapshot.WriteJSON].
type Snapshot struct {
	Scope   string     `json:"scope"`
	ScopeID uint64     `json:"scope_id"`
	Taken   time.Time  `json:"taken"`
	Nodes   []TaskInfo `json:"nodes"` // tasks by ID, then groups by ID
}

// Snapshot returns the scope's live tasks and groups. Each node is read
// consistently, the tree as a whole is not: tasks that start or finish while
// it is taken may or may not appear. It never stops tasks from running.
func (s *Scope) Snapshot() *Snapshot {
	snap := &Snapshot{Scope: s.name, ScopeID: s.id, Taken: time.Now()}
	// First copy the registry, a shard at a time, so that no lock is held
	// while the tasks are read and tasks keep finishing meanwhile; then put
	// the copies in creation order, which is cheaper on these small records
	// than on TaskInfos, and visits the tasks in the order they were
	// allocated.
	type entry struct {
		id uint64
		trackEntry
	}
	live := make([]entry, 0, s.Len()+16)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, e := range sh.slots {
			if e.task != nil {
				live = append(live, entry{e.task.id, e})
			}
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(live, func(a, b entry) int { return cmp.Compare(a.id, b.id) })

	// One TaskInfo per task, allocated at once: that, and the default
	// names, is what a snapshot of a million tasks costs in memory.
	s.groupsMu.Lock()
	groups := make([]*Group, 0, len(s.groups))
	for g := range s.groups {
		groups = append(groups, g)
	}
	s.groupsMu.Unlock()
	slices.SortFunc(groups, func(a, b *Group) int { return cmp.Compare(a.id, b.id) })
	snap.Nodes = make([]TaskInfo, 0, len(live)+len(groups))
	origins := make(map[uintptr]string)
	for i := range live {
		if info, ok := s.taskInfo(&live[i].trackEntry, snap.Taken, origins); ok {
			snap.Nodes = append(snap.Nodes, info)
		}
	}
	live = nil

	for _, g := range groups {
		snap.Nodes = append(snap.Nodes, TaskInfo{
			Kind:    KindGroup,
			ID:      g.id,
			Name:    g.name,
			State:   Running,
			Parent:  refOf(g.parent),
			Started: g.started,
			Age:     snap.Taken.Sub(g.started),
			Tasks:   g.Len(),
		})
	}
	return snap
}

func (s *Scope) taskInfo(e *trackEntry, now time.Time, origins map[uintptr]string) (TaskInfo, bool) {
	t := e.task
	t.mu.Lock()
	name := t.name
	var progress *Progress
	var wait waitRecord
	if x := t.extra; x != nil {
		if x.progress.version > 0 {
			p := x.progress.latest
			progress = &p
		}
		wait = x.awaiting
	}
	t.mu.Unlock()
	state := t.State()
	if state.Finished() {
		return TaskInfo{}, false
	}
	if name == "" {
		// The default name, made with one allocation rather than two:
		// it counts when there are a million of them.
		var buf [32]byte
		name = string(strconv.AppendUint(append(buf[:0], "Task-"...), t.id, 10))
	}
	info := TaskInfo{
		Kind:     KindTask,
		ID:       t.id,
		Name:     name,
		State:    state,
		Parent:   refOf(t.up),
		Progress: progress,
	}
	if m := t.started.Load(); m != 0 {
		info.Started = monoTime(m)
		info.Age = now.Sub(info.Started)
	}
	if wait.target != nil {
		a := &Awaiting{Target: refOf(wait.target)}
		switch w := wait.target.(type) {
		case *taskCore:
			a.Name = w.Name()
		case *Group:
			a.Name = w.Name()
		}
		if wait.deadline != 0 {
			a.Deadline = time.Unix(0, wait.deadline)
		}
		info.Awaiting = a
	}
	if e.fn != 0 {
		o, ok := origins[e.fn]
		if !ok {
			o = funcOrigin(e.fn)
			origins[e.fn] = o
		}
		info.Origin = o
	}
	if e.stack != nil {
		info.Stack = formatStack(e.stack)
	}
	return info, true
}

// funcOrigin returns "pkg.Func (file.go:12)" for a function's entry.
func funcOrigin(pc uintptr) string {
	f := runtime.FuncForPC(pc)
	if f == nil {
		return ""
	}
	file, line := f.FileLine(f.Entry())
	return f.Name() + " (" + file + ":" + strconv.Itoa(line) + ")"
}

// libraryPrefix is the prefix of this package's own functions, which a
// creation stack leaves out.
const libraryPrefix = "github.com/asyncgo/async."

func formatStack(pcs []uintptr) []string {
	var out []string
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if !(len(out) == 0 && strings.HasPrefix(f.Function, libraryPrefix)) {
			out = append(out, f.Function+" ("+f.File+":"+strconv.Itoa(f.Line)+")")
		}
		if !more {
			return out
		}
	}
}

// TreeNode is a node of [Snapshot.Tree] with its children.
type TreeNode struct {
	*TaskInfo
	// Orphan is set on a top-level node whose parent task has already
	// finished: a child task may outlive the task that started it.
	Orphan   bool
	Children []*TreeNode
}

// Tree returns the snapshot's nodes as a forest: the scope's children, then
// nodes whose parent has finished. Children are in the order of Nodes.
func (s *Snapshot) Tree() []*TreeNode {
	nodes := make([]TreeNode, len(s.Nodes))
	index := make(map[Ref]*TreeNode, len(s.Nodes))
	for i := range s.Nodes {
		nodes[i].TaskInfo = &s.Nodes[i]
		index[Ref{s.Nodes[i].Kind, s.Nodes[i].ID}] = &nodes[i]
	}
	var roots, orphans []*TreeNode
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
func (s *Snapshot) Counts() (tasks, groups int) {
	for i := range s.Nodes {
		if s.Nodes[i].Kind == KindGroup {
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
//	└─ task 1 "main" running 2s, awaiting group 1 "fetchers"
//	   └─ group 1 "fetchers" 2 tasks
//	      ├─ task 2 "fetch a" running 1.5s [3/10 30% reading]
//	      └─ task 3 "fetch b" pending
func (s *Snapshot) WriteTree(w io.Writer) error {
	bw := &errWriter{w: w}
	tasks, groups := s.Counts()
	fmt.Fprintf(bw, "scope %q: %s, %s\n", s.Scope, plural(tasks, "task"), plural(groups, "group"))
	var walk func(n *TreeNode, prefix string, last bool)
	walk = func(n *TreeNode, prefix string, last bool) {
		branch, indent := "├─ ", "│  "
		if last {
			branch, indent = "└─ ", "   "
		}
		bw.WriteString(prefix + branch + s.describe(n.TaskInfo))
		if n.Orphan {
			bw.WriteString(" (parent " + n.Parent.String() + " has finished)")
		}
		bw.WriteString("\n")
		for i, c := range n.Children {
			walk(c, prefix+indent, i == len(n.Children)-1)
		}
	}
	roots := s.Tree()
	for i, n := range roots {
		walk(n, "", i == len(roots)-1)
	}
	return bw.err
}

// describe is a node's line in the tree, without the branch.
func (s *Snapshot) describe(t *TaskInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d %q ", t.Kind, t.ID, t.Name)
	if t.Kind == KindGroup {
		b.WriteString(plural(t.Tasks, "task"))
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
		b.WriteString(", awaiting " + s.awaiting(t.Awaiting))
	}
	return b.String()
}

func (s *Snapshot) awaiting(a *Awaiting) string {
	out := a.String()
	if !a.Deadline.IsZero() {
		out += " (times out in " + FormatAge(a.Deadline.Sub(s.Taken)) + ")"
	}
	return out
}

// WriteTable writes the snapshot as a table with one line per node, like ps.
func (s *Snapshot) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	bw := &errWriter{w: tw}
	bw.WriteString("KIND\tID\tPARENT\tSTATE\tAGE\tPROGRESS\tAWAITING\tNAME\tORIGIN\n")
	for i := range s.Nodes {
		t := &s.Nodes[i]
		age, progress, awaiting := "-", "-", "-"
		if t.Age > 0 {
			age = FormatAge(t.Age)
		}
		if t.Progress != nil {
			progress = FormatProgress(*t.Progress)
		}
		if t.Awaiting != nil {
			awaiting = s.awaiting(t.Awaiting)
		}
		fmt.Fprintf(bw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%q\t%s\n",
			t.Kind, t.ID, t.Parent, t.State, age, tabSafe(progress), tabSafe(awaiting), t.Name, t.Origin)
	}
	if bw.err != nil {
		return bw.err
	}
	return tw.Flush()
}

func tabSafe(s string) string { return strings.ReplaceAll(s, "\t", " ") }

// WriteJSON writes the snapshot as one JSON object.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Dump writes the task tree of ctx's scope to w (see [Snapshot.WriteTree]):
// the one call to make when a program seems stuck. It returns [ErrNoScope]
// outside [Run].
func Dump(ctx context.Context, w io.Writer) error {
	s := ScopeOf(ctx)
	if s == nil {
		return ErrNoScope
	}
	return s.Snapshot().WriteTree(w)
}

// FormatAge renders a duration the way the task tree shows ages: to the
// millisecond under a minute, to the second above.
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
func FormatProgress(p Progress) string {
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

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
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
