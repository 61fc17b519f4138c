package async

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Handle is the part of a task that does not depend on its result type. Every
// *[Task] is a Handle; [Current] returns one. It is sealed: only this
// package's tasks implement it (and the calls that [Map] and [GatherFunc]
// hand to a [JoinPolicy]).
type Handle interface {
	// ID returns the task's process-unique number.
	ID() uint64
	// Name returns the task's name.
	Name() string
	// State returns the task's current state.
	State() State
	// Done returns a channel that is closed when the task has finished.
	Done() <-chan struct{}
	// Cancel asks the task to stop; see [Task.Cancel].
	Cancel(cause error) bool
	// Cancelled reports whether the task ended because it was cancelled.
	Cancelled() bool
	// Err returns the task's error once it has finished; see [Task.Err].
	Err() error
	// Progress returns the latest progress the task reported.
	Progress() Progress

	// sealed keeps the implementations in this package: a Handle is a
	// task (or, for a join policy, a call of Map or GatherFunc), and
	// Wait, AsCompleted and the task tree rely on what only those
	// guarantee. No other implementation is meant to exist.
	sealed()
}

var (
	lastTaskID paddedCounter
	closedChan = make(chan struct{})
)

// paddedCounter is a counter alone on its cache line. Every Spawn adds to
// lastTaskID; without the padding the linker placed it beside variables
// the runtime reads on every core (the vDSO clock symbols nanotime loads),
// so each Spawn took that line from the other cores and their next read of
// the clock took it back.
type paddedCounter struct {
	_ [64]byte
	atomic.Uint64
	_ [56]byte
}

func init() { close(closedChan) }

// Task is a running function with a typed result: asyncio's Task, created by
// [Spawn] or [Go]. Every method is safe for concurrent use, and a Task may be
// awaited any number of times, from any number of goroutines.
//
// Every method listed for Task is a method of every Task[T]. Those that do
// not involve T (Cancel, Done, Err, Name, State and the like) are shared by
// all tasks whatever their result type, so go doc shows them with the
// receiver (t *Task), without the type parameter: t.Cancel(nil) works on a
// *Task[int] as on any other.
type Task[T any] struct {
	taskCore
	// val before fn: a zero-size last field would be padded, and a
	// Task[struct{}], which every errgroup-style task (Group.Go) is,
	// would take 8 bytes more and, with its function, the next size class.
	val T
	fn  func(context.Context) (T, error)
}

// taskCore is everything about a task that does not depend on T. It is the
// tree's view of a task and the [Handle] that [Current] returns.
//
// It is kept small on purpose (80 bytes on 64-bit platforms, so that a
// Task[int] fills a 96-byte size class): a task costs what its goroutine
// costs plus little more. What only some tasks need lives in extra, and the
// task's own context is made only when something needs it (see
// taskContext).
type taskCore struct {
	id          uint64
	state       taskState // see taskState
	inGroup     bool      // the task belongs to the group whose context is parent; set before the task is shared
	cancelAsked bool      // Cancel took effect; guarded by mu
	errMade     bool      // the error in outcome is the final one, not yet the cause of a cancellation; guarded by mu
	timing      timing    // whether and how the task records its times, in its extra part; set before it is shared

	parent  context.Context             // the context the task was started with
	live    atomic.Pointer[liveContext] // the task's own context, once made
	ctxDone chan struct{}               // the Done channel of the task's context, if it has one of its own; see ownDone

	mu sync.Mutex
	// outcome is, until the task finishes, who waits for it (see
	// waitersLocked), and from then on its error. Nobody waits for a
	// finished task and an unfinished one has no error, so one field
	// holds both: it keeps a Task[int] in the 96-byte size class, and a
	// tracked one, with its extra part, in the 144-byte one. Written
	// under mu; once the task is seen finished, the error is read
	// without it (see error).
	outcome any

	extra extraRef // what only some tasks need; written under mu
}

// extraRef is a task's pointer to its extra part: atomic.Pointer's Load
// and Store, and init, a plain store for a task that no other goroutine
// can see yet. A task made with its extra part is handed to its goroutine
// (and to its scope's registry) with a lock or a go statement, which
// publishes the pointer; an atomic store there was a full barrier that
// waited for the new task's memory to be zeroed, once per tracked task.
type extraRef struct{ p unsafe.Pointer }

func (r *extraRef) Load() *taskExtra   { return (*taskExtra)(atomic.LoadPointer(&r.p)) }
func (r *extraRef) Store(x *taskExtra) { atomic.StorePointer(&r.p, unsafe.Pointer(x)) }

// init sets the pointer of a task not yet shared.
func (r *extraRef) init(x *taskExtra) { r.p = unsafe.Pointer(x) }

// taskExtra holds what most tasks never use, so that a plain task stays small.
// A tracked or named task gets it in the same allocation as the task (a
// named one with its name after it); others make it on first use. track is
// set before the task is shared and never changes; the rest is guarded by
// the task's mutex, site by the tracker.
//
// What fewer tasks still need is in a part of its own, so that this stays
// small: a tracked task (a Task[int] and this) is 144 bytes, a size class.
// The name and the tracker are pointers, not a string and an interface, for
// the same reason: with them inline a tracked task was 16 bytes larger, in
// the next size class, and its
// allocation (with the garbage collection that its bytes bring on) was the
// largest part of what tracking costs a task.
// Done callbacks and the unretrieved-error report are there: a tracked task
// seldom has either, and each would have cost every tracked task its bytes.
// That part is 64 bytes with room for one callback; what still fewer tasks
// need (progress, the await record, tracing, AfterFunc, the creation stack)
// is in a third part, so that a task given one done callback pays 64 bytes
// and one allocation for it, not 264 bytes and two.
type taskExtra struct {
	name  *string                  // the task's name, if it was given one
	track *tracker                 // records the task for the tree, if anything does (see trackerRef)
	site  uintptr                  // entry of the function the task runs, for the tree; set by track before it records the task
	more  atomic.Pointer[taskMore] // written under the task's mutex

	// The task's times, for a task that records them (taskCore.timing):
	// monoNow readings, or its scope's clock's, 0 until the function is
	// entered and until the task finishes. started is written once, by
	// begin, before the task's state becomes Running: that store publishes
	// it, so a reader that has loaded a state past Pending reads it without
	// an atomic of its own (see startedTime), and begin pays one atomic
	// store, not two.
	started int64
	ended   int64 // guarded by the task's mutex
}

// taskMore is what only a task that has done callbacks or fails outside a
// group needs, and the way to what fewer tasks still need (taskRare). Its
// fields are guarded by the task's mutex. It is 64 bytes with room for one
// callback, since a task given a callback is most often given one: a
// fetchall URL's task, for instance, which is also named and tracked.
type taskMore struct {
	callbacks []doneCallback           // in the order they were added; in cb while there is one
	cb        [1]doneCallback          // room for the first callback
	report    *unretrieved             // armed when the task fails outside a group
	rare      atomic.Pointer[taskRare] // written under the task's mutex
}

// addCallbackLocked adds cb to the task's callbacks. Nothing is added once
// the task has finished (complete hands the slice out without a copy).
func (m *taskMore) addCallbackLocked(cb doneCallback) {
	if m.callbacks == nil {
		m.callbacks = m.cb[:0]
	}
	full := len(m.callbacks) == len(m.cb) && &m.callbacks[0] == &m.cb[0]
	m.callbacks = append(m.callbacks, cb)
	if full {
		// The callbacks moved to a slice of their own: the room keeps no
		// copy of the first, which removeCallbacks would not reach.
		clear(m.cb[:])
	}
}

// rareLocked returns the task's rarest part, making it if needed. The
// task's mutex must be held.
func (m *taskMore) rareLocked() *taskRare {
	r := m.rare.Load()
	if r == nil {
		r = new(taskRare)
		m.rare.Store(r)
	}
	return r
}

// taskRare is what only a task that reports progress, waits while tracked,
// is traced or has its creation stack recorded needs. Its fields are
// guarded by the task's mutex, except trace's context and stack, set before
// the task is shared.
type taskRare struct {
	progress progressState
	awaiting waitRecord   // what the task is blocked on; kept only for tracked tasks
	trace    taskTrace    // the execution-tracer task, when a scope traces
	after    []*afterFunc // registered with the task context's AfterFunc, while it has a Done channel of its own
	stack    []uintptr    // creation stack, with WithCreationStacks only; set before the task is shared
}

// taskTrace is a task's execution-tracer task.
type taskTrace struct {
	ctx    context.Context // carries task and/or labels; the task's own context derives from it
	labels bool            // ctx carries the task's profiler labels (WithProfileLabels)
	task   *trace.Task     // nil once ended
}

// moreLocked returns the task's rarely needed part, making it if needed.
// The task's mutex must be held.
func (x *taskExtra) moreLocked() *taskMore {
	m := x.more.Load()
	if m == nil {
		m = new(taskMore)
		x.more.Store(m)
	}
	return m
}

// withExtra is a task and its extra part in one allocation.
type withExtra[T any] struct {
	task  Task[T]
	extra taskExtra
}

// withNamedExtra is a named task, its extra part and its name in one
// allocation.
type withNamedExtra[T any] struct {
	task  Task[T]
	extra taskExtra
	name  string
}

// makeTaskWithExtra returns a new task running fn with its extra part,
// for a task that needs it from the start: a name, a tracker or its times.
func makeTaskWithExtra[T any](fn func(context.Context) (T, error), name string, track *tracker) *Task[T] {
	if name != "" {
		w := &withNamedExtra[T]{task: Task[T]{fn: fn}, extra: taskExtra{track: track}, name: name}
		w.extra.name = &w.name
		w.task.extra.init(&w.extra)
		return &w.task
	}
	w := &withExtra[T]{task: Task[T]{fn: fn}, extra: taskExtra{track: track}}
	w.task.extra.init(&w.extra)
	return &w.task
}

// extraLocked returns the task's extra part, making it if needed. t.mu must be held.
func (t *taskCore) extraLocked() *taskExtra {
	x := t.extra.Load()
	if x == nil {
		x = new(taskExtra)
		t.extra.Store(x)
	}
	return x
}

// moreLocked returns the task's rarely needed part, making it if needed,
// together with the extra part in one allocation if the task has neither.
// t.mu must be held.
func (t *taskCore) moreLocked() *taskMore {
	if x := t.extra.Load(); x != nil {
		return x.moreLocked()
	}
	w := new(struct {
		extra taskExtra
		more  taskMore
	})
	w.extra.more.Store(&w.more)
	t.extra.Store(&w.extra)
	return &w.more
}

// madeMore returns the task's rarely needed part, or nil if it was never
// made.
func (t *taskCore) madeMore() *taskMore {
	if x := t.extra.Load(); x != nil {
		return x.more.Load()
	}
	return nil
}

// rareLocked returns the task's rarest part, making it (and the parts
// before it) if needed. t.mu must be held.
func (t *taskCore) rareLocked() *taskRare { return t.moreLocked().rareLocked() }

// madeRare returns the task's rarest part, or nil if it was never made.
func (t *taskCore) madeRare() *taskRare {
	if m := t.madeMore(); m != nil {
		return m.rare.Load()
	}
	return nil
}

// tracker returns what records the task for the tree, or nil.
func (t *taskCore) tracker() tracker {
	if x := t.extra.Load(); x != nil && x.track != nil {
		return *x.track
	}
	return nil
}

// group returns the group the task belongs to, or nil.
func (t *taskCore) group() *Group {
	if !t.inGroup {
		return nil
	}
	return t.parent.(*nodeContext).owner.(*Group)
}

// runner is a task that can be run by a goroutine. A group hands the next
// queued task back to the goroutine that just finished one.
type runner interface {
	runOnce() runner
	core() *taskCore
	start()    // runs the task in a goroutine of its own
	dropFunc() // lets go of the function of a task that will never run it
}

func (t *taskCore) core() *taskCore { return t }

func (*taskCore) sealed() {}

// Spawn starts fn in a new goroutine as a task and returns its handle at once
// (asyncio's create_task). fn receives a context derived from ctx, which is
// cancelled when ctx is, when the task is cancelled, and when fn returns. If
// ctx is already done, fn is not entered and the task ends [Cancelled].
//
// A panic in fn and a call to runtime.Goexit end the task with an error
// ([PanicError], [ErrGoexit]); neither crashes the program nor leaves
// awaiters waiting.
//
// Options: [WithName].
func Spawn[T any](ctx context.Context, fn func(context.Context) (T, error), opts ...TaskOption) *Task[T] {
	t := newTask(ctx, false, fn, fn, opts)
	t.start()
	return t
}

// newTask makes a task running fn. site is the function the caller was given
// (fn, or what fn wraps), which the task tree shows as the task's origin.
// inGroup says that the task is being added to the group whose context ctx
// is.
func newTask[T any](ctx context.Context, inGroup bool, fn func(context.Context) (T, error), site any, opts []TaskOption) *Task[T] {
	var t *Task[T]
	name, timed, track := extraFor(ctx, opts)
	if name == "" && track == nil && !timed {
		t = &Task[T]{fn: fn}
	} else {
		t = makeTaskWithExtra(fn, name, track)
	}
	t.timing = timingFor(timed, track)
	t.init(ctx, inGroup, site)
	return t
}

// extraFor returns what a task started with ctx and opts needs from the
// start: its name and the tracker that records it, which go in its extra
// part, and whether it records its times ([WithTimes]).
func extraFor(ctx context.Context, opts []TaskOption) (name string, timed bool, track *tracker) {
	if len(opts) > 0 {
		name, timed = taskOptions(opts)
	}
	if up := parentNode(ctx); up != nil {
		track = trackerRef(up.nodeTracker())
	}
	return name, timed, track
}

// init gives a task just made its number, parent and group, and records it
// in the tree if something tracks it. The task is not yet shared: once it is
// tracked, AllTasks can hand it to anyone, who may Cancel it while the group
// is still adding it, so its group is set before.
func (t *taskCore) init(ctx context.Context, inGroup bool, site any) {
	t.id = lastTaskID.Add(1)
	t.parent = ctx
	t.inGroup = inGroup
	boundUnmadeChain(ctx)
	if track := t.tracker(); track != nil {
		track.prepare(t, ctx)
		track.track(t, site)
	}
}

// goroutine runs the task and then, in a group with a limit, the tasks
// queued behind it.
func (t *Task[T]) goroutine() { goroutineFor(t) }

func (t *Task[T]) start()    { go t.goroutine() }
func (t *Task[T]) dropFunc() { t.fn = nil }

// runOnce runs the task's function and finishes the task. It returns the
// next task this goroutine should run, if any.
func (t *Task[T]) runOnce() runner { return t.run(t.fn) }

// errTask is a task made by [Group.Go], whose function returns only an
// error. It keeps that function as it is: wrapping it in a function that
// also returns a result, to make a Task[struct{}] of it, would cost an
// allocation per task. It is 96 bytes, the size class a Task[struct{}]
// (88 bytes) is in anyway (TestTaskSizeBudget).
type errTask struct {
	Task[struct{}]
	f func(context.Context) error
}

// newErrTask makes a task running f; see newTask.
func newErrTask(ctx context.Context, inGroup bool, f func(context.Context) error, opts []TaskOption) *errTask {
	var e *errTask
	name, timed, track := extraFor(ctx, opts)
	switch {
	case name != "":
		w := &struct {
			task  errTask
			extra taskExtra
			name  string
		}{task: errTask{f: f}, extra: taskExtra{track: track}, name: name}
		w.extra.name = &w.name
		e = &w.task
		e.extra.init(&w.extra)
	case track != nil || timed:
		w := &struct {
			task  errTask
			extra taskExtra
		}{task: errTask{f: f}, extra: taskExtra{track: track}}
		e = &w.task
		e.extra.init(&w.extra)
	default:
		e = &errTask{f: f}
	}
	e.timing = timingFor(timed, track)
	e.init(ctx, inGroup, f)
	return e
}

func (e *errTask) goroutine()      { goroutineFor(e) }
func (e *errTask) start()          { go e.goroutine() }
func (e *errTask) dropFunc()       { e.f = nil }
func (e *errTask) runOnce() runner { return e.run(e.call) }

func (e *errTask) call(ctx context.Context) (struct{}, error) {
	f := e.f
	e.f = nil // a finished task keeps nothing its function referred to
	return struct{}{}, f(ctx)
}

// run runs call as the task's function and finishes the task. It returns
// the next task this goroutine should run, if any.
func (t *Task[T]) run(call func(context.Context) (T, error)) (next runner) {
	if !t.begin() {
		var zero T
		return t.finish(zero, nil, false)
	}
	returned := false
	defer func() {
		if returned {
			return
		}
		t.state.setReturned()
		r := recover()
		var err error
		if r != nil {
			err = recovered(t.Name(), r)
		} else {
			err = ErrGoexit
		}
		var zero T
		next = t.finish(zero, err, true)
		if r == nil && next != nil {
			// runtime.Goexit cannot be stopped: this goroutine is going
			// away, so the queued task needs a goroutine of its own.
			go goroutineFor(next)
			next = nil
		}
	}()
	val, err := call(t.context())
	returned = true
	// From here on Cancel reports false: the function can no longer see it.
	t.state.setReturned()
	return t.finish(val, err, true)
}

func goroutineFor(r runner) {
	for r != nil {
		r = r.runOnce()
	}
}

// begin moves the task to Running, unless it was cancelled before its
// function could be entered.
func (t *taskCore) begin() bool {
	// The parent is checked too: a cancellation reaches the parent before it
	// reaches the parent's children, one by one, and a task must not start
	// in between.
	if l := t.live.Load(); (!unmade(l) && l.Err() != nil) || t.parent.Err() != nil {
		return false
	}
	if x := t.extra.Load(); x != nil {
		if t.timing != untimed {
			x.started = t.now(x) // published by the state's store below
		}
		t.state.set(Running)
		x.labelGoroutine() // WithProfileLabels
		return true
	}
	t.state.set(Running)
	return true
}

// finish records the outcome and wakes everyone waiting for it.
func (t *Task[T]) finish(val T, err error, entered bool) runner {
	t.fn = nil // a finished task keeps nothing its function referred to
	// The function's context as it was when the function returned: until
	// complete ends it, the task's own context, or, if none was made, the
	// one it would have derived from, which answers Err and Cause alike.
	fnCtx := t.base()
	ownCtx := false
	if l := t.live.Load(); !unmade(l) {
		fnCtx, ownCtx = l, true
	}
	switch {
	case !entered:
		cause := context.Cause(fnCtx)
		if cause == nil { // the parent is cancelled, but that has not reached ctx yet
			cause = context.Cause(t.parent)
		}
		return t.finishUnstarted(cause, heldSlot)
	case err == nil:
		t.val = val // a failed task has no result, as in asyncio
		return t.complete(t, Done, nil, heldSlot, false)
	}
	// Once the parent is seen cancelled here, complete need not ask it
	// again: after a cancellation each question costs a lock that every
	// cancelled sibling ending at the same moment contends for.
	cancelled, cause, done := cancellationOf(err, fnCtx)
	baseDone := done && !ownCtx
	if cancelled {
		return t.complete(t, Cancelled, cause, heldSlot, baseDone)
	}
	return t.complete(t, Done, err, heldSlot, baseDone)
}

// finishUnstarted ends a task whose function was never entered as Cancelled
// with cause; how says what it holds of its group (see slotHeld).
func (t *taskCore) finishUnstarted(cause error, how slotHeld) runner {
	return t.complete(t, Cancelled, cause, how, false)
}

// slotHeld says what a finishing task holds of its group.
type slotHeld uint8

const (
	// heldSlot: one of the group's running slots (the task was started,
	// or taken from the queue and found cancelled). A task outside any
	// group finishes this way too.
	heldSlot slotHeld = iota
	// noSlot: a place in the group's count but no running slot (the task
	// was taken out of the queue by Cancel, or cancelled while added).
	noSlot
	// notAdded: nothing; the group had closed, and the task was never
	// added to it.
	notAdded
)

// isCancellation is the one rule that tells a cancellation from a failure,
// used for tasks, group bodies and fan-out calls alike. An error is a
// cancellation when it matches context.Canceled — the function's own
// context was cancelled, or it passes on the cancellation of something it
// waited for, as a CancelledError leaving a coroutine cancels the task in
// asyncio — or when ctx is done and err is its deadline or its cause. A
// panic is never a cancellation, whatever its value wraps, and neither is a
// deadline that is not ctx's own (an inner timeout is a failure, as
// TimeoutError is in asyncio).
func isCancellation(err error, ctx context.Context) bool {
	cancelled, _ := cancellation(err, ctx)
	return cancelled
}

// cancellation applies the rule of isCancellation and, for a cancellation,
// also returns its cause: why ctx was cancelled or, when nothing cancelled
// it, the cancellation err passes on (a task it awaited was cancelled,
// say), so that the chain stays visible. It asks ctx for its error and its
// cause once each, since after a cancellation each costs a lock.
func cancellation(err error, ctx context.Context) (bool, error) {
	cancelled, cause, _ := cancellationOf(err, ctx)
	return cancelled, cause
}

// cancellationOf is cancellation that also says whether it saw ctx done.
func cancellationOf(err error, ctx context.Context) (cancelled bool, cause error, ctxDone bool) {
	if err == nil {
		return false, nil, false
	}
	if err == context.Canceled {
		// What a function returns most often when it gives up: its
		// context's error as it is, which the rest below would also call
		// a cancellation, after three walks of its chain.
		if ctx.Err() == nil {
			return true, err, false
		}
		return true, context.Cause(ctx), true
	}
	if _, ok := errors.AsType[*PanicError](err); ok {
		return false, nil, false
	}
	if ctx.Err() == nil {
		return errors.Is(err, context.Canceled), err, false
	}
	cause = context.Cause(ctx)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || (cause != nil && errors.Is(err, cause)) {
		return true, cause, true
	}
	return false, nil, true
}

// complete publishes the task's end: its state, Done, the awaiters, the
// callbacks. In a group, a failure is recorded and the group cancelled
// before that, so that whoever sees the task fail also sees its siblings
// cancelled, and the group's errors keep the order the failures happened in;
// the task's running slot and its place in the group's count are given back
// before that too (see Group.release).
//
// self is the task as its user holds it (the *Task[T]), for a group's join
// policy; the core itself where that is not at hand. For a cancelled task,
// err is the cause: its CancelledError is made only if someone reads it
// (see error), since the siblings a failure cancels are seldom asked why.
func (t *taskCore) complete(self Handle, state State, err error, how slotHeld, baseDone bool) runner {
	t.endContext(baseDone)
	made := state != Cancelled
	g := t.group()
	if how == notAdded {
		g = nil
	}
	if !made && g != nil && g.join != nil {
		err = &CancelledError{Task: t.Name(), Cause: err} // the policy is told
		made = true
	}
	if tr := t.tracker(); tr != nil {
		// Before anyone can see the task finished, so that a finished task
		// is never still listed among the scope's live ones.
		tr.untrack(t)
	}
	var next runner
	if g != nil {
		g.taskEnded(self, t, state, err) // the group has retrieved the error
		next = g.release(state, how == heldSlot)
	}
	t.mu.Lock()
	done, counter := t.waitersLocked()
	t.outcome, t.errMade = err, made
	if t.timing != untimed {
		x := t.extra.Load()
		x.ended = t.now(x)
	}
	var report *unretrieved
	if state == Done && err != nil && g == nil {
		report = &unretrieved{name: t.nameLocked(), err: err}
		t.moreLocked().report = report
	}
	t.state.set(state)
	if done != nil {
		close(done)
	}
	var callbacks []doneCallback
	if m := t.madeMore(); m != nil {
		callbacks, m.callbacks = m.callbacks, nil
	}
	t.mu.Unlock()

	if counter != nil {
		counter.finished(t)
	}

	if report != nil {
		runtime.AddCleanup(t, reportUnretrieved, report)
	}
	for _, cb := range callbacks {
		cb.run(t)
	}
	// A finished task its user keeps must not keep what its callbacks
	// referred to. While there was one, the slice is the room for the first
	// (taskMore.cb), and the room keeps no copy once they have moved out
	// (addCallbackLocked), so clearing the slice clears them all.
	clear(callbacks)
	if g != nil {
		g.exited()
	}
	return next
}

// doneCallback is something to do when a task finishes: call f, or tell a
// [completions] that task number i has finished. The second kind needs no
// closure and can be removed again (see completions.stop).
type doneCallback struct {
	f func()
	c *completions
	i int
}

func (cb doneCallback) run(t *taskCore) {
	if cb.c != nil {
		if cb.c.counting {
			cb.c.finished(t)
			return
		}
		cb.c.ch <- cb.i // never blocks: ch has room for every task
		return
	}
	runCallback(t, cb.f)
}

// runCallback runs a done callback, turning a panic into a report rather than
// a crash of the task's goroutine.
func runCallback(t *taskCore, f func()) {
	defer func() {
		if r := recover(); r != nil {
			(*unretrievedHandler.Load())(t.Name(), recovered(t.Name(), r))
		}
	}()
	f()
}

// unretrieved is the part of a failed task that its cleanup may see: it must
// not point back to the task, or the task would never be collected.
type unretrieved struct {
	retrieved atomic.Bool
	name      string
	err       error
}

func reportUnretrieved(u *unretrieved) {
	if !u.retrieved.Load() {
		(*unretrievedHandler.Load())(u.name, u.err)
	}
}

func (t *taskCore) markRetrieved() {
	if m := t.madeMore(); m != nil && m.report != nil {
		m.report.retrieved.Store(true)
	}
}

func (t *taskCore) finished() bool { return t.state.finished() }

// Await waits for the task to finish and returns its result and error. A ctx
// that ends first stops the waiting, not the task: Await then returns an
// error wrapping context.Cause(ctx) and the task runs on.
//
// The error is the one the function returned, a [*PanicError], [ErrGoexit],
// or for a cancelled task a [*CancelledError] (errors.Is(err,
// context.Canceled) holds and the cause is wrapped).
func (t *Task[T]) Await(ctx context.Context) (T, error) {
	if !t.finished() {
		if err := t.wait(ctx); err != nil {
			var zero T
			return zero, err
		}
	}
	t.markRetrieved()
	return t.val, t.error()
}

// wait blocks until t has finished or ctx ends. A tracked task doing the
// waiting records what it waits for, so the task tree can show it.
func (t *taskCore) wait(ctx context.Context) error {
	if t.state.is(Pending) && ctx.Err() == nil {
		// The task's goroutine has not run yet: it waits in a run queue,
		// most often this P's, behind the caller (a spawner awaiting in
		// order what it has just started). Yielding once lets it run, so
		// that the await returns without making a channel, parking and
		// being woken, once per task.
		runtime.Gosched()
		if t.finished() {
			return nil
		}
	}
	if w := trackedCurrent(ctx); w != nil {
		rec := waitRecord{target: t, deadline: deadlineOf(ctx)}
		defer w.restoreAwaiting(rec, w.setAwaiting(rec))
	}
	stop := ctx.Done()
	if stop == nil {
		<-t.Done()
		return nil
	}
	select {
	case <-t.Done():
	case <-stop:
		if !t.finished() {
			return fmt.Errorf("async: awaiting task %q: %w", t.Name(), context.Cause(ctx))
		}
	}
	return nil
}

// Result returns the task's result and error without waiting. While the task
// has not finished it returns an error matching [ErrInvalidState].
func (t *Task[T]) Result() (T, error) {
	if !t.finished() {
		var zero T
		return zero, t.invalidState()
	}
	t.markRetrieved()
	return t.val, t.error()
}

// Err returns the task's error without waiting: nil if it succeeded, a
// [*CancelledError] if it was cancelled, and an error matching
// [ErrInvalidState] while it has not finished.
func (t *taskCore) Err() error {
	if !t.finished() {
		return t.invalidState()
	}
	t.markRetrieved()
	return t.error()
}

// error returns the error of a finished task, making the CancelledError of
// a cancelled one on first use. Later calls return the same error.
func (t *taskCore) error() error {
	if !t.state.is(Cancelled) {
		return t.endError() // never changed once the task is seen finished
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.errMade {
		t.outcome, t.errMade = &CancelledError{Task: t.nameLocked(), Cause: t.endError()}, true
	}
	return t.endError()
}

// endError returns the error the finished task ended with, as it is now: for
// a cancelled one, the cause, until error makes its CancelledError.
func (t *taskCore) endError() error {
	err, _ := t.outcome.(error)
	return err
}

// bothWaiters is the outcome of an unfinished task that a Gather counts
// down and whose Done channel has been made (see waitersLocked).
type bothWaiters struct {
	done    chan struct{}
	counter *completions
}

// waitersLocked returns who waits for the unfinished task: the channel Done
// made, closed when it finishes, and a Gather that it counts down (see
// count), so that being gathered costs the task no allocation. The task's
// mutex must be held.
func (t *taskCore) waitersLocked() (done chan struct{}, counter *completions) {
	switch w := t.outcome.(type) {
	case chan struct{}:
		return w, nil
	case *completions:
		return nil, w
	case *bothWaiters:
		return w.done, w.counter
	}
	return nil, nil
}

// setWaitersLocked records who waits for the unfinished task. The task's
// mutex must be held.
func (t *taskCore) setWaitersLocked(done chan struct{}, counter *completions) {
	switch {
	case done != nil && counter != nil:
		t.outcome = &bothWaiters{done: done, counter: counter}
	case done != nil:
		t.outcome = done
	case counter != nil:
		t.outcome = counter
	default:
		t.outcome = nil
	}
}

func (t *taskCore) invalidState() error {
	return fmt.Errorf("%w: task %q is %s", ErrInvalidState, t.Name(), t.State())
}

// AddDoneCallback arranges for f to be called once with the task when it
// finishes: in the task's goroutine, or at once in the caller's goroutine if
// the task has already finished. A panic in f is reported through the
// unretrieved-error handler instead of crashing the program.
func (t *Task[T]) AddDoneCallback(f func(*Task[T])) {
	t.onDone(func() { f(t) })
}

func (t *taskCore) onDone(f func()) {
	if !t.addCallback(doneCallback{f: f}) {
		runCallback(t, f)
	}
}

// addCallback adds cb unless the task has finished, and reports whether it did.
func (t *taskCore) addCallback(cb doneCallback) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished() {
		return false
	}
	t.moreLocked().addCallbackLocked(cb)
	return true
}

// addCounter makes c count the task down when it finishes, unless it has
// finished, and reports whether it did.
func (t *taskCore) addCounter(c *completions) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished() {
		return false
	}
	if done, counter := t.waitersLocked(); counter == nil {
		t.setWaitersLocked(done, c)
	} else { // two Gathers of the same task at once
		t.moreLocked().addCallbackLocked(doneCallback{c: c})
	}
	return true
}

// removeCallbacks removes the callbacks that notify c.
func (t *taskCore) removeCallbacks(c *completions) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished() {
		return // its outcome is its error, and complete took the callbacks
	}
	if done, counter := t.waitersLocked(); counter == c {
		t.setWaitersLocked(done, nil)
	}
	m := t.madeMore()
	if m == nil {
		return
	}
	kept := m.callbacks[:0]
	for _, cb := range m.callbacks {
		if cb.c != c {
			kept = append(kept, cb)
		}
	}
	clear(m.callbacks[len(kept):]) // let what was removed be collected
	m.callbacks = kept
}

// Cancel asks the task to stop by cancelling its context with cause
// (context.Canceled if cause is nil). A task that has not entered its
// function yet never will; one queued behind its group's limit ends
// [Cancelled] at once and leaves the queue. It reports whether the request
// took effect: false if the task's function had already returned or the task
// had already been asked to stop, in which case the first cause stands. The
// first cause stands too when the context the task was started with was
// cancelled first: Cancel still reports true (the task is asked to stop,
// and one waiting behind its group's limit leaves the queue), but the
// task's context keeps the parent's cause, which the function may have
// seen already.
//
// Cancellation in Go is cooperative: the function stops when it notices
// ctx.Done(). If it returns the context's error, the task ends [Cancelled];
// if it finishes its work anyway, the task ends [Done] with its result, as a
// Python coroutine that catches CancelledError does.
func (t *taskCore) Cancel(cause error) bool {
	if cause == nil {
		cause = context.Canceled
	}
	t.mu.Lock()
	if t.state.returned() || t.finished() || t.cancelAsked {
		t.mu.Unlock()
		return false
	}
	t.cancelAsked = true
	l := t.liveContext()
	t.catchUp(l) // the parent's cancellation, if it came first, stands
	l.cancel(cause)
	if l.light != nil {
		t.closeDoneLocked()
	}
	t.mu.Unlock()
	if g := t.group(); g != nil && g.unqueue(t) {
		// Waiting behind the group's limit: it ends now, not when a
		// slot frees up, and never runs, with its context's cause: the
		// parent's cancellation, if it came first (see
		// adoptParentCancel).
		t.finishUnstarted(context.Cause(l.Context), noSlot)
	}
	return true
}

// Cancelled reports whether the task ended because it was cancelled. It is
// false while the task runs, even after Cancel.
func (t *taskCore) Cancelled() bool { return t.state.is(Cancelled) }

// State returns the task's current state.
func (t *taskCore) State() State { return t.state.public() }

// Done returns a channel that is closed when the task has finished. The
// task's state, result and error are final by the time a receive from it
// returns; the state becomes final first, so a caller that has seen it so
// (through State or Await) may still find the channel open for a moment.
func (t *taskCore) Done() <-chan struct{} {
	if t.finished() {
		return closedChan
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished() {
		return closedChan
	}
	done, counter := t.waitersLocked()
	if done == nil {
		done = make(chan struct{})
		t.setWaitersLocked(done, counter)
	}
	return done
}

// ID returns the task's number, unique in the process, in creation order.
func (t *taskCore) ID() uint64 { return t.id }

// Name returns the task's name: the one given with [WithName] or
// [Task.SetName], or "Task-N" where N is its ID.
func (t *taskCore) Name() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.nameLocked()
}

func (t *taskCore) nameLocked() string {
	if x := t.extra.Load(); x != nil && x.name != nil && *x.name != "" {
		return *x.name
	}
	return defaultName(t.id)
}

// defaultName returns "Task-N", made with one allocation rather than two:
// a cancelled group of ten thousand tasks names each in its error.
func defaultName(id uint64) string {
	var buf [32]byte
	return string(strconv.AppendUint(append(buf[:0], "Task-"...), id, 10))
}

// SetName renames the task. Errors already returned keep the old name.
func (t *taskCore) SetName(name string) {
	t.mu.Lock()
	t.extraLocked().name = &name
	t.mu.Unlock()
}

// StartTime returns when the task's function was entered, or the zero Time
// if it has not been. Only a task that records its times has one: a task
// of a [Run] scope, which the task tree shows with its age, or one started
// with [WithTimes]. For any other task it is always the zero Time, so that
// a task nobody times does not pay for two reads of the clock.
//
// A task of a Run scope started without WithTimes records its times from
// its scope's clock, which is read at most once a millisecond: its times
// may be up to about a millisecond early, and tasks that start or end
// within the same millisecond may record the same time. They stay in
// order: a time recorded after another, in the same scope or by a task
// started WithTimes in it, is never the earlier one, so a task that
// starts after another ended never has the earlier start time. A task
// started WithTimes reads the clock exactly.
func (t *taskCore) StartTime() time.Time { return monoTime(t.startedTime()) }

// startedTime returns the task's start time as recorded (see
// taskExtra.started), or 0 if it has none. The state is loaded first: once
// it is past Pending, begin's write of started happened before it, or was
// never made (a task cancelled before it began).
func (t *taskCore) startedTime() int64 {
	switch t.state.load() {
	case phase(Pending), phaseQueued:
		return 0
	}
	if x := t.extra.Load(); x != nil {
		return x.started
	}
	return 0
}

// EndTime returns when the task finished, or the zero Time if it has not.
// Like [Task.StartTime], it is recorded only for a task of a [Run] scope or
// one started with [WithTimes], is the zero Time for any other, and is
// exact only for a task started WithTimes; it is never before StartTime.
func (t *taskCore) EndTime() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	if x := t.extra.Load(); x != nil {
		return monoTime(x.ended)
	}
	return time.Time{}
}

func (t *taskCore) nodeTracker() tracker { return t.tracker() }

func (t *taskCore) String() string {
	return fmt.Sprintf("<Task %s %s>", t.Name(), t.State())
}
