package async

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
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
// and reading the registry happen under the shard's lock; clearing a
// finished task's slot (untrack) takes no lock: one atomic store into the
// slot, through the pointer the task keeps. The goroutine that ends a task
// mostly runs on another core than the one that started it, and a lock
// taken at both ends moved the shard's cache line between the two cores
// twice per task, with four atomic instructions in all; now the slot's
// line alone moves, with three (the lock, its unlock, untrack's store).
//
// track finds a free slot by sweeping the chunks from where it found the
// last one. A lap that found half the slots or more taken adds half as
// many chunks again, so that the sweep looks at a few slots per task on
// average; a lap that found at most a quarter taken reclaims. untrack
// never looks at the shard, so the chunks that a burst of tasks left empty
// are also reclaimed after each garbage collection (see reclaimRegistries):
// the registry's memory follows the live tasks, not its peak, within a
// collection or two of the burst's end, when the memory could be freed
// anyway. Tasks never move between slots, so a reader never misses one
// that is being moved.
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

// trackSlot is where the registry records one live task.
//
// task is written by track under the shard's lock, only into a slot it has
// seen empty with an atomic load, which orders the write after the atomic
// store of the untrack that emptied it; it is cleared by untrack with an
// atomic store, without the lock; readers, under the lock, load it
// atomically. So track's write is a plain store, and a reader sees a task
// or nil, never part of one. fn belongs to the task in the slot and is
// read and written under the shard's lock only.
type trackSlot struct {
	task unsafe.Pointer // *taskCore, or nil for a free slot
	fn   uintptr        // entry of the function the task runs
}

// reclaimMin is the number of chunks (256 slots) below which a shard is
// left as it is: reclaiming them would save too little to be worth it.
const reclaimMin = 64

// place records t in a free slot and returns the slot. sh.mu must be held.
func (sh *trackShard) place(t *taskCore, fn uintptr) *trackSlot {
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
		if atomic.LoadPointer(&slot.task) == nil {
			slot.fn = fn
			slot.task = unsafe.Pointer(t)
			return slot
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

// reclaim drops the chunks that hold no task, beyond as many spare ones as
// there are chunks in use (and at least reclaimMin chunks in all), so that
// a shard that empties and fills again keeps its chunks. If it drops any,
// the sweep starts over; else it goes on where it was, so that a large
// shard full of live tasks is not swept from the start after every
// collection. A chunk found empty under the lock stays empty (only track
// fills slots), and no task refers to it: a task's slot holds the task
// until its untrack, which is the last use of the slot the task makes.
// sh.mu must be held.
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

// empty reports whether no slot of c holds a task.
func (c *trackChunk) empty() bool {
	for i := range c.slots {
		if atomic.LoadPointer(&c.slots[i].task) != nil {
			return false
		}
	}
	return true
}

// reclaimRegistries reclaims the empty chunks of every live scope's
// registry, and arranges to run again after the next garbage collection:
// a registry whose tasks all ended, and where no task starts any more, is
// reclaimed no later than that. It costs a look at every chunk of the
// registries larger than reclaimMin chunks a shard, once per collection,
// which is less than the collection's own look at the tasks they hold.
func reclaimRegistries() {
	for _, s := range Scopes() {
		for i := range s.shards {
			sh := &s.shards[i]
			sh.mu.Lock()
			if len(sh.chunks) > reclaimMin {
				sh.reclaim()
			}
			sh.mu.Unlock()
		}
	}
	afterNextGC(reclaimRegistries)
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
// shard locked: f must be quick and must not start or finish tasks.
func (s *Scope) eachTask(f func(trackEntry)) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, c := range sh.chunks {
			for j := range c.slots {
				slot := &c.slots[j]
				if t := (*taskCore)(atomic.LoadPointer(&slot.task)); t != nil {
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
	x := t.extra.Load()
	if s.stacks {
		var pcs [32]uintptr
		// The library's own frames are dropped when the stack is shown.
		n := runtime.Callers(2, pcs[:])
		// The task is not shared yet: its part needs no lock.
		x.moreLocked().rareLocked().stack = slices.Clone(pcs[:n])
	}
	pc := funcEntry(fn)
	sh := &s.shards[t.id%trackShards]
	sh.mu.Lock()
	x.slot = sh.place(t, pc)
	sh.mu.Unlock()
}

// funcEntry returns the entry of the function fn holds, or 0 for a nil
// one: what reflect.ValueOf(fn).Pointer() returns for a function, without
// the reflect call, which cost a tracked task 5% of what recording it and
// clearing it cost (BenchmarkTrackUntrack). An interface holding a function
// keeps the function value itself, a pointer to a closure whose first word
// is the code's entry; TestFuncEntryIsReflectPointer checks that it agrees
// with reflect for every kind of function a task is started with.
func funcEntry(fn any) uintptr {
	f := (*[2]unsafe.Pointer)(unsafe.Pointer(&fn))[1]
	if f == nil {
		return 0
	}
	return *(*uintptr)(f)
}

// untrack clears t's slot: one atomic store, without the lock.
func (s *Scope) untrack(t *taskCore) {
	x := t.extra.Load()
	atomic.StorePointer(&x.slot.task, nil)
	x.slot = nil // a finished task keeps no chunk alive
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
