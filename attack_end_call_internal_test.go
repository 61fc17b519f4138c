package async

// Deterministic versions of two races of a call's context (callcontext.go)
// with the call's end, which TestAttackCallContextMadeElsewhereWhileSeenCancelled
// and TestAttackCallContextMadeAcrossTheReturn meet only now and then. The
// call's parent here is a context of the test's own, which can hold the
// goroutine making the call's context at the instant the race needs:
// inside context.WithCancelCause (its Done) or in the look at the parent
// that follows (its Err).

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// pausingParent is a context that one goroutine can be held in, once,
// at its next Done or Err. Its Err can say it is cancelled before its Done
// closes, as a task's context with a Done channel of its own may (see
// mayLag).
type pausingParent struct {
	done   chan struct{}
	err    atomic.Pointer[error]
	inDone atomic.Bool // the next Done is held
	inErr  atomic.Bool // the next Err is held
	paused chan struct{}
	let    chan struct{}
}

func newPausingParent() *pausingParent {
	return &pausingParent{done: make(chan struct{}), paused: make(chan struct{}), let: make(chan struct{})}
}

func (p *pausingParent) Deadline() (time.Time, bool) { return time.Time{}, false }
func (p *pausingParent) Value(any) any               { return nil }

func (p *pausingParent) Done() <-chan struct{} {
	if p.inDone.CompareAndSwap(true, false) {
		close(p.paused)
		<-p.let
	}
	return p.done
}

func (p *pausingParent) Err() error {
	var err error
	if e := p.err.Load(); e != nil {
		err = *e
	}
	if p.inErr.CompareAndSwap(true, false) {
		close(p.paused)
		<-p.let
	}
	return err
}

// cancelErr makes Err say err; Done stays open until closeDone.
func (p *pausingParent) cancelErr(err error) { p.err.Store(&err) }
func (p *pausingParent) closeDone()          { close(p.done) }

// waitPausedOr waits until a goroutine is held in p, or done is closed,
// and reports whether one is held.
func (p *pausingParent) waitPausedOr(done <-chan struct{}) bool {
	select {
	case <-p.paused:
		return true
	case <-done:
		return false
	}
}

// A call's context seen cancelled through its parent (whose Done has not
// closed yet), then made by another goroutine: a look at it while the
// maker is held in its look at the parent must still say cancelled. Before
// the fix, own published the context it made, not cancelled (the parent's
// Done is open), and cancelled it with the parent's cause only after that
// look: Err said nil in between.
func TestAttackEndCallMadeWhileSeenCancelled(t *testing.T) {
	p := newPausingParent()
	slab := newCallSlab(p)
	c, _ := slab.next()
	why := errors.New("parent's reason")
	p.cancelErr(why)
	first := c.Err()
	if first != why {
		t.Fatalf("the call's context says %v, its parent %v", first, why)
	}
	p.inErr.Store(true)
	made := make(chan struct{})
	go func() {
		c.Done()
		close(made)
	}()
	held := p.waitPausedOr(made)
	second := c.Err()
	close(p.let)
	<-made
	third := c.Err()
	p.closeDone()
	if second != first || third != first {
		t.Errorf("the call's context said %v, then %v while made elsewhere (maker held: %v), then %v", first, second, held, third)
	}
	if cause := context.Cause(c); cause != why {
		t.Errorf("the call's context's cause is %v, want %v", cause, why)
	}
}

// A call's context made by another goroutine across the call's return,
// the parent cancelled after the return: the context says the call
// returned, never the later cancellation. Before the fix, own looked at
// the call's state (running), then made a context of the parent; the end,
// in between, saw nothing made, and the parent's later cancellation
// reached what was made.
func TestAttackEndCallMadeAcrossTheReturn(t *testing.T) {
	p := newPausingParent()
	slab := newCallSlab(p)
	c, _ := slab.next()
	p.inDone.Store(true)
	made := make(chan struct{})
	go func() {
		c.Done()
		close(made)
	}()
	held := p.waitPausedOr(made)
	if c.end() {
		t.Fatal("end says the parent was cancelled")
	}
	later := errors.New("later")
	p.cancelErr(later)
	p.closeDone()
	close(p.let)
	<-made
	if err, cause := c.Err(), context.Cause(c); err != context.Canceled || cause != ErrTaskReturned {
		t.Errorf("the call's context, made across its return (maker held: %v), says %v (cause %v), want %v (cause %v)",
			held, err, cause, context.Canceled, ErrTaskReturned)
	}
}

// The same with the call's end deciding while a reader looks: a reader
// that saw the parent cancelled before the end recorded the call's end
// is told the same ever after, and one that saw it not cancelled may be
// told the call returned.
func TestAttackEndCallEndDecidesWhatReadersSaw(t *testing.T) {
	p := newPausingParent()
	slab := newCallSlab(p)
	c, _ := slab.next()
	p.inErr.Store(true)
	ended := make(chan bool)
	go func() { ended <- c.end() }() // looks at the parent (not cancelled) and is held
	<-p.paused
	why := errors.New("parent's reason")
	p.cancelErr(why)
	firstErr, firstCause := c.Err(), context.Cause(c)
	close(p.let)
	<-ended
	secondErr, secondCause := c.Err(), context.Cause(c)
	c.Done()
	thirdErr, thirdCause := c.Err(), context.Cause(c)
	p.closeDone()
	if firstErr != why || secondErr != why || thirdErr != why || firstCause != why || secondCause != why || thirdCause != why {
		t.Errorf("the call's context said %v (cause %v), then after its end %v (cause %v), then made %v (cause %v)",
			firstErr, firstCause, secondErr, secondCause, thirdErr, thirdCause)
	}
}
