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

// trackShards spreads the registry over independent shards, so that
// goroutines starting tasks at the same time rarely meet.
const trackShards = 64

// trackShard holds the live tasks whose ids are equal modulo trackShards,
// in a table indexed by the rest of the id, id/trackShards, modulo the
// table's size (the task's home). Recording a task (track) takes no lock:
// it claims one of the trackProbes slots from its home with one
// compare-and-swap; clearing it (untrack) finds it there again by its id
// and clears it with another. A home was last held by the task whose id
// was trackShards×size before, which has most often ended long ago, so
// both usually look at the home alone. Earlier the registry swept for a
// free slot under the shard's lock and the task kept a pointer to its
// slot: three locked instructions a task (the lock, its unlock, untrack's
// store) against two now. The word of the task's extra part that held the
// pointer holds the task's function now (taskExtra.site), so that a slot
// is one word, which one instruction claims.
//
// What does not fit near its home goes to the shard's overflow, under the
// lock: a task whose home and the slots after it hold older tasks that
// still live (a cluster of long-lived tasks, or a table too small). When
// the overflow holds more than an eighth of the table's size, the table
// is replaced by one twice as large; after each garbage collection (see
// reclaimRegistries), a table that holds fewer than an eighth of its size
// is replaced by a smaller one, so that the registry's memory follows the
// live tasks, not their peak. Replacing a table moves its tasks, under the
// lock, into the new one before the new one is published: see resize for
// how a track or an untrack that meets the move without the lock finds
// its way.
type trackShard struct {
	tab atomic.Pointer[trackTable] // replaced under mu
	mu  sync.Mutex
	// overflow holds the tasks that found no slot near their home;
	// guarded by mu.
	overflow map[*taskCore]struct{}
	_        [40]byte // keep neighbouring shards off one cache line
}

// trackProbes is how many slots from its home a task may take: eight
// pointers, a cache line.
const trackProbes = 8

// trackMinSlots is the size of a shard's first table and the smallest a
// table shrinks to.
const trackMinSlots = 32

// trackTable is a shard's table of live tasks.
type trackTable struct {
	// retired is set, under the shard's lock, before the table's tasks
	// are moved out of it; a track that claimed a slot of a retired table
	// gives it back (see trackShard.track).
	retired atomic.Bool
	mask    uint64
	slots   []unsafe.Pointer // *taskCore, or nil for a free slot
}

func newTrackTable(size int) *trackTable {
	return &trackTable{mask: uint64(size - 1), slots: make([]unsafe.Pointer, size)}
}

// claim records t in a free slot near its home and returns the slot, or
// nil if the trackProbes slots from there are taken.
func (tab *trackTable) claim(t *taskCore) *unsafe.Pointer {
	home := t.id / trackShards
	for i := range uint64(trackProbes) {
		p := &tab.slots[(home+i)&tab.mask]
		if atomic.LoadPointer(p) == nil && atomic.CompareAndSwapPointer(p, nil, unsafe.Pointer(t)) {
			return p
		}
	}
	return nil
}

// clear removes t from the table if it is near its home there, and
// reports whether it was.
func (tab *trackTable) clear(t *taskCore) bool {
	home := t.id / trackShards
	for i := range uint64(trackProbes) {
		p := &tab.slots[(home+i)&tab.mask]
		if atomic.LoadPointer(p) == unsafe.Pointer(t) {
			return atomic.CompareAndSwapPointer(p, unsafe.Pointer(t), nil)
		}
	}
	return false
}

// track records t in the shard.
func (sh *trackShard) track(t *taskCore) {
	if tab := sh.tab.Load(); tab != nil {
		if p := tab.claim(t); p != nil {
			// The compare-and-swap and this load are sequentially
			// consistent, as are resize's store of retired and its loads
			// of the slots: either resize sees t in the slot, and moves
			// it, or t sees the table retired.
			if tab.retired.Load() {
				sh.retake(p, t)
			}
			return
		}
	}
	sh.mu.Lock()
	sh.placeLocked(t)
	sh.mu.Unlock()
}

// retake records anew t, which track put in slot p of a table that is
// retired since. Under the lock, resize is done with that table: if it did
// not move t, t is still in the slot (no one else clears it), and is taken
// back.
func (sh *trackShard) retake(p *unsafe.Pointer, t *taskCore) {
	sh.mu.Lock()
	if atomic.CompareAndSwapPointer(p, unsafe.Pointer(t), nil) {
		sh.placeLocked(t)
	}
	sh.mu.Unlock()
}

// placeLocked records t in the shard's table, or else in its overflow,
// growing the table when the overflow is large. sh.mu must be held.
func (sh *trackShard) placeLocked(t *taskCore) {
	tab := sh.tab.Load()
	if tab == nil {
		tab = sh.resize(trackMinSlots)
	}
	if tab.claim(t) != nil {
		return
	}
	if sh.overflow == nil {
		sh.overflow = make(map[*taskCore]struct{})
	}
	sh.overflow[t] = struct{}{}
	if 8*len(sh.overflow) > len(tab.slots) {
		sh.resize(2 * len(tab.slots))
	}
}

// untrack removes t from the shard. Without the lock, it looks for t near
// its home in the shard's table; it does not find it there while resize
// is moving it, or when it is in the overflow, and then looks again under
// the lock, where neither can happen.
func (sh *trackShard) untrack(t *taskCore) {
	if tab := sh.tab.Load(); tab != nil && tab.clear(t) {
		return
	}
	sh.mu.Lock()
	if tab := sh.tab.Load(); tab == nil || !tab.clear(t) {
		delete(sh.overflow, t)
	}
	sh.mu.Unlock()
}

// resize replaces the shard's table with a new one of size slots (a power
// of two), moves the live tasks of the table and of the overflow into it,
// what does not fit near its home into the overflow, and returns it.
// sh.mu must be held.
//
// The old table is retired first. Each task is taken out of its slot with
// a compare-and-swap, so that a task whose untrack clears it meanwhile is
// not moved, and the new table is published once it holds them all. An
// untrack that misses t meanwhile (t out of the old table, not yet in a
// published new one) looks again under the lock, after the move. A track
// that claims a slot of the old table after resize looked at it sees the
// table retired, and waits for the lock to record its task again.
func (sh *trackShard) resize(size int) *trackTable {
	nt := newTrackTable(size)
	var spill []*taskCore
	place := func(t *taskCore) {
		if nt.claim(t) == nil {
			spill = append(spill, t)
		}
	}
	if old := sh.tab.Load(); old != nil {
		old.retired.Store(true)
		for i := range old.slots {
			p := &old.slots[i]
			if t := atomic.LoadPointer(p); t != nil && atomic.CompareAndSwapPointer(p, t, nil) {
				place((*taskCore)(t))
			}
		}
	}
	for t := range sh.overflow {
		delete(sh.overflow, t)
		place(t)
	}
	if len(spill) > 0 && sh.overflow == nil {
		sh.overflow = make(map[*taskCore]struct{}, len(spill))
	}
	for _, t := range spill {
		sh.overflow[t] = struct{}{}
	}
	if len(sh.overflow) == 0 {
		sh.overflow = nil
	}
	sh.tab.Store(nt)
	return nt
}

// liveLocked returns how many tasks the shard holds. sh.mu must be held.
func (sh *trackShard) liveLocked() int {
	n := len(sh.overflow)
	if tab := sh.tab.Load(); tab != nil {
		for i := range tab.slots {
			if atomic.LoadPointer(&tab.slots[i]) != nil {
				n++
			}
		}
	}
	return n
}

// reclaimLocked replaces a table that holds fewer tasks than an eighth of
// its size by one four times as large as they need, or trackMinSlots.
// sh.mu must be held.
func (sh *trackShard) reclaimLocked() {
	tab := sh.tab.Load()
	if tab == nil || len(tab.slots) <= trackMinSlots {
		return
	}
	if live := sh.liveLocked(); 8*live < len(tab.slots) {
		size := trackMinSlots
		for size < 4*live {
			size *= 2
		}
		sh.resize(size)
	}
}

// reclaimRegistries shrinks the mostly empty tables of every live scope's
// registry, and arranges to run again after the next garbage collection:
// a registry whose tasks all ended, and where no task starts any more, is
// reclaimed no later than that. It costs a look at every slot of the
// tables larger than trackMinSlots, once per collection, which is less
// than the collection's own look at the tasks they hold.
func reclaimRegistries() {
	for _, s := range Scopes() {
		for i := range s.shards {
			sh := &s.shards[i]
			sh.mu.Lock()
			sh.reclaimLocked()
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
		if tab := sh.tab.Load(); tab != nil {
			for j := range tab.slots {
				if t := (*taskCore)(atomic.LoadPointer(&tab.slots[j])); t != nil {
					f(trackEntry{task: t, fn: t.extra.Load().site})
				}
			}
		}
		for t := range sh.overflow {
			f(trackEntry{task: t, fn: t.extra.Load().site})
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
	// Before the task is recorded, which publishes it to the readers.
	x.site = funcEntry(fn)
	s.shards[t.id%trackShards].track(t)
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

// untrack removes t from the registry.
func (s *Scope) untrack(t *taskCore) {
	s.shards[t.id%trackShards].untrack(t)
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
