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
type taskContext taskCore

// liveContext is a task's own context and the function that cancels it.
type liveContext struct {
	context.Context
	cancel context.CancelCauseFunc
}

// contextEnded stands in a task's live field when the task ended before
// anything made its context: whatever makes it afterwards makes it ended.
var contextEnded = new(liveContext)

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
		if l != nil && l != contextEnded {
			return l
		}
		ctx, cancel := context.WithCancelCause(t.base())
		made := &liveContext{Context: ctx, cancel: cancel}
		if l == contextEnded {
			cancel(ErrTaskReturned)
		}
		if t.live.CompareAndSwap(l, made) {
			return made
		}
		cancel(ErrTaskReturned) // another goroutine made it first
	}
}

// endContext ends the task's own context, when the task ends.
func (t *taskCore) endContext() {
	if !t.live.CompareAndSwap(nil, contextEnded) {
		t.live.Load().cancel(ErrTaskReturned)
	}
}

// made returns the task's own context if it has been made, or nil.
func (c *taskContext) made() *liveContext {
	t := (*taskCore)(c)
	switch l := t.live.Load(); l {
	case nil:
		return nil
	case contextEnded:
		return t.liveContext()
	default:
		return l
	}
}

func (c *taskContext) Deadline() (time.Time, bool) { return (*taskCore)(c).base().Deadline() }

func (c *taskContext) Done() <-chan struct{} { return (*taskCore)(c).liveContext().Done() }

func (c *taskContext) Err() error {
	if l := c.made(); l != nil {
		return l.Err()
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
