package async

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"
)

// callContext is the context one call of [Map], [GatherFunc] or [ForEach]
// receives when a task makes several calls in turn (under a limit smaller
// than the number of calls): a context of the call's own, which ends when
// the call returns, derived from the task's.
//
// Like a task's own context (see taskContext), it is made only when
// something needs it: a Done channel, or a look after the call has
// returned. Until then it answers Err, Value and Deadline from its parent,
// which is what a context.WithCancelCause of the parent would answer: the
// two could only differ once the call has returned. A call that never asks
// for Done costs a share of an allocation (see callSlab) and no place among
// the parent's children; the context made is a real one, so that
// context.Cause, AfterFunc and derived contexts behave exactly as usual.
// As a task's, one made after the parent was cancelled says so at once,
// with the parent's cause.
//
// After the call has returned the context answers as if it had been made
// when the call began and cancelled when it returned: with the parent's
// error and cause if the parent was cancelled by then, else Canceled with
// [ErrTaskReturned]. Nothing that happens to the parent afterwards shows
// through.
type callContext struct {
	// state is the call's index in its slab (state >> callStateBits),
	// which locates the slab and, through it, the parent, and what the
	// call has come to (state & callStateMask): callRunning until it
	// returns, then callEnded or callEndedCancelled. It has no pointer,
	// so that a call writes none: a pointer written costs a write
	// barrier while the collector runs, which allocating calls keep it
	// doing.
	state uint32 // read and written atomically once the slab is shared
}

// A call's state: callRunning until it returns, then callEnded if its
// parent was not cancelled by then (a context made afterwards ends with
// ErrTaskReturned), or callEndedCancelled if it was (a context not made
// answers as the parent does, whose error and cause no later cancellation
// changes).
const (
	callRunning uint32 = iota
	callEnded
	callEndedCancelled

	callStateBits = 2
	callStateMask = 1<<callStateBits - 1
)

// callLive is a call's own context once made, and its cancel function.
type callLive struct {
	context.Context
	cancel context.CancelCauseFunc
}

// callSlabSize is how many call contexts a task making calls in turn
// allocates at once.
const callSlabSize = 64

// callSlab is the contexts of callSlabSize calls one task makes in turn,
// allocated at once: each call has a context of its own, which it may
// keep, for a fraction of an allocation. A context kept after its call
// keeps its slab alive (under 300 bytes).
type callSlab struct {
	parent context.Context                  // the task's context
	made   atomic.Pointer[callMadeContexts] // made when a call's own context first is
	used   int                              // contexts handed out; only the task touches it
	ctxs   [callSlabSize]callContext
}

// callMadeContexts is the contexts made of a slab's calls, by index.
type callMadeContexts [callSlabSize]atomic.Pointer[callLive]

// newCallSlab returns a slab of contexts for calls whose parent is parent.
func newCallSlab(parent context.Context) *callSlab {
	s := &callSlab{parent: parent}
	for i := range s.ctxs {
		s.ctxs[i].state = uint32(i) << callStateBits // not shared yet
	}
	return s
}

// next returns a fresh context for the next call, and the slab to take
// the one after from (a new one when this one is used up).
func (s *callSlab) next() (*callContext, *callSlab) {
	if s.used == callSlabSize {
		s = newCallSlab(s.parent)
	}
	c := &s.ctxs[s.used]
	s.used++
	return c, s
}

// slab returns the slab c is in, and c's index there.
func (c *callContext) slab() (*callSlab, int) {
	i := int(atomic.LoadUint32(&c.state) >> callStateBits)
	// c is element i of its slab's ctxs: the slab begins that far before
	// it, within the same allocation.
	p := unsafe.Add(unsafe.Pointer(c), -int(unsafe.Offsetof(callSlab{}.ctxs))-i*int(unsafe.Sizeof(callContext{})))
	return (*callSlab)(p), i
}

// madeLive returns the context made of c, or nil.
func (c *callContext) madeLive() *callLive {
	s, i := c.slab()
	if m := s.made.Load(); m != nil {
		return m[i].Load()
	}
	return nil
}

// own returns the context whose answers are the call's once it has been
// made, making it if needed: a context.WithCancelCause of the parent or,
// when the call ended after its parent was cancelled, the parent itself.
func (c *callContext) own() context.Context {
	s, i := c.slab()
	m := s.made.Load()
	if m == nil {
		s.made.CompareAndSwap(nil, new(callMadeContexts))
		m = s.made.Load()
	}
	for {
		if l := m[i].Load(); l != nil {
			return l.Context
		}
		st := atomic.LoadUint32(&c.state) & callStateMask
		if st == callEndedCancelled {
			return s.parent
		}
		base := s.parent
		if st == callEnded {
			// Ended before the parent was cancelled: made from a parent
			// that nothing cancels, so that no later cause shows.
			base = context.WithoutCancel(base)
		}
		ctx, cancel := context.WithCancelCause(base)
		if st == callEnded {
			cancel(ErrTaskReturned)
		}
		if !m[i].CompareAndSwap(nil, &callLive{Context: ctx, cancel: cancel}) {
			cancel(ErrTaskReturned) // another goroutine made it first
			continue
		}
		if st == callRunning {
			// Until now the call answered from its parent: if that said
			// cancelled, what was made says so too, with the parent's
			// cause, before anyone can ask it (see adoptParentCancel).
			// A parent whose Done closes after its Err reports the
			// cancellation (a task's context with a Done channel of its
			// own) would reach it only later.
			if s.parent.Err() != nil {
				cancel(context.Cause(s.parent))
			}
			if atomic.LoadUint32(&c.state)&callStateMask != callRunning {
				// The call returned meanwhile, and end may have missed
				// what was made: end it here too.
				cancel(ErrTaskReturned)
			}
		}
		return ctx
	}
}

// madeContext returns the call's own context if it has been made, making
// it if the call has ended since; nil while the parent's answers are the
// context's.
func (c *callContext) madeContext() context.Context {
	if l := c.madeLive(); l != nil {
		return l.Context
	}
	if atomic.LoadUint32(&c.state)&callStateMask == callEnded {
		return c.own()
	}
	return nil
}

// end ends the call's context when the call returns. It reports whether
// the parent was cancelled by then: the task making the calls takes no
// more.
//
// end sets the state, then looks for a context made; own publishes what
// it made, then looks at the state: one of the two sees the other, and
// cancels what was made.
func (c *callContext) end() (parentCancelled bool) {
	s, i := c.slab()
	parentCancelled = s.parent.Err() != nil
	st := callEnded
	if parentCancelled {
		st = callEndedCancelled
	}
	atomic.StoreUint32(&c.state, uint32(i)<<callStateBits|st)
	if m := s.made.Load(); m != nil {
		if l := m[i].Load(); l != nil {
			if parentCancelled {
				// The parent's cancellation may not have reached it yet
				// (see own); it ended cancelled by the parent.
				l.cancel(context.Cause(s.parent))
			} else {
				l.cancel(ErrTaskReturned)
			}
		}
	}
	return parentCancelled
}

// parent returns the context of the task making the call.
func (c *callContext) parent() context.Context {
	s, _ := c.slab()
	return s.parent
}

func (c *callContext) Deadline() (time.Time, bool) { return c.parent().Deadline() }

func (c *callContext) Done() <-chan struct{} { return c.own().Done() }

// Err answers, made or not, what a context.WithCancelCause of the parent
// would: the parent's error when the parent's cancellation ended it, even
// when the parent is not one of the standard library's own and says other
// than Canceled (as a task's context does; see taskContext.Err).
func (c *callContext) Err() error {
	parent := c.parent()
	l := c.madeContext()
	if l == nil {
		err := parent.Err()
		if err == nil {
			return nil
		}
		// Made meanwhile: it answers from now on, so it does now.
		if l = c.madeContext(); l == nil {
			return err
		}
	}
	err := l.Err()
	if err == nil {
		// The parent may tell it of its cancellation later than its Err
		// says so (see taskContext.Err): adopt it now.
		if !mayLag(parent) || parent.Err() == nil {
			return nil
		}
		if live := c.madeLive(); live != nil {
			live.cancel(context.Cause(parent))
		}
		err = l.Err()
	}
	if err != context.Canceled {
		return err
	}
	return cancelledErr(l, parent)
}

func (c *callContext) Value(key any) any {
	if l := c.madeContext(); l != nil {
		return l.Value(key)
	}
	return c.parent().Value(key)
}

func (c *callContext) String() string {
	if s, ok := c.parent().(fmt.Stringer); ok {
		return s.String() + ".WithCancel"
	}
	return "async.callContext"
}
