package async_test

// A task's end, with its context not made, looks at the parent (endMark)
// to decide whether the context ended cancelled by it, then records that
// (a stand-in in the task's live field). Whoever reads the context in
// between finds it not made and answers from the parent: if the parent
// was cancelled after the end looked, the reader is told the parent's
// cause, and the end must not record, after that, that the context ended
// with ErrTaskReturned (before the fix it did, every time). staleParent
// makes the window wide: once armed, its Err reads its answer, then waits
// until the test lets it go.

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

type staleParent struct {
	done   chan struct{}
	err    atomic.Pointer[error]
	armed  atomic.Bool
	paused chan struct{}
	let    chan struct{}
}

func (p *staleParent) Deadline() (time.Time, bool) { return time.Time{}, false }
func (p *staleParent) Done() <-chan struct{}       { return p.done }
func (p *staleParent) Value(any) any               { return nil }
func (p *staleParent) Err() error {
	var err error
	if e := p.err.Load(); e != nil {
		err = *e
	}
	if p.armed.CompareAndSwap(true, false) {
		close(p.paused)
		<-p.let
	}
	return err
}

func (p *staleParent) cancel() {
	err := context.Canceled
	p.err.Store(&err)
	close(p.done)
}

func TestAttackEndDecidesWhatReadersSaw(t *testing.T) {
	parent := &staleParent{done: make(chan struct{}), paused: make(chan struct{}), let: make(chan struct{})}
	task, ctx, release := spawnHeld(parent, false)
	parent.armed.Store(true)
	close(release) // the task ends; its end looks at the parent (not cancelled) and waits
	<-parent.paused
	parent.cancel()
	firstErr, firstCause := ctx.Err(), context.Cause(ctx)
	close(parent.let)
	task.Await(context.Background())
	secondErr, secondCause := ctx.Err(), context.Cause(ctx)
	if firstErr != secondErr || firstCause != secondCause {
		t.Errorf("the task's context said %v (cause %v), then %v (cause %v)", firstErr, firstCause, secondErr, secondCause)
	}
}

// The same with a context that has a Done channel of its own (ownDone),
// which the end records under the task's lock: the parent here has no Done
// channel (as a context that is never cancelled), so that the task's
// context gets one of its own, but its Err can still say cancelled, to
// hold the end at the instant between its look at the parent and what it
// records.
func TestAttackEndDecidesWhatReadersSawLight(t *testing.T) {
	parent := &staleParent{paused: make(chan struct{}), let: make(chan struct{})}
	task, ctx, release := spawnHeld(parent, true) // a channel of its own: the parent has none
	parent.armed.Store(true)
	close(release)
	<-parent.paused
	err := context.Canceled
	parent.err.Store(&err) // Err says cancelled; there is no channel to close
	firstErr, firstCause := ctx.Err(), context.Cause(ctx)
	close(parent.let)
	task.Await(context.Background())
	<-ctx.Done()
	secondErr, secondCause := ctx.Err(), context.Cause(ctx)
	if firstErr != context.Canceled || firstErr != secondErr || firstCause != secondCause {
		t.Errorf("the task's context said %v (cause %v), then %v (cause %v)", firstErr, firstCause, secondErr, secondCause)
	}
}

// A task that ends after its parent says it is cancelled, but before the
// parent's Done has closed (a context of another kind, which tells the
// contexts made from it later): its context, made after the end, keeps
// the parent's cause, which it said before, not the end's.
func TestAttackEndAfterParentWhoseDoneLags(t *testing.T) {
	parent := &staleParent{done: make(chan struct{})}
	task, ctx, release := spawnHeld(parent, false)
	err := context.Canceled
	parent.err.Store(&err) // Done closes later
	firstErr, firstCause := ctx.Err(), context.Cause(ctx)
	close(release)
	task.Await(context.Background())
	secondErr, secondCause := ctx.Err(), context.Cause(ctx)
	close(parent.done)
	thirdErr, thirdCause := ctx.Err(), context.Cause(ctx)
	if firstErr != context.Canceled || secondErr != firstErr || thirdErr != firstErr || secondCause != firstCause || thirdCause != firstCause {
		t.Errorf("the task's context said %v (cause %v), then after its end %v (cause %v), then %v (cause %v)",
			firstErr, firstCause, secondErr, secondCause, thirdErr, thirdCause)
	}
}

// A group's task whose context, not made, was told cancelled through the
// group's before it asked for Done: Done is a channel of its own, closed
// at once; a context derived from it, and the context after the task's
// end, say the group's cause.
func TestAttackEndSeenCancelledThenDone(t *testing.T) {
	why := errors.New("the parent's reason")
	parent, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var kept context.Context
	var saw [3]error
	_ = async.WithGroup(parent, func(_ context.Context, g *async.Group) error {
		g.Go(func(ctx context.Context) error {
			kept = ctx
			cancel(why)
			saw[0] = context.Cause(ctx) // told cancelled before Done
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
				t.Error("Done not closed after the group's parent was cancelled")
			}
			d, stop := context.WithCancel(ctx)
			defer stop()
			<-d.Done()
			saw[1] = context.Cause(d)
			saw[2] = context.Cause(ctx)
			return ctx.Err()
		})
		return nil
	})
	if err, cause := kept.Err(), context.Cause(kept); err != context.Canceled || cause != why || saw != [3]error{why, why, why} {
		t.Errorf("the task's context said cause %v, derived %v, then %v; after its end %v (cause %v)", saw[0], saw[1], saw[2], err, cause)
	}
}

// spawnHeld starts a task with parent whose function hands out its context
// and returns 0 once release is closed; asksDone makes it ask ctx.Done()
// first (a channel of its own, for a group task or a parent without one).
// It returns when the function has handed out its context.
func spawnHeld(parent context.Context, asksDone bool) (task *async.Task[int], ctx context.Context, release chan struct{}) {
	ctxs := make(chan context.Context, 1)
	release = make(chan struct{})
	task = async.Spawn(parent, func(ctx context.Context) (int, error) {
		if asksDone {
			ctx.Done()
		}
		ctxs <- ctx
		<-release
		return 0, nil
	})
	return task, <-ctxs, release
}
