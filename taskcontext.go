package async

import (
	"context"
	"time"
)

// taskContext is the context a task's function receives: the task itself,
// seen as a context.Context, so that handing it over costs nothing.
//
// A task's own context — a context.WithCancelCause of the one it was started
// with, which Cancel cancels and which ends when the task does — is made
// only when something needs it: a Done channel, a Cancel, or a look at the
// context after the task has ended. Until then the task answers Err, Value
// and Deadline from its parent, which is what its own context would answer:
// it could only differ once cancelled or ended. Making it costs two
// allocations and, under a cancellable parent, a place in the parent's
// children; a task that never looks at its context pays neither. Because the
// context made is a real one, context.Cause, AfterFunc and derived contexts
// behave exactly as usual.
//
// A context made after the task ended answers as it would have had it been
// made at the start: what the parent said when the task ended, if it was
// cancelled by then, else ended with [ErrTaskReturned]. Nothing that
// happens to the parent afterwards shows through.
//
// Err on a context that is not made asks the parent; under tasks started
// one inside another, each with the previous one's context, that would be
// a walk of every enclosing task. So that Err costs the same at any depth,
// no more than maxUnmadeChain such contexts in a row stay unmade: starting
// a task deeper than that makes the context of the task that many levels
// up (see boundUnmadeChain).
type taskContext taskCore

// liveContext is a task's own context and the function that cancels it.
type liveContext struct {
	context.Context
	cancel context.CancelCauseFunc
}

// contextEnded and contextEndedCancelled stand in a task's live field when
// the task ended before anything made its context: whatever makes it
// afterwards makes it ended, as it was at the end. contextEnded: the parent
// was not cancelled then, so the context ended with ErrTaskReturned;
// contextEndedCancelled: the parent was, and its error and cause, which no
// later cancellation changes, are the context's.
var (
	contextEnded          = new(liveContext)
	contextEndedCancelled = new(liveContext)
)

// ended reports whether l is one of the stand-ins for an ended context.
func ended(l *liveContext) bool { return l == contextEnded || l == contextEndedCancelled }

// maxUnmadeChain is how many tasks in a row, each started with the previous
// one's context, may leave their contexts unmade: Err on the innermost asks
// each of them, so this bounds its cost at any depth.
const maxUnmadeChain = 4

// boundUnmadeChain keeps the chain of unmade task contexts above a task
// started with ctx at most maxUnmadeChain long, by making the context of
// the task at that distance when the chain would grow longer. The chain
// only ever shortens after that (contexts are made, tasks end), so each
// task starting looks at most that far up, and Err walks no further.
func boundUnmadeChain(ctx context.Context) {
	p, ok := ctx.(*taskContext)
	if !ok {
		return
	}
	x := (*taskCore)(p)
	for n := 1; x.live.Load() == nil; n++ {
		up, ok := x.base().(*taskContext)
		if !ok {
			return
		}
		if n == maxUnmadeChain {
			x.liveContext()
			return
		}
		x = (*taskCore)(up)
	}
}

// context returns the context the task's function receives.
func (t *taskCore) context() context.Context { return (*taskContext)(t) }

// base returns the context the task's own context derives from.
func (t *taskCore) base() context.Context {
	if x := t.extra.Load(); x != nil {
		if m := x.more.Load(); m != nil && m.trace.ctx != nil {
			return m.trace.ctx
		}
	}
	return t.parent
}

// liveContext returns the task's own context, making it if needed.
func (t *taskCore) liveContext() *liveContext {
	for {
		l := t.live.Load()
		if l != nil && !ended(l) {
			return l
		}
		base := t.base()
		if l == contextEnded {
			// Ended before the parent was cancelled: made from a parent
			// that nothing cancels, so that no later cause shows.
			base = context.WithoutCancel(base)
		}
		ctx, cancel := context.WithCancelCause(base)
		made := &liveContext{Context: ctx, cancel: cancel}
		if l != nil {
			cancel(ErrTaskReturned)
		}
		if t.live.CompareAndSwap(l, made) {
			return made
		}
		cancel(ErrTaskReturned) // another goroutine made it first
	}
}

// endContext ends the task's own context, when the task ends. If it was
// not made, it records whether the parent was cancelled by then, which is
// what the context answers if it is made afterwards.
func (t *taskCore) endContext() {
	l := t.live.Load()
	if l == nil {
		end := contextEnded
		if t.base().Err() != nil {
			end = contextEndedCancelled
		}
		if t.live.CompareAndSwap(nil, end) {
			return
		}
		l = t.live.Load() // made meanwhile
	}
	l.cancel(ErrTaskReturned)
}

// made returns the task's own context if it has been made, or nil.
func (c *taskContext) made() *liveContext {
	t := (*taskCore)(c)
	switch l := t.live.Load(); l {
	case nil:
		return nil
	case contextEnded, contextEndedCancelled:
		return t.liveContext()
	default:
		return l
	}
}

func (c *taskContext) Deadline() (time.Time, bool) { return (*taskCore)(c).base().Deadline() }

func (c *taskContext) Done() <-chan struct{} { return (*taskCore)(c).liveContext().Done() }

// Err answers, made or not, what the context not made answers: the
// parent's error when the parent's cancellation is what ended it. A made
// context holds the standard library's error instead, context.Canceled,
// when the parent is not one of the standard library's own and says
// otherwise (a TimeoutScope's context says DeadlineExceeded once expired);
// the same cause tells that the parent's cancellation reached it first.
func (c *taskContext) Err() error {
	if l := c.made(); l != nil {
		err := l.Err()
		if err == context.Canceled {
			base := (*taskCore)(c).base()
			if berr := base.Err(); berr != nil && berr != err && context.Cause(l) == context.Cause(base) {
				return berr
			}
		}
		return err
	}
	return (*taskCore)(c).base().Err()
}

func (c *taskContext) Value(key any) any {
	if _, ok := key.(nodeKey); ok {
		return (*taskCore)(c)
	}
	if l := c.made(); l != nil {
		return l.Value(key)
	}
	return (*taskCore)(c).base().Value(key)
}

func (c *taskContext) String() string {
	return "async.TaskContext(" + (*taskCore)(c).Name() + ")"
}
