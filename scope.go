package async

import (
	"context"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Scope is the root of a task tree, made by [Run]: asyncio's event loop seen
// as a registry. Every task and group started, directly or through other
// tasks, with the context [Run] hands to main belongs to the scope, which
// knows which of them are alive, what each is doing and who started it.
//
// Tasks started outside any scope are not tracked and cost nothing extra.
type Scope struct {
	id      uint64
	name    string
	ctx     nodeContext
	cancel  context.CancelCauseFunc
	created time.Time
	tracing bool // each task is also a runtime/trace task
	stacks  bool // record every task's creation stack
	labels  bool // put profiler labels on every task's goroutine

	times scopeClock // what the scope's tasks record their times with

	shards [trackShards]trackShard

	groupsMu sync.Mutex
	groups   map[*Group]struct{}
}

// trackShards spreads the registry over independent locks, so that the
// goroutine starting tasks and the goroutines finishing them rarely meet.
const trackShards = 64

// trackShard holds live tasks in slots. A finished task's slot is cleared and
// reused, so the registry never holds a finished task, and adding or removing
// one is a slice store under an uncontended lock.
//
// The free slots form a list through the slots themselves (see trackEntry),
// so that recording a task and clearing it touch the shard's header and the
// task's slot and nothing else: a separate list of free slots was a third
// cache line to move between the core that starts tasks and the cores that
// end them.
type trackShard struct {
	mu    sync.Mutex
	slots []trackEntry
	free  uint32 // 1 + the index of the first free slot; 0 for none
	live  int
	_     [64]byte // keep neighbouring shards' locks off one cache line
}

// compactMin is the shard size below which a mostly empty shard is left as
// it is: compacting it would save too little to be worth it.
const compactMin = 256

// compact moves the live entries to the front of a new, smaller slice, so
// that after a burst of tasks the registry's memory follows the number of
// live tasks, not its peak. It costs O(live) and happens only once live has
// fallen to a quarter of the slots, so it adds O(1) to each untrack. sh.mu
// must be held.
func (sh *trackShard) compact() {
	slots := make([]trackEntry, 0, 2*sh.live)
	for _, e := range sh.slots {
		if e.task != nil {
			e.task.extra.Load().slot.index = uint32(len(slots))
			slots = append(slots, e)
		}
	}
	sh.slots, sh.free = slots, 0
}

// trackEntry is what the registry knows about a live task beyond the task.
// A free slot has no task, and fn holds the shard's next free slot, encoded
// as trackShard.free is.
type trackEntry struct {
	task  *taskCore
	fn    uintptr   // entry of the function the task runs
	stack []uintptr // creation stack, with WithCreationStacks only
}

// trackSlot is where in the registry a task is recorded.
type trackSlot struct {
	shard, index uint32
}

var lastScopeID atomic.Uint64

// liveScopes holds the scopes of every [Run] in progress, for [Scopes].
var liveScopes struct {
	sync.Mutex
	list []*Scope
}

func newScope(ctx context.Context, cfg runConfig) *Scope {
	s := &Scope{
		id:      lastScopeID.Add(1),
		name:    cfg.name,
		created: time.Now(),
		tracing: cfg.tracing,
		stacks:  cfg.stacks,
		labels:  cfg.labels,
		groups:  make(map[*Group]struct{}),
	}
	if s.name == "" {
		s.name = "Scope-" + strconv.FormatUint(s.id, 10)
	}
	s.times.init()
	sctx, cancel := context.WithCancelCause(ctx)
	s.ctx = nodeContext{Context: sctx, owner: s}
	s.cancel = cancel
	liveScopes.Lock()
	liveScopes.list = append(liveScopes.list, s)
	liveScopes.Unlock()
	return s
}

func (s *Scope) close() {
	s.times.stop()
	liveScopes.Lock()
	liveScopes.list = slices.DeleteFunc(liveScopes.list, func(x *Scope) bool { return x == s })
	liveScopes.Unlock()
}

// Scopes returns the scopes of every [Run] in progress, oldest first. The
// debug handler uses it to show every task tree in the process.
func Scopes() []*Scope {
	liveScopes.Lock()
	defer liveScopes.Unlock()
	return slices.Clone(liveScopes.list)
}

// ScopeOf returns the scope that ctx's tasks belong to, or nil if ctx is not
// inside a [Run].
func ScopeOf(ctx context.Context) *Scope {
	n := parentNode(ctx)
	if n == nil {
		return nil
	}
	s, _ := n.nodeTracker().(*Scope)
	return s
}

// AllTasks returns every live task of ctx's scope (asyncio.all_tasks), in
// the order they were created, or nil if ctx is not inside a [Run].
func AllTasks(ctx context.Context) []Handle {
	if s := ScopeOf(ctx); s != nil {
		return s.tasks()
	}
	return nil
}

// Name returns the scope's name, given with [WithName] or "Scope-N".
func (s *Scope) Name() string { return s.name }

// ID returns the scope's number, unique among scopes in the process.
func (s *Scope) ID() uint64 { return s.id }

// tasks returns the scope's live tasks, in the order they were created
// (AllTasks, given a context of the scope).
func (s *Scope) tasks() []Handle {
	var out []*taskCore
	s.eachTask(func(e *trackEntry) { out = append(out, e.task) })
	slices.SortFunc(out, func(a, b *taskCore) int { return cmpUint(a.id, b.id) })
	hs := make([]Handle, len(out))
	for i, t := range out {
		hs[i] = t
	}
	return hs
}

// Len returns how many of the scope's tasks are alive.
func (s *Scope) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.live
		sh.mu.Unlock()
	}
	return n
}

// eachTask calls f for every live task, one shard at a time, with that
// shard locked: f must be quick and must not start or finish tasks.
func (s *Scope) eachTask(f func(*trackEntry)) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for j := range sh.slots {
			if e := &sh.slots[j]; e.task != nil {
				f(e)
			}
		}
		sh.mu.Unlock()
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Scope) nodeTracker() tracker { return s }

func (s *Scope) clock() *scopeClock { return &s.times }

func (s *Scope) track(t *taskCore, fn any) {
	e := trackEntry{task: t, fn: reflect.ValueOf(fn).Pointer()}
	if s.stacks {
		var pcs [32]uintptr
		// The library's own frames are dropped when the stack is shown.
		n := runtime.Callers(2, pcs[:])
		e.stack = slices.Clone(pcs[:n])
	}
	shard := uint32(t.id % trackShards)
	sh := &s.shards[shard]
	sh.mu.Lock()
	var i uint32
	if sh.free != 0 {
		i = sh.free - 1
		sh.free = uint32(sh.slots[i].fn)
		sh.slots[i] = e
	} else {
		i = uint32(len(sh.slots))
		sh.slots = append(sh.slots, e)
	}
	sh.live++
	t.extra.Load().slot = trackSlot{shard: shard, index: i}
	sh.mu.Unlock()
}

func (s *Scope) untrack(t *taskCore) {
	x := t.extra.Load()
	sh := &s.shards[x.slot.shard]
	sh.mu.Lock()
	i := x.slot.index // under the lock: compaction moves tasks
	sh.live--
	switch {
	case sh.live == 0:
		// Every slot is free: start over rather than keep a long free list.
		// The others hold no task already, so appends may reuse them.
		sh.slots[i] = trackEntry{}
		sh.slots, sh.free = sh.slots[:0], 0
	case sh.live < len(sh.slots)/4 && len(sh.slots) >= compactMin:
		sh.slots[i] = trackEntry{}
		sh.compact()
	default:
		sh.slots[i] = trackEntry{fn: uintptr(sh.free)}
		sh.free = i + 1
	}
	sh.mu.Unlock()
	if s.tracing {
		endTrace(t)
	}
}

func (s *Scope) trackGroup(g *Group) {
	s.groupsMu.Lock()
	s.groups[g] = struct{}{}
	s.groupsMu.Unlock()
}

func (s *Scope) untrackGroup(g *Group) {
	s.groupsMu.Lock()
	delete(s.groups, g)
	s.groupsMu.Unlock()
}

// waitRecord is what a tracked task is blocked on: a task (in Await or
// WaitFor), a group (at the end of WithGroup), a named sleep (SleepNamed,
// with a nil target) or a block of code under Timeout (timeout set, nil
// target), and the deadline of the wait, if it has one: for a sleep, when it
// ends; for a Timeout, when it expires.
type waitRecord struct {
	target   node
	sleep    string // the name of the sleep or the Timeout, when target is nil
	timeout  bool   // the task runs a block under Timeout
	deadline int64  // Unix nanoseconds; 0 for none
	since    int64  // monoNow reading when the wait began; set by setAwaiting
}

// trackedCurrent returns the task running with ctx if a scope tracks it.
func trackedCurrent(ctx context.Context) *taskCore {
	if t, ok := Current(ctx).(*taskCore); ok && t.tracker() != nil {
		return t
	}
	return nil
}

// setAwaiting records what t is blocked on and returns what it was before,
// for restoreAwaiting.
func (t *taskCore) setAwaiting(w waitRecord) waitRecord {
	w.since = t.now(t.extra.Load())
	t.mu.Lock()
	m := t.extraLocked().moreLocked()
	prev := m.awaiting
	m.awaiting = w
	t.mu.Unlock()
	return prev
}

// restoreAwaiting ends the wait that setAwaiting recorded as mine and puts
// back prev, what t waited on before it, so that nested waits unwind. If
// another wait has replaced mine since (two goroutines waiting with the
// same task's context), the record is left alone: it follows the latest
// wait, not a stack of them.
func (t *taskCore) restoreAwaiting(mine, prev waitRecord) {
	t.mu.Lock()
	if m := t.extra.Load().more.Load(); m.awaiting.same(mine) {
		m.awaiting = prev
	}
	t.mu.Unlock()
}

func deadlineOf(ctx context.Context) int64 {
	if d, ok := ctx.Deadline(); ok {
		return d.UnixNano()
	}
	return 0
}
