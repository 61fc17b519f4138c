package async

import (
	"context"
	"errors"
	"runtime/debug"
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
	limit   int
	parent  node
	ctx     nodeContext
	cancel  context.CancelCauseFunc
	track   tracker
	started time.Time

	mu        sync.Mutex
	active    int      // tasks added and not yet finished
	running   int      // goroutines running the group's tasks (at most limit)
	queue     []runner // tasks waiting for a goroutine, oldest at head
	head      int
	errs      []error
	failed    bool // a real failure has cancelled the group
	cancelled bool // a task ended cancelled
	closed    bool
	idle      chan struct{} // closed when active drops to 0, if someone waits
}

// WithGroup runs body with a new [Group] and waits until body has returned
// and every task in the group has finished; only then does it return.
//
// body receives the group and the group's context, which is cancelled when
// ctx is, when [Group.Cancel] is called, or when a task fails (returns an
// error that is not its own cancellation, or panics). Tasks may be added
// with [Go] and [Group.Go] from body and from the group's own tasks for as
// long as any of them runs.
//
// The result is nil if body and every task succeeded. Otherwise it is a
// [*GroupError] holding a [*TaskError] for every task that failed, and
// body's error if it returned one; the cancellation errors of the siblings
// the group cancelled are left out. If nothing failed but the group's tasks
// were cancelled because ctx ended, it is a [*CancelledError] with ctx's cause.
//
// Options: [WithName], [WithLimit].
func WithGroup(ctx context.Context, body func(ctx context.Context, g *Group) error, opts ...Option) error {
	cfg := buildConfig(opts)
	g := &Group{id: lastGroupID.Add(1), name: cfg.name, limit: cfg.limit, started: time.Now()}
	if g.name == "" {
		g.name = "Group-" + strconv.FormatUint(g.id, 10)
	}
	if up := parentNode(ctx); up != nil {
		g.parent = up
		g.track = up.nodeTracker()
	}
	gctx, cancel := context.WithCancelCause(ctx)
	g.ctx = nodeContext{Context: gctx, owner: g}
	g.cancel = cancel
	if g.track != nil {
		if gt, ok := g.track.(groupTracker); ok {
			gt.trackGroup(g)
			defer gt.untrackGroup(g)
		}
	}

	bodyErr := g.runBody(body)

	if g.track != nil {
		// The task running the group now waits for the group's tasks.
		if w := trackedCurrent(ctx); w != nil {
			rec := waitRecord{target: g}
			defer w.restoreAwaiting(rec, w.setAwaiting(rec))
		}
	}
	g.mu.Lock()
	for g.active > 0 {
		idle := make(chan struct{})
		g.idle = idle
		g.mu.Unlock()
		<-idle
		g.mu.Lock()
	}
	g.closed = true
	errs, cancelled := g.errs, g.cancelled
	g.mu.Unlock()
	g.cancel(ErrGroupClosed) // also the cause for tasks added from now on

	if len(errs) > 0 {
		return &GroupError{Group: g.name, Errors: errs}
	}
	if (cancelled || bodyErr != nil) && ctx.Err() != nil {
		return &CancelledError{Task: g.name, Cause: context.Cause(ctx)}
	}
	return nil
}

// groupTracker is a tracker that also records groups as nodes of the tree.
type groupTracker interface {
	trackGroup(g *Group)
	untrackGroup(g *Group)
}

// runBody runs the group's body, counting its failure, or its panic, as a
// failure of the group. A body that returns its context's error after the
// group was cancelled is only echoing that cancellation.
func (g *Group) runBody(body func(context.Context, *Group) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Task: g.name, Value: r, Stack: debug.Stack()}
		}
		if err == nil {
			return
		}
		if g.ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Cause(&g.ctx))) {
			return
		}
		g.fail(&TaskError{Task: g.name + " body", Err: err})
	}()
	return body(&g.ctx, g)
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
}

// Go adds a task running fn to group g and returns its handle. It never
// blocks: when the group is at its limit the task waits, [Pending], until a
// running task finishes. fn's context is derived from the group's. A task
// added after the group has finished is not run and ends [Cancelled] with
// cause [ErrGroupClosed].
//
// Options: [WithName].
func Go[T any](g *Group, fn func(context.Context) (T, error), opts ...Option) *Task[T] {
	return goTask(g, fn, fn, opts)
}

func goTask[T any](g *Group, fn func(context.Context) (T, error), site any, opts []Option) *Task[T] {
	t := newTask(&g.ctx, fn, site, opts)
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		var zero T // its context, derived from the group's, is already cancelled with ErrGroupClosed
		t.finish(zero, nil, false)
		return t
	}
	t.group = g
	g.active++
	if g.limit > 0 && g.running >= g.limit {
		g.queue = append(g.queue, t)
		g.mu.Unlock()
		return t
	}
	g.running++
	g.mu.Unlock()
	go t.goroutine()
	return t
}

// Go adds a task that returns only an error, like errgroup's Go; see [Go].
func (g *Group) Go(fn func(ctx context.Context) error, opts ...Option) Handle {
	return goTask(g, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }, fn, opts)
}

// taskDone accounts for a finished task and returns the next queued task for
// the finishing goroutine to run, if any.
func (g *Group) taskDone(t *taskCore) runner {
	var failure error
	g.mu.Lock()
	switch State(t.state.Load()) {
	case Done:
		if t.err != nil {
			failure = &TaskError{Task: t.Name(), Err: t.err}
			t.markRetrieved()
			g.errs = append(g.errs, failure)
			if g.failed {
				failure = nil // the group is already cancelled
			}
			g.failed = true
		}
	case Cancelled:
		g.cancelled = true
	}
	g.active--
	var next runner
	if g.head < len(g.queue) {
		next = g.queue[g.head]
		g.queue[g.head] = nil
		g.head++
		if g.head == len(g.queue) {
			g.queue, g.head = g.queue[:0], 0
		}
	} else {
		g.running--
	}
	if failure != nil {
		g.cancelLocked(failure) // before next can run: see cancelLocked
	}
	if g.active == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
	g.mu.Unlock()
	return next
}

// Cancel cancels the group's context with cause (context.Canceled if nil):
// every running task is asked to stop and queued tasks never start. Tasks
// that end cancelled this way are not failures.
func (g *Group) Cancel(cause error) {
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

// Len returns how many of the group's tasks have not finished, queued ones
// included.
func (g *Group) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.active
}

func (g *Group) nodeTracker() tracker { return g.track }
