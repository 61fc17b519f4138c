package async

import (
	"context"
	"fmt"
	"runtime"
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
	// call and its context have come to (state & callStateMask; see
	// callRunning). It has no pointer, so that a call writes none: a
	// pointer written costs a write barrier while the collector runs,
	// which allocating calls keep it doing.
	state uint32 // read and written atomically once the slab is shared
}

// A call's state: callRunning until it returns or its context is made or
// seen cancelled, callSeenCancelled once someone was told, by the parent,
// that its context (not made) is cancelled, callMade once its context is
// made while it runs (see own). When it returns, callRunning becomes
// callEnded if its parent was not cancelled by then (a context made
// afterwards ends with ErrTaskReturned), or callEndedCancelled if it was
// (a context not made answers as the parent does, whose error and cause
// no later cancellation changes); callSeenCancelled becomes
// callEndedCancelled, whatever the end saw of the parent; callMade stays,
// and the end cancels what was made. Each of these changes is one
// compare-and-swap: whoever makes it decides, and the others see it.
const (
	callRunning uint32 = iota
	callEnded
	callEndedCancelled
	callSeenCancelled
	callMade

	callStateBits = 3
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

// madeLive returns the context made of c, or nil. A context made while
// the call ran is published just after the state says callMade: it waits
// for that.
func (c *callContext) madeLive() *callLive {
	s, i := c.slab()
	for {
		if m := s.made.Load(); m != nil {
			if l := m[i].Load(); l != nil {
				return l
			}
		}
		if atomic.LoadUint32(&c.state)&callStateMask != callMade {
			return nil
		}
		runtime.Gosched() // the maker stores it next
	}
}

// own returns the context whose answers are the call's once it has been
// made, making it if needed: a context.WithCancelCause of the parent or,
// when the call ended after its parent was cancelled, the parent itself.
//
// While the call runs, what is made is cancelled with the parent's cause
// if anyone was told it is cancelled (callSeenCancelled) or the parent
// says so, and only then published, by the compare-and-swap to callMade:
// no one can see it before it says what the context not made said, and if
// the call returned first (its end's compare-and-swap came first), it is
// dropped and the context made as the end recorded it.
func (c *callContext) own() context.Context {
	s, i := c.slab()
	m := s.made.Load()
	if m == nil {
		s.made.CompareAndSwap(nil, new(callMadeContexts))
		m = s.made.Load()
	}
	var made *callLive // made while the call ran, not published yet
	defer func() {
		if made != nil {
			made.cancel(ErrTaskReturned) // not used: taken out of the parent's children
		}
	}()
	for {
		if l := c.madeLive(); l != nil {
			return l.Context
		}
		state := atomic.LoadUint32(&c.state)
		switch state & callStateMask {
		case callEndedCancelled:
			return s.parent
		case callEnded:
			// Ended before the parent was cancelled: made from a parent
			// that nothing cancels, so that no later cause shows.
			ctx, cancel := context.WithCancelCause(context.WithoutCancel(s.parent))
			cancel(ErrTaskReturned)
			if m[i].CompareAndSwap(nil, &callLive{Context: ctx, cancel: cancel}) {
				return ctx
			}
			// another goroutine made it first
		case callRunning, callSeenCancelled:
			if made == nil {
				ctx, cancel := context.WithCancelCause(s.parent)
				made = &callLive{Context: ctx, cancel: cancel}
			}
			// Until now the call answered from its parent: if that said
			// cancelled, what was made says so too, with the parent's
			// cause, before anyone can ask it. A parent whose Done closes
			// after its Err reports the cancellation (a task's context
			// with a Done channel of its own) would reach it only later.
			if state&callStateMask == callSeenCancelled || s.parent.Err() != nil {
				made.cancel(context.Cause(s.parent))
			}
			if atomic.CompareAndSwapUint32(&c.state, state, state&^callStateMask|callMade) {
				m[i].Store(made)
				l := made
				made = nil
				return l.Context
			}
			// seen cancelled, made, or ended, meanwhile
		}
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

// seenCancelled records that the call's context, not made, is told
// cancelled through its parent, which Err has just seen cancelled, so that
// the call's end cannot take that back. It returns the context if it was
// made, or the call ended before the parent's cancellation, meanwhile:
// that answers instead.
func (c *callContext) seenCancelled() context.Context {
	for {
		state := atomic.LoadUint32(&c.state)
		switch state & callStateMask {
		case callSeenCancelled, callEndedCancelled:
			return nil
		case callRunning:
			if atomic.CompareAndSwapUint32(&c.state, state, state|callSeenCancelled) {
				return nil
			}
		default:
			return c.madeContext()
		}
	}
}

// end ends the call's context when the call returns. It reports whether
// the parent was cancelled by then: the task making the calls takes no
// more.
//
// A call whose context nobody made or saw cancelled ends with one
// compare-and-swap of its state; one whose context was made ends that
// context, as a task's end does its own.
func (c *callContext) end() (parentCancelled bool) {
	s, i := c.slab()
	parentCancelled = s.parent.Err() != nil
	st := callEnded
	if parentCancelled {
		st = callEndedCancelled
	}
	running := uint32(i) << callStateBits // and callRunning, 0
	if atomic.CompareAndSwapUint32(&c.state, running, running|st) {
		return parentCancelled
	}
	for {
		state := atomic.LoadUint32(&c.state)
		switch state & callStateMask {
		case callSeenCancelled:
			// Someone was told the parent's cancellation, perhaps after
			// the look above: the call ended cancelled by the parent.
			if atomic.CompareAndSwapUint32(&c.state, state, state&^callStateMask|callEndedCancelled) {
				return true
			}
		case callMade:
			l := c.madeLive()
			if parentCancelled {
				// The parent's cancellation may not have reached it yet
				// (see own); it ended cancelled by the parent.
				l.cancel(context.Cause(s.parent))
			} else {
				l.cancel(ErrTaskReturned)
			}
			return parentCancelled
		default:
			return parentCancelled // ended already
		}
	}
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
		// Told cancelled from now on, unless made or ended meanwhile:
		// what was made answers from now on, so it does now.
		if l = c.seenCancelled(); l == nil {
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
