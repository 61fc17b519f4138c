package async

import (
	"cmp"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
// Shield, Gather, Wait, AsCompleted), a group whose tasks it waits for at the
// end of WithGroup, a sleep ([Sleep], [SleepNamed]), or the deadline of a
// block of code it runs under [Timeout].
type Awaiting struct {
	Target   Ref       `json:"target,omitzero"` // the zero Ref for a sleep or a Timeout
	Name     string    `json:"name"`
	Deadline time.Time `json:"deadline,omitzero"` // when the wait times out (WaitFor, Timeout), or the sleep ends
	Sleep    bool      `json:"sleep,omitempty"`   // the task sleeps in Sleep or SleepNamed; Name is SleepNamed's, empty for Sleep
	Timeout  bool      `json:"timeout,omitempty"` // the task runs a block under Timeout; Name is the block's ("operation" if unnamed)
}

// String returns e.g. `task 4 "fetch"`, `sleep "backoff"`, `sleep` (a
// plain [Sleep]) or `timeout "load config"`.
func (a *Awaiting) String() string {
	if a.Sleep && a.Name == "" {
		return "sleep"
	}
	if a.Sleep {
		return fmt.Sprintf("sleep %q", a.Name)
	}
	if a.Timeout {
		return fmt.Sprintf("timeout %q", a.Name)
	}
	return fmt.Sprintf("%s %q", a.Target, a.Name)
}

// TaskInfo is one node of a [Snapshot]: a live task or group.
type TaskInfo struct {
	Kind    Kind      `json:"kind"`
	ID      uint64    `json:"id"`
	Name    string    `json:"name"`
	State   State     `json:"-"`       // a group is Running while it exists
	Parent  Ref       `json:"parent"`  // the zero Ref for a child of the scope
	Started time.Time `json:"started"` // when the function (or the group) started, to within about a millisecond (see Task.StartTime); zero while pending
	// Age is how long the node had been running when the snapshot was
	// taken; 0 while pending.
	Age      time.Duration `json:"-"`
	Progress *Progress     `json:"-"`                  // the latest report; nil if none
	Awaiting *Awaiting     `json:"awaiting,omitempty"` // nil unless State is Waiting
	// WaitingSince is when the task began the wait that Awaiting
	// describes, read from the scope's clock like Started; zero unless
	// State is Waiting.
	WaitingSince time.Time `json:"waiting_since,omitzero"`
	// Waited is how long the task had been waiting when the snapshot was
	// taken; 0 unless State is Waiting.
	Waited time.Duration `json:"-"`
	// Origin is the function the task runs, with its file and line: for a
	// function literal, where it was written. The function is named
	// without its package's path and the file within its module
	// ("fetch.(*Fetcher).Run.func2 (fetch/run.go:88)"), never by the
	// directory it was built in. Empty for groups.
	Origin string `json:"origin,omitempty"`
	// Stack is where the task was created, innermost call first, with
	// [WithCreationStacks] only.
	Stack []string `json:"stack,omitempty"`
	// Goroutine is the goroutine running the task as the runtime's
	// traceback shows it: wait reason, how long it has waited, stack. Only
	// package debug/tasktree fills it (AddStacks), when asked, for a scope
	// run [WithProfileLabels].
	Goroutine *Goroutine `json:"goroutine,omitempty"`
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
		Waited   float64       `json:"waited_seconds,omitempty"`
		Progress *jsonProgress `json:"progress,omitempty"`
	}{plain: plain(t), State: t.State.String(), Age: t.Age.Seconds(), Waited: t.Waited.Seconds()}
	if p := t.Progress; p != nil {
		v.Progress = &jsonProgress{p.Done, p.Total, p.Fraction(), p.Message, p.Updated}
	}
	return json.Marshal(v)
}

// Goroutine is a task's goroutine as goroutine?debug=2 shows it.
type Goroutine struct {
	ID uint64 `json:"id"`
	// Status is the runtime's state for the goroutine, with its wait
	// reason when it waits: "running", "chan receive", "select", "sleep",
	// "IO wait", "sync.Mutex.Lock"...
	Status string `json:"status"`
	// WaitMinutes is how long the goroutine has been blocked, in whole
	// minutes, as the runtime counts it: 0 under a minute.
	WaitMinutes int `json:"wait_minutes,omitempty"`
	// Stack is the goroutine's stack, innermost call first, with its
	// "created by" lines, as the runtime prints it.
	Stack string `json:"stack"`
}

// Snapshot is the task tree of a [Scope] at one moment: every live task and
// group, as data. Take one with [Scope.Snapshot]; package debug/tasktree
// renders it as a tree (like pstree), a table (like ps) or JSON, and package
// debug/taskhttp serves it.
type Snapshot struct {
	Scope   string    `json:"scope"`
	ScopeID uint64    `json:"scope_id"`
	Taken   time.Time `json:"taken"`
	// Labels says that the scope runs [WithProfileLabels]: its tasks'
	// goroutines can be found, and their stacks shown.
	Labels bool       `json:"profile_labels,omitempty"`
	Nodes  []TaskInfo `json:"nodes"` // tasks by ID, then groups by ID
}

// Snapshot returns the scope's live tasks and groups. Each node is read
// consistently, the tree as a whole is not: tasks that start or finish while
// it is taken may or may not appear. It never stops tasks from running.
func (s *Scope) Snapshot() *Snapshot {
	snap := &Snapshot{Scope: s.name, ScopeID: s.id, Taken: time.Now(), Labels: s.labels}
	// First copy the registry, a shard at a time, so that no lock is held
	// while the tasks are read and tasks keep finishing meanwhile; then put
	// the copies in creation order, which is cheaper on these small records
	// than on TaskInfos, and visits the tasks in the order they were
	// allocated.
	type entry struct {
		id uint64
		trackEntry
	}
	// Counting first costs a look at every slot, less than growing the
	// copy by appends would cost in memory for a large scope.
	live := make([]entry, 0, s.Len()+16)
	s.eachTask(func(e trackEntry) { live = append(live, entry{e.task.id, e}) })
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
		g.mu.Lock()
		progress, active := g.progressLocked(), int(g.active.Load())
		g.mu.Unlock()
		snap.Nodes = append(snap.Nodes, TaskInfo{
			Kind:     KindGroup,
			ID:       g.id,
			Name:     g.name,
			State:    Running,
			Parent:   refOf(g.parent),
			Started:  g.started,
			Age:      snap.Taken.Sub(g.started),
			Tasks:    active,
			Progress: &progress,
		})
	}
	return snap
}

func (s *Scope) taskInfo(e *trackEntry, now time.Time, origins map[uintptr]string) (TaskInfo, bool) {
	t := e.task
	t.mu.Lock()
	var name string
	var progress *Progress
	var wait waitRecord
	var stack []uintptr
	if x := t.extra.Load(); x != nil {
		if x.name != nil {
			name = *x.name
		}
		if m := x.more.Load(); m != nil {
			if r := m.rare.Load(); r != nil {
				if r.progress.version > 0 {
					p := r.progress.latest
					progress = &p
				}
				wait = r.awaiting
				stack = r.stack
			}
		}
	}
	t.mu.Unlock()
	state := t.State()
	if state.Finished() {
		return TaskInfo{}, false
	}
	if name == "" {
		name = defaultName(t.id)
	}
	info := TaskInfo{
		Kind:     KindTask,
		ID:       t.id,
		Name:     name,
		State:    state,
		Parent:   refOf(parentNode(t.parent)),
		Progress: progress,
	}
	// The state loaded above says whether the task has begun: loading it
	// again (startedTime) could find it begun since, and show it Pending
	// with a start time.
	if m := t.startedTime(); m != 0 && state != Pending {
		info.Started = monoTime(m)
		info.Age = now.Sub(info.Started)
	}
	if wait.since != 0 && state == Running {
		info.State = Waiting
		info.WaitingSince = wait.waitSince()
		info.Waited = max(now.Sub(info.WaitingSince), 0)
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
	} else if wait.timeout {
		name := wait.sleep
		if name == "" {
			name = "operation"
		}
		info.Awaiting = &Awaiting{Name: name, Deadline: time.Unix(0, wait.deadline), Timeout: true}
	} else if wait.deadline != 0 {
		info.Awaiting = &Awaiting{Name: wait.sleep, Deadline: time.Unix(0, wait.deadline), Sleep: true}
	}
	if e.fn != 0 {
		o, ok := origins[e.fn]
		if !ok {
			o = funcOrigin(e.fn)
			origins[e.fn] = o
		}
		info.Origin = o
	}
	if stack != nil {
		info.Stack = formatStack(stack)
	}
	return info, true
}

// funcOrigin returns "pkg.Func (dir/file.go:12)" for a function's entry,
// the file named within its module (see relativeFile).
func funcOrigin(pc uintptr) string {
	f := runtime.FuncForPC(pc)
	if f == nil {
		return ""
	}
	file, line := f.FileLine(f.Entry())
	return shortFunc(f.Name()) + " (" + relativeFile(f.Name(), file, line) + ")"
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
			out = append(out, shortFunc(f.Function)+" ("+relativeFile(f.Function, f.File, f.Line)+")")
		}
		if !more {
			return out
		}
	}
}
