package async

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
)

// IndexError is the error of one call of [Map] or [GatherFunc], as its join
// policy sees it and as they return it: the index of its item or function,
// and what the call returned (a [*PanicError] for a panic, a
// [*CancelledError] for a call cancelled or never made). errors.Is and
// errors.As see through it.
type IndexError struct {
	What  string // "item" for Map, "function" for GatherFunc
	Index int
	Err   error
}

// Error returns e.g. "item 3: connection refused".
func (e *IndexError) Error() string {
	return e.What + " " + strconv.Itoa(e.Index) + ": " + e.Err.Error()
}

// Unwrap returns the call's error.
func (e *IndexError) Unwrap() error { return e.Err }

// fanOut is the one engine of [Map] and [GatherFunc]. It makes call i for
// every i in [0, n), at most cfg.limit at a time, keeps each success's
// result at its index, and leaves what a call's end means to the join
// policy, through the JoinPolicy interface alone: every call's end, made
// or not, is handed to Join (as a Handle of the call, with nil, an
// IndexError of its failure, or an IndexError of a CancelledError); a cause
// Join returns cancels the calls still running and keeps the rest from
// starting; Result is the error returned. The one rule the engine adds is
// the caller's: when ctx ended and the policy reports no failure, the error
// is a CancelledError with ctx's cause, as WithGroup's.
//
// Under a limit smaller than n, limit tasks take the indices in turn (the
// same concurrency as a task per call queued behind the limit, without
// making n tasks up front), each call with a callContext of its own.
// Otherwise each call is a task of its own, and its context the task's.
func fanOut[T any](ctx context.Context, what string, n int, call func(context.Context, int) (T, error), cfg config) ([]T, error) {
	policy := cfg.join
	if policy == nil {
		policy = FailFast()
	}
	name := cfg.name
	if name == "" {
		name = what + "s"
	}
	e := &fanOutRun[T]{what: what, policy: policy, out: make([]T, n), errored: cfg.errored}
	_, e.blind = policy.(successBlind)
	workers := n
	if limit := cfg.limit; limit > 0 && limit < n {
		workers = limit
	}
	var next atomic.Int64 // under a limit, the next index to take
	var called []bool     // without one, which calls were made
	_ = withGroup(ctx, func(ctx context.Context, g *Group) error {
		e.g = g
		if workers == n {
			// A task per call: the call's context is the task's own,
			// which ends when the call returns.
			called = make([]bool, n)
			each := &taskPerCall[T]{e: e, call: call, called: called}
			for i := range n {
				// Each task's closure holds only each and i: it is
				// allocated per call, and the smaller the better.
				g.Go(func(ctx context.Context) error { each.make(ctx, i); return nil })
			}
			return nil
		}
		// Each task takes the next index until none is left, so that the
		// calls made are exactly those below next: a task that never
		// started (its group cancelled first) leaves no index behind. Each
		// call gets a context of its own, derived from the task's.
		for range workers {
			g.Go(func(ctx context.Context) error {
				e.inTurn(ctx, &next, n, call)
				return nil
			})
		}
		return nil
	}, config{name: cfg.name, limit: cfg.limit})

	// Calls never made end cancelled too, as a group's queued tasks do.
	first := 0
	if called == nil {
		first = min(int(next.Load()), n)
	}
	for i := first; i < n; i++ {
		if called != nil && called[i] {
			continue
		}
		cause := e.stop
		if cause == nil {
			cause = context.Cause(ctx)
		}
		if cause == nil {
			cause = context.Canceled
		}
		c := &fanCall[T]{what: what, idx: i, cancelled: true}
		c.err = &IndexError{What: what, Index: i, Err: &CancelledError{Task: c.Name(), Cause: cause}}
		e.join(c)
	}
	res := e.result(name)
	if ctx.Err() != nil && !e.allDone && (res == nil || isCancellation(res, ctx) || errors.Is(res, ErrNoSuccess)) {
		res = &CancelledError{Task: name, Cause: context.Cause(ctx)}
	}
	return e.out, res
}

// taskPerCall is what the tasks of a fanOut making a task per call share.
type taskPerCall[T any] struct {
	e      *fanOutRun[T]
	call   func(context.Context, int) (T, error)
	called []bool // which calls were made
}

// make makes call i with ctx, its task's context, unless ctx has ended (a
// cause from the policy, or the fan-out's ctx ended).
func (p *taskPerCall[T]) make(ctx context.Context, i int) {
	if ctx.Err() == nil {
		p.called[i] = true
		p.e.one(ctx, i, p.call)
	}
}

// fanOutRun is one run of fanOut.
type fanOutRun[T any] struct {
	what    string
	errored bool // keep the values of calls that failed
	blind   bool // the policy is a successBlind
	policy  JoinPolicy
	g       *Group
	out     []T
	mu      sync.Mutex // one Join at a time; guards what follows
	stop    error      // the first cause Join returned
	panics  []error    // the policy's panics, as failures
	failed  bool       // a call did not succeed
	allDone bool       // set by result: every call succeeded
}

// inTurn makes calls, taking the next index each time, until none is
// left or ctx, the task's context, is cancelled (by a cause from the
// policy, or because the fan-out's ctx ended). Each call gets a
// callContext of its own.
func (e *fanOutRun[T]) inTurn(ctx context.Context, next *atomic.Int64, n int, call func(context.Context, int) (T, error)) {
	if ctx.Err() != nil {
		return
	}
	slab := newCallSlab(ctx)
	for e.untilPanic(&slab, next, n, call) {
	}
}

// untilPanic makes calls in turn, as inTurn, until a call panics; it then
// hands that call's end to the policy and reports whether to go on. One
// deferred recover serves every call up to the panic, rather than one per
// call.
func (e *fanOutRun[T]) untilPanic(slab **callSlab, next *atomic.Int64, n int, call func(context.Context, int) (T, error)) (goOn bool) {
	// The slab is kept in s, on the stack, and given back when this
	// returns: writing it through slab at every call would cost a write
	// barrier each time while the collector runs.
	s := *slab
	var cctx *callContext
	i := 0
	returned := true
	defer func() {
		*slab = s
		if returned {
			return
		}
		r := recover()
		if r == nil { // runtime.Goexit: the goroutine ends, and the call with it
			cctx.end()
			return
		}
		var zero T
		e.ended(cctx, i, zero, recovered(e.what+" "+strconv.Itoa(i), r))
		goOn = !cctx.end()
	}()
	for {
		i = int(next.Add(1) - 1)
		if i >= n {
			return false
		}
		cctx, s = s.next()
		returned = false
		v, err := call(cctx, i)
		returned = true
		if err == nil && e.blind {
			e.out[i] = v // all that ended would do, without calling it
		} else {
			e.ended(cctx, i, v, err)
		}
		if cctx.end() {
			return false
		}
	}
}

// one makes call i with ctx, the call's own context, and hands its end to
// the policy.
func (e *fanOutRun[T]) one(ctx context.Context, i int, call func(context.Context, int) (T, error)) {
	v, err := e.safeCall(ctx, i, call)
	e.ended(ctx, i, v, err)
}

// ended keeps the result of call i, which returned v and err with cctx as
// its context (not yet ended), and hands its end to the policy.
func (e *fanOutRun[T]) ended(cctx context.Context, i int, v T, err error) {
	if err == nil {
		e.out[i] = v
		if e.blind {
			// The policy ignores successes: it need not be told, and a
			// success costs neither a handle nor the lock.
			return
		}
	}
	c := &fanCall[T]{what: e.what, idx: i}
	switch cancelled, cause := cancellation(err, cctx); {
	case err == nil:
		c.val = v
	case cancelled:
		c.cancelled = true
		c.err = &IndexError{What: e.what, Index: i, Err: &CancelledError{Task: c.Name(), Cause: cause}}
	default:
		c.err = &IndexError{What: e.what, Index: i, Err: err}
	}
	if err != nil && e.errored {
		e.out[i] = v
	}
	e.join(c)
}

// safeCall makes the call, turning its panic into a PanicError.
func (e *fanOutRun[T]) safeCall(ctx context.Context, i int, call func(context.Context, int) (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(e.what+" "+strconv.Itoa(i), r)
		}
	}()
	return call(ctx, i)
}

// join hands a call's end to the policy and cancels the rest if it says
// so. A policy that panics is a failure of the fan-out, reported as such,
// and cancels it, as in a group.
func (e *fanOutRun[T]) join(c *fanCall[T]) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c.err != nil {
		e.failed = true
	}
	cause := e.callPolicy(func() error { return e.policy.Join(c, c.err) })
	if cause != nil && e.stop == nil {
		e.stop = cause
		if e.g != nil {
			e.g.Cancel(cause)
		}
	}
}

// callPolicy calls f, one of the policy's methods, recording a panic. e.mu
// must be held.
func (e *fanOutRun[T]) callPolicy(f func() error) (res error) {
	defer func() {
		if r := recover(); r != nil {
			pe := recovered("join policy", r)
			e.panics = append(e.panics, &TaskError{Task: "join policy", Err: pe})
			res = pe
		}
	}()
	return f()
}

// result is the policy's Result, a GroupError named after the fan-out,
// with the policy's own panics added.
func (e *fanOutRun[T]) result(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.allDone = !e.failed
	n := len(e.panics)
	res := e.callPolicy(e.policy.Result)
	if len(e.panics) > n { // Result itself panicked
		res = nil
	}
	errs := e.panics
	var ge *GroupError
	switch {
	case errors.As(res, &ge) && res == error(ge):
		errs = append(errs, ge.Errors...)
	case res != nil && len(errs) > 0:
		errs = append(errs, res)
	case res != nil:
		return res
	}
	if len(errs) == 0 {
		return nil
	}
	return &GroupError{Group: name, Errors: errs}
}

// successBlind is a policy whose Join does nothing for a success (err nil):
// it records nothing and returns nil. The engine hands such a policy only
// the calls that did not succeed. FailFast and CollectAll are; FirstSuccess
// and a policy of the user's are not, and see every call.
type successBlind interface{ ignoresSuccess() }

// fanCall is one call of Map or GatherFunc as its join policy sees it: a
// Handle of something that has ended, with its index and, like a *Task[T],
// its result (see WinnerResult).
type fanCall[T any] struct {
	id        atomic.Uint64 // made on first use
	what      string
	idx       int
	val       T
	err       error // an *IndexError, or nil
	cancelled bool
}

func (c *fanCall[T]) ID() uint64 {
	if id := c.id.Load(); id != 0 {
		return id
	}
	c.id.CompareAndSwap(0, lastTaskID.Add(1))
	return c.id.Load()
}
func (c *fanCall[T]) Name() string          { return c.what + " " + strconv.Itoa(c.idx) }
func (c *fanCall[T]) Done() <-chan struct{} { return closedChan }
func (c *fanCall[T]) Cancel(error) bool     { return false } // it has ended
func (c *fanCall[T]) Cancelled() bool       { return c.cancelled }
func (c *fanCall[T]) Err() error            { return c.err }
func (c *fanCall[T]) Progress() Progress    { return Progress{} }
func (c *fanCall[T]) Result() (T, error)    { return c.val, c.err }
func (c *fanCall[T]) callIndex() int        { return c.idx }
func (*fanCall[T]) sealed()                 {}

func (c *fanCall[T]) State() State {
	if c.cancelled {
		return Cancelled
	}
	return Done
}
