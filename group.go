package async

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var lastGroupID atomic.Uint64

// Group is a scope for tasks: asyncio's TaskGroup, Trio's nursery. It exists
// only inside [WithGroup], which does not return before every task added to
// the group has finished, so no goroutine outlives it.
//
// The first task to fail cancels the group's context, so its siblings stop;
// the group then reports every real failure, not just the first.
type Group struct {
	id      uint64
	name    string
	parent  node
	ctx     nodeContext
	cancel  context.CancelCauseFunc
	track   tracker
	started time.Time // when the group was made, if a scope tracks it (for the task tree)

	// Counted without the mutex, so that a task of a group without a limit
	// finishes without taking it unless someone waits for the count.
	active    atomic.Int64 // tasks added and not yet finished (Len)
	alive     atomic.Int64 // tasks added whose goroutine has not yet let go of them
	cancelled atomic.Bool  // a task ended cancelled
	watched   atomic.Bool  // someone has waited for the group to change

	mu      sync.Mutex
	slots   limiter // the limit, the queue behind it, the backlog; see limiter
	errs    []error
	failed  bool // a real failure has cancelled the group
	closed  bool
	idle    chan struct{} // closed when alive drops to 0, if someone waits
	added   int           // tasks ever added: the group's progress is added-active of added
	changed chan struct{} // closed when a task is added or finishes, if someone waits for that

	join   JoinPolicy // nil for the default, FailFast, which the group does itself
	joinMu sync.Mutex // one Join call at a time

	// The tasks whose context has a Done channel of its own (see
	// taskCore.ownDone), which the group closes when it is cancelled.
	// Guarded by mu. When the group's parent can be cancelled, wake
	// stops what closes them then, and woken is closed once that ran.
	waiters     []*taskCore
	cancellable bool // the parent can be cancelled
	wake        func() bool
	woken       chan struct{}
}

// WithGroup runs body with a new [Group] and waits until body has returned
// and every task in the group has finished; only then does it return.
//
// body receives the group and the group's context, which is cancelled when
// ctx is, when [Group.Cancel] is called, or when a task fails (returns an
// error that is not a cancellation, or panics: see the package doc). The
// group is cancelled before anyone can see the failed task finished: once
// [Task.Await] has returned a failure, no task added afterwards runs. Tasks
// may be added with [Go] and [Group.Go] from body and from the group's own
// tasks for as long as any of them runs. A body that calls runtime.Goexit
// (t.FailNow in a test) still cancels the group and waits for its tasks.
//
// The result is nil if body and every task succeeded; tasks that ended
// cancelled are not failures, as in asyncio's TaskGroup. Otherwise it is a
// [*GroupError] holding a [*TaskError] for every task that failed, in the
// order they failed, and body's error if it returned one; the cancellation
// errors of the siblings the group cancelled are left out. If nothing failed
// but the group's tasks were cancelled because ctx ended, it is a
// [*CancelledError] with ctx's cause; if body returned a cancellation of its
// own, a [*CancelledError] with that as the cause.
//
// A join policy ([WithJoin]) replaces the rule above for the group's
// tasks: [CollectAll] cancels nothing and returns every failure,
// [FirstSuccess] cancels the rest at the first success; a failure of the
// body still cancels the group and is added to what the policy returns.
// [WithBacklog] bounds the queue for [Submit] and [TryGo]. The group counts
// its tasks as they finish: [Group.Progress].
//
// Options: [WithName], [WithLimit], [WithBacklog], [WithJoin].
func WithGroup(ctx context.Context, body func(ctx context.Context, g *Group) error, opts ...GroupOption) error {
	return withGroup(ctx, body, configOf(opts, GroupOption.applyGroup))
}

func withGroup(ctx context.Context, body func(ctx context.Context, g *Group) error, cfg config) error {
	g := &Group{id: lastGroupID.Add(1), name: cfg.name, slots: limiter{limit: cfg.limit, backlog: -1}}
	if cfg.hasBacklog {
		g.slots.backlog = cfg.backlog
	}
	if _, isDefault := cfg.join.(*failFast); !isDefault {
		g.join = cfg.join
	}
	if g.name == "" {
		g.name = "Group-" + strconv.FormatUint(g.id, 10)
	}
	if up := parentNode(ctx); up != nil {
		g.parent = up
		g.track = up.nodeTracker()
		if g.track != nil {
			// From the clock the scope's tasks read, so that the group
			// never seems younger than the tasks it starts.
			g.started = monoTime(trackerNow(g.track))
		}
	}
	gctx, cancel := context.WithCancelCause(ctx)
	g.ctx = nodeContext{Context: gctx, owner: g}
	g.cancel = cancel
	g.cancellable = ctx.Done() != nil // asked already by WithCancelCause
	if g.track != nil {
		if gt, ok := g.track.(groupTracker); ok {
			gt.trackGroup(g)
			defer gt.untrackGroup(g)
		}
	}

	bodyErr := g.runBody(ctx, body)
	errs, cancelled := g.close(ctx)

	if g.join != nil {
		var res error
		errs, res = g.joinResult()
		if res != nil && len(errs) == 0 {
			if errors.Is(res, ErrNoSuccess) && ctx.Err() != nil {
				// Nothing succeeded because the caller's context ended:
				// that is the reason to report.
				return &CancelledError{Task: g.name, Cause: context.Cause(ctx)}
			}
			return res
		}
	}
	if len(errs) > 0 {
		return &GroupError{Group: g.name, Errors: errs}
	}
	if (cancelled || bodyErr != nil) && ctx.Err() != nil {
		return &CancelledError{Task: g.name, Cause: context.Cause(ctx)}
	}
	if bodyErr != nil { // the body passed on a cancellation of its own
		return &CancelledError{Task: g.name, Cause: bodyErr}
	}
	return nil
}

// close waits until every task of the group has finished, then closes the
// group: tasks added from now on never run. It returns the failures and
// whether any task ended cancelled.
func (g *Group) close(ctx context.Context) (errs []error, cancelled bool) {
	if g.track != nil {
		// The task running the group now waits for the group's tasks.
		if w := trackedCurrent(ctx); w != nil {
			rec := waitRecord{target: g}
			defer w.restoreAwaiting(rec, w.setAwaiting(rec))
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	// alive, not active: a task counts as finished before its end is
	// published, but the group waits until its goroutine is done with it
	// (done callbacks included), so that nothing outlives WithGroup.
	for g.alive.Load() > 0 {
		idle := make(chan struct{})
		g.idle = idle
		g.mu.Unlock()
		<-idle
		g.mu.Lock()
	}
	g.closed = true
	g.changedLocked() // progress watchers see the end
	if g.wake != nil && !g.wake() {
		// The group was cancelled from above: let what closes the
		// channels finish, so that nothing outlives WithGroup.
		g.mu.Unlock()
		<-g.woken
		g.mu.Lock()
	}
	g.wake = nil
	g.waiters = nil
	g.cancel(ErrGroupClosed) // a no-op if the group was cancelled before
	return g.errs, g.cancelled.Load()
}

// groupTracker is a tracker that also records groups as nodes of the tree.
type groupTracker interface {
	trackGroup(g *Group)
	untrackGroup(g *Group)
}

// runBody runs the group's body, counting its failure, or its panic, as a
// failure of the group. It returns the body's error if that is a
// cancellation (see isCancellation): the body echoing the group's
// cancellation, or passing on one of its own; that is not a failure.
//
// A body that calls runtime.Goexit (t.FailNow in a test does) still cancels
// the group and waits for its tasks, on its way out: no task outlives
// WithGroup, however it ends.
func (g *Group) runBody(ctx context.Context, body func(context.Context, *Group) error) (cancelled error) {
	returned := false
	defer func() {
		var err error
		if r := recover(); r != nil {
			err = recovered(g.name, r)
		} else if !returned {
			g.fail(&TaskError{Task: g.name + " body", Err: ErrGoexit})
			g.close(ctx)
			return // runtime.Goexit goes on unwinding the goroutine
		}
		if err == nil {
			return
		}
		if isCancellation(err, &g.ctx) {
			cancelled = err
			return
		}
		cancelled = nil
		g.fail(&TaskError{Task: g.name + " body", Err: err})
	}()
	err := body(&g.ctx, g)
	returned = true
	if err != nil && isCancellation(err, &g.ctx) {
		return err
	}
	if err != nil {
		g.fail(&TaskError{Task: g.name + " body", Err: err})
	}
	return nil
}

// fail records a real failure and, if it is the first, cancels the group.
func (g *Group) fail(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.errs = append(g.errs, err)
	if !g.failed {
		g.failed = true
		g.cancelLocked(err)
	}
}

// cancelLocked cancels the group's context while g.mu is held. Queued tasks
// are taken from the queue only under g.mu, so once this returns none of them
// can find its context still alive: the cancellation has reached every task
// before any goroutine can start one.
func (g *Group) cancelLocked(cause error) {
	g.cancel(cause)
	g.closeWaitersLocked()
}

// watchDone records t, a task of the group whose context has just been
// given a Done channel of its own, so that the group closes the channel
// when it is cancelled; or closes it now if the group is cancelled
// already. A cancellation of the group's parent reaches the group's
// context through the standard library, which cannot call the group; an
// AfterFunc on the group's context, set up with the first channel, closes
// them then, in a goroutine of its own, so those channels close as the
// cancellation propagates, just after their Err reports it.
func (g *Group) watchDone(t *taskCore) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ctx.Err() != nil {
		t.closeDone()
		return
	}
	if g.cancellable && g.wake == nil && !g.closed {
		woken := make(chan struct{})
		g.woken = woken
		g.wake = context.AfterFunc(g.ctx.Context, func() {
			g.mu.Lock()
			g.closeWaitersLocked()
			g.mu.Unlock()
			close(woken)
		})
	}
	if n := len(g.waiters); n == cap(g.waiters) && n > 0 && g.active.Load() <= int64(n/2) {
		// Before the list grows, drop the tasks that have ended, whose
		// channels are closed, if that frees at least half of it: at
		// most active of its tasks are still running. Otherwise it grows
		// without a look at each task, which would find little to drop;
		// either way it stays within four times the running tasks.
		g.waiters = slices.DeleteFunc(g.waiters, (*taskCore).finished)
	}
	g.waiters = append(g.waiters, t)
}

// closeWaitersLocked closes the Done channel of every task in waiters.
// g.mu must be held.
func (g *Group) closeWaitersLocked() {
	for _, t := range g.waiters {
		t.closeDone()
	}
	clear(g.waiters)
	g.waiters = g.waiters[:0]
}

// Go adds a task running fn to group g and returns its handle. It never
// blocks: when the group is at its limit the task waits, [Pending], until a
// running task finishes, however many wait ([Submit] and [TryGo] respect
// a [WithBacklog] bound). fn's context is derived from the group's. A task
// added after the group has finished is not run and ends [Cancelled] with
// cause [ErrGroupClosed].
//
// Options: [WithName].
func Go[T any](g *Group, fn func(context.Context) (T, error), opts ...TaskOption) *Task[T] {
	return goTask(g, fn, fn, opts)
}

// errZeroGroup is the panic of a Group that was not made by WithGroup.
const errZeroGroup = "async: Group used outside WithGroup (a Group is made only by WithGroup; new(Group) and Group{} are not usable)"

func goTask[T any](g *Group, fn func(context.Context) (T, error), site any, opts []TaskOption) *Task[T] {
	if g.cancel == nil {
		panic(errZeroGroup)
	}
	t := newTask(&g.ctx, true, fn, site, opts)
	g.add(t, false)
	return t
}

// add puts r, a task just made for the group, in the group: it starts now,
// or waits in the queue behind the limit, or, if the group has finished,
// ends cancelled without running. reserved says that the caller reserved
// its place with reserve, so the group cannot have closed.
func (g *Group) add(r runner, reserved bool) {
	t := r.core()
	g.mu.Lock()
	if reserved {
		g.slots.reserved--
	} else {
		if g.closed {
			g.mu.Unlock()
			// The cause is ErrGroupClosed even though the task's context,
			// derived from the group's, may carry the failure or the parent's
			// cancellation that ended the group earlier.
			r.dropFunc()
			t.finishUnstarted(ErrGroupClosed, notAdded)
			return
		}
		g.alive.Add(1)
	}
	g.active.Add(1)
	g.added++
	g.changedLocked()
	if g.slots.atLimit() {
		if l := t.live.Load(); !unmade(l) && l.Err() != nil {
			// Cancelled while being added (found through AllTasks, as
			// Run's shutdown finds every task): Cancel could not take it
			// out of the queue yet, so it ends here rather than wait
			// behind the limit.
			g.mu.Unlock()
			r.dropFunc()
			t.finishUnstarted(context.Cause(l), noSlot)
			return
		}
		t.state.setQueued()
		g.slots.queue.push(r)
		g.mu.Unlock()
		return
	}
	g.slots.running++
	g.mu.Unlock()
	r.start()
}

// Go adds a task that returns only an error, like errgroup's Go; see [Go].
// The task it returns offers all that a [Task] does (done callbacks,
// SetName, progress); its result is the empty struct.
func (g *Group) Go(fn func(ctx context.Context) error, opts ...TaskOption) *Task[struct{}] {
	if g.cancel == nil {
		panic(errZeroGroup)
	}
	e := newErrTask(&g.ctx, true, fn, opts)
	g.add(e, false)
	return &e.Task
}

// taskFailed records the failure of one of the group's tasks and, if it is
// the first, cancels the group. It runs before the task's end is published.
func (g *Group) taskFailed(t *taskCore, err error) {
	g.fail(&TaskError{Task: t.Name(), Err: err})
}

// release accounts for a finished task before its end is published, so
// that whoever sees the task finished also sees its slot free and the count
// down (a TryGo right after <-Done() finds room; Len and Progress count the
// task as finished once Await has returned it). It returns the next queued
// task for the finishing goroutine to run, if any. slot says whether the
// task held a running slot (see finishUnstarted).
func (g *Group) release(state State, slot bool) runner {
	if state == Cancelled {
		g.cancelled.Store(true)
	}
	if !g.slots.limited() {
		// No queue, no running count: only progress watchers need to
		// hear of it. They look at active under the mutex after making
		// themselves known by watched, so one of the two sees the other.
		g.active.Add(-1)
		if g.watched.Load() {
			g.mu.Lock()
			g.changedLocked()
			g.mu.Unlock()
		}
		return nil
	}
	g.mu.Lock()
	g.active.Add(-1)
	var next runner
	if slot {
		next = g.slots.handOn()
	}
	g.changedLocked()
	g.mu.Unlock()
	return next
}

// exited is called once a finished task's goroutine is done with it, its
// end published and its callbacks run: close, waiting for the group to be
// idle, hears of it. close looks at alive under the mutex before waiting, so
// whichever of the two comes second sees the other.
func (g *Group) exited() {
	if g.alive.Add(-1) != 0 {
		return
	}
	g.mu.Lock()
	if g.alive.Load() == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
	g.mu.Unlock()
}

// unqueue takes t out of the group's queue if it is waiting there, and
// reports whether it was.
func (g *Group) unqueue(t *taskCore) bool {
	if !g.slots.limited() {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !t.state.queued() {
		return false
	}
	t.state.leaveQueue()
	g.slots.queue.markRemoved()
	return true
}

// Cancel cancels the group's context with cause (context.Canceled if nil):
// every running task is asked to stop and queued tasks never start. Tasks
// that end cancelled this way are not failures.
func (g *Group) Cancel(cause error) {
	if g.cancel == nil {
		panic(errZeroGroup)
	}
	if cause == nil {
		cause = context.Canceled
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cancelLocked(cause)
}

// Name returns the group's name: the one given with [WithName], or "Group-N".
func (g *Group) Name() string { return g.name }

// ID returns the group's number, unique among groups in the process.
func (g *Group) ID() uint64 { return g.id }

// Limit returns the most tasks the group runs at once, given with
// [WithLimit]; 0 for no limit (conc's MaxGoroutines).
func (g *Group) Limit() int { return max(g.slots.limit, 0) }

// Len returns how many of the group's tasks have not finished, queued ones
// included.
func (g *Group) Len() int { return int(g.active.Load()) }

func (g *Group) nodeTracker() tracker { return g.track }
