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
	self  tracker    // the scope, as its tasks' extra parts point to it (see trackerRef)

	shards [trackShards]trackShard

	groupsMu sync.Mutex
	groups   map[*Group]struct{}
}

// trackShards spreads the registry over independent locks, so that
// goroutines starting tasks at the same time rarely meet.
const trackShards = 64

// trackShard holds live tasks in chunks of slots. Recording a task (track)
// and reading the registry happen under the shard's lock; a task's end
// touches nothing of the registry: a slot whose task has finished is free
// (see trackSlot). The goroutine that ends a task mostly runs on another
// core than the one that started it; a lock taken at both ends moved the
// shard's cache line between the two cores twice per task, with four
// atomic instructions in all, and an atomic store into the slot at the end
// still moved the slot's line, with three. Now a slot is written only
// under the lock, by the goroutines that start tasks and by readers, with
// two (the lock and its unlock).
//
// track finds a free slot by sweeping the chunks from where it found the
// last one. A lap that found half the slots or more taken adds half as
// many chunks again, so that the sweep looks at a few slots per task on
// average; a lap that found at most a quarter taken reclaims. Nothing
// looks at the shard when a task ends, so the finished tasks that a burst
// left in the slots are cleared, and the chunks it left empty reclaimed,
// after each garbage collection (see reclaimRegistries): the registry's
// memory follows the live tasks, not its peak, within a collection or two
// of the burst's end. Tasks never move between slots, so a reader never
// misses one that is being moved.
type trackShard struct {
	mu     sync.Mutex
	chunks []*trackChunk // guarded by mu
	next   int           // the sweep's next slot, chunk*trackChunkSlots + index; guarded by mu
	seen   int           // slots the sweep looked at since it last went round; guarded by mu
	taken  int           // how many of those held a task; guarded by mu
	_      [64]byte      // keep neighbouring shards' locks off one cache line
}

// trackChunkSlots is how many slots a chunk has: as many as fill one cache
// line (a chunk is a 64-byte allocation).
const trackChunkSlots = 4

// trackChunk is a cache line of the registry.
type trackChunk struct {
	slots [trackChunkSlots]trackSlot
}

// trackSlot is where the registry records one live task. Its fields are
// read and written under the shard's lock only.
//
// A slot is free when it holds nil or a finished task: the task's state,
// which complete stores anyway when the task finishes, is what frees the
// slot, so that ending a task writes nothing of the registry. A finished
// task stays in its slot until track reuses the slot, a reader passes by
// (eachTask clears the finished tasks it skips) or reclaimRegistries clears
// it after the next garbage collection; so a finished task that nothing
// else refers to is freed a collection later than its memory could be,
// and the slots that hold finished tasks are never more than the registry
// has, about twice the most tasks the scope had alive at once.
type trackSlot struct {
	task *taskCore // nil, or a finished task, for a free slot
	fn   uintptr   // entry of the function the task runs
}

// reclaimMin is the number of chunks (256 slots) below which a shard is
// left as it is: reclaiming them would save too little to be worth it.
const reclaimMin = 64

// place records t in a free slot. sh.mu must be held.
func (sh *trackShard) place(t *taskCore, fn uintptr) {
	for {
		if sh.next == len(sh.chunks)*trackChunkSlots {
			// The sweep went round. Grow if it found the slots mostly
			// taken, else start over, reclaiming if they were mostly
			// free; with no chunk at all, grow.
			switch {
			case 2*sh.taken >= sh.seen:
				sh.grow()
			case 4*sh.taken <= sh.seen && len(sh.chunks) > reclaimMin:
				sh.reclaim()
				fallthrough
			default:
				sh.next = 0
			}
			sh.seen, sh.taken = 0, 0
			continue
		}
		slot := &sh.chunks[sh.next/trackChunkSlots].slots[sh.next%trackChunkSlots]
		sh.next++
		sh.seen++
		if old := slot.task; old == nil || old.finished() {
			slot.fn = fn
			slot.task = t
			return
		}
		sh.taken++
	}
}

// grow adds half as many chunks as the shard has, at least one, after the
// last: the sweep goes on into them. sh.mu must be held.
func (sh *trackShard) grow() {
	for range max(1, len(sh.chunks)/2) {
		sh.chunks = append(sh.chunks, new(trackChunk))
	}
}

// reclaim drops the chunks that hold no live task, beyond as many spare
// ones as there are chunks in use (and at least reclaimMin chunks in all),
// so that a shard that empties and fills again keeps its chunks. If it
// drops any, the sweep starts over; else it goes on where it was, so that
// a large shard full of live tasks is not swept from the start after every
// collection. A chunk found empty under the lock stays empty (only track
// fills slots, under the lock), and no task refers to it. sh.mu must be
// held.
func (sh *trackShard) reclaim() {
	busy := 0
	for _, c := range sh.chunks {
		if !c.empty() {
			busy++
		}
	}
	if keep := max(reclaimMin, 2*busy); len(sh.chunks) > keep {
		kept := make([]*trackChunk, 0, keep)
		spare := keep - busy
		for _, c := range sh.chunks {
			switch {
			case !c.empty():
				kept = append(kept, c)
			case spare > 0:
				kept = append(kept, c)
				spare--
			}
		}
		sh.chunks = kept
		sh.next, sh.seen, sh.taken = 0, 0, 0
	}
}

// empty reports whether no slot of c holds a live task.
func (c *trackChunk) empty() bool {
	for i := range c.slots {
		if t := c.slots[i].task; t != nil && !t.finished() {
			return false
		}
	}
	return true
}

// reclaimRegistries clears the finished tasks out of every live scope's
// registry and reclaims its empty chunks, and arranges to run again after
// the next garbage collection: a finished task that only its slot refers
// to is freed by the collection after that, and a registry whose tasks all
// ended, where no task starts any more, is reclaimed no later than that.
// It costs a look at every slot of the registries once per collection,
// which is less than the collection's own look at the tasks they hold.
func reclaimRegistries() {
	for _, s := range Scopes() {
		for i := range s.shards {
			sh := &s.shards[i]
			sh.mu.Lock()
			sh.clearFinished()
			if len(sh.chunks) > reclaimMin {
				sh.reclaim()
			}
			sh.mu.Unlock()
		}
	}
	afterNextGC(reclaimRegistries)
}

// clearFinished empties the slots whose tasks have finished, so that the
// registry keeps none of them. sh.mu must be held.
func (sh *trackShard) clearFinished() {
	for _, c := range sh.chunks {
		for j := range c.slots {
			if t := c.slots[j].task; t != nil && t.finished() {
				c.slots[j] = trackSlot{}
			}
		}
	}
}

// afterNextGC runs f, on the runtime's cleanup goroutine, once the next
// garbage collection has found an object made now unreachable.
func afterNextGC(f func()) {
	// A pointer makes it an object of its own: the cleanup of a tiny
	// allocation, which shares its block, may never run.
	mark := new(struct{ _ *byte })
	runtime.AddCleanup(mark, func(f func()) { f() }, f)
}

// reclaimArmed makes the first scope start reclaimRegistries' round.
var reclaimArmed sync.Once

// trackEntry is what the registry knows about a live task, as a reader
// copies it.
type trackEntry struct {
	task *taskCore
	fn   uintptr // entry of the function the task runs
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
	s.self = s
	s.times.init()
	reclaimArmed.Do(func() { afterNextGC(reclaimRegistries) })
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
	s.eachTask(func(e trackEntry) { out = append(out, e.task) })
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
	s.eachTask(func(trackEntry) { n++ })
	return n
}

// eachTask calls f for every live task, one shard at a time, with that
// shard locked: f must be quick and must not start or finish tasks. It
// empties the slots of the finished tasks it passes.
func (s *Scope) eachTask(f func(trackEntry)) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, c := range sh.chunks {
			for j := range c.slots {
				slot := &c.slots[j]
				if t := slot.task; t != nil {
					if t.finished() {
						*slot = trackSlot{}
						continue
					}
					f(trackEntry{task: t, fn: slot.fn})
				}
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
	if s.stacks {
		var pcs [32]uintptr
		// The library's own frames are dropped when the stack is shown.
		n := runtime.Callers(2, pcs[:])
		// The task is not shared yet: its part needs no lock.
		t.extra.Load().moreLocked().rareLocked().stack = slices.Clone(pcs[:n])
	}
	pc := reflect.ValueOf(fn).Pointer()
	sh := &s.shards[t.id%trackShards]
	sh.mu.Lock()
	sh.place(t, pc)
	sh.mu.Unlock()
}

// untrack ends t's execution-tracer task, if it has one. Its slot needs
// nothing: t's state, stored when t finishes, frees it (see trackSlot).
func (s *Scope) untrack(t *taskCore) {
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
	r := t.rareLocked()
	prev := r.awaiting
	r.awaiting = w
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
	if r := t.madeRare(); r.awaiting.same(mine) {
		r.awaiting = prev
	}
	t.mu.Unlock()
}

func deadlineOf(ctx context.Context) int64 {
	if d, ok := ctx.Deadline(); ok {
		return d.UnixNano()
	}
	return 0
}
