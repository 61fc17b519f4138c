package async_test

// A task's context not made yet answers Err and Cause from its parent. If
// Cancel makes it while the parent's cancellation is on its way to the
// contexts derived from the parent (the standard library closes the
// parent's Done, then cancels its children one by one), Cancel's cause
// can reach the made context first: the function has seen its context
// cancelled, with the parent's cause, and afterwards it says Cancel's.
// TestAttackCancelledByWhomAgrees (attack_core_cancel_test.go) met this
// once in 450,000 rounds, with a group task's context (its own Done
// channel only) and the group's parent cancelled; this test makes the
// window wide with a parent whose derived contexts hear of its
// cancellation when the test says.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

// slowParent is a context whose cancellation reaches the contexts derived
// from it some time after its own Err says it is cancelled, as the
// standard library's does (it cancels its children one by one after it
// has closed its Done channel). Here the test says when: AfterFunc,
// through which derived contexts register, holds the registering
// goroutine until let is closed, and the functions run when fire is
// called.
type slowParent struct {
	done        chan struct{}
	err         atomic.Pointer[error]
	registering chan struct{}
	let         chan struct{}
	mu          sync.Mutex
	fs          []func()
}

func (p *slowParent) Deadline() (time.Time, bool) { return time.Time{}, false }
func (p *slowParent) Done() <-chan struct{}       { return p.done }
func (p *slowParent) Value(any) any               { return nil }
func (p *slowParent) Err() error {
	if e := p.err.Load(); e != nil {
		return *e
	}
	return nil
}

func (p *slowParent) cancel() {
	err := context.Canceled
	p.err.Store(&err)
	close(p.done)
}

func (p *slowParent) AfterFunc(f func()) func() bool {
	close(p.registering)
	<-p.let
	p.mu.Lock()
	p.fs = append(p.fs, f)
	p.mu.Unlock()
	return func() bool { return false }
}

func (p *slowParent) fire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.fs {
		f()
	}
}

// The cause a task's context was seen cancelled with stays its cause.
func TestAttackCauseSeenThroughTheParentStays(t *testing.T) {
	parent := &slowParent{done: make(chan struct{}), registering: make(chan struct{}), let: make(chan struct{})}
	causeSelf := errors.New("own cause")

	look := make(chan struct{})
	seen := make(chan error)
	task := async.Spawn(context.Context(parent), func(ctx context.Context) (int, error) {
		for range look {
			if ctx.Err() != nil {
				seen <- context.Cause(ctx)
			} else {
				seen <- nil
			}
		}
		return 0, ctx.Err()
	})
	look <- struct{}{}
	if c := <-seen; c != nil {
		t.Fatalf("before anything: cause %v", c)
	}
	cancelled := make(chan bool)
	go func() { cancelled <- task.Cancel(causeSelf) }()
	<-parent.registering // Cancel is making the task's context
	parent.cancel()
	look <- struct{}{}
	first := <-seen // through the parent: the context is not made yet
	close(parent.let)
	took := <-cancelled
	look <- struct{}{}
	second := <-seen
	close(look)
	parent.fire()
	task.Await(context.Background())
	if first != second {
		t.Errorf("the task's context said it was cancelled with %v, then with %v (Cancel reported %v)", first, second, took)
	}
}

// A task's context seen cancelled through its parent stays cancelled when
// something makes it afterwards (here its Done channel) before the
// parent's cancellation has reached the context made.
func TestAttackErrSeenThroughTheParentStays(t *testing.T) {
	parent := &slowParent{done: make(chan struct{}), registering: make(chan struct{}), let: make(chan struct{})}
	task, ctx, release := spawnHeld(parent, false)
	if err := ctx.Err(); err != nil {
		t.Fatalf("before anything: %v", err)
	}
	made := make(chan (<-chan struct{}))
	go func() { made <- ctx.Done() }() // makes the task's context
	<-parent.registering
	parent.cancel()
	firstErr, firstCause := ctx.Err(), context.Cause(ctx)
	close(parent.let)
	done := <-made
	secondErr, secondCause := ctx.Err(), context.Cause(ctx)
	closed := false
	select {
	case <-done:
		closed = true
	default:
	}
	parent.fire()
	close(release)
	task.Await(context.Background())
	if firstErr == nil || firstErr != secondErr || firstCause != secondCause {
		t.Errorf("through the parent: %v (cause %v); once made: %v (cause %v)", firstErr, firstCause, secondErr, secondCause)
	}
	if !closed {
		t.Errorf("the context says %v, but its Done channel is open", secondErr)
	}
}

// A context derived from a task's context, and the task's own once made,
// give the cause of the parent's cancellation, which a Cancel after it does
// not change.
func TestAttackCauseOfAStandardParentStays(t *testing.T) {
	for _, group := range []bool{false, true} {
		parent, cancelParent := context.WithCancelCause(context.Background())
		why := errors.New("parent's reason")
		ctxs := make(chan context.Context)
		release := make(chan struct{})
		body := func(ctx context.Context) (int, error) {
			ctxs <- ctx
			<-release
			return 0, ctx.Err()
		}
		tasks := make(chan *async.Task[int], 1)
		groupDone := make(chan error, 1)
		if group {
			go func() {
				groupDone <- async.WithGroup(parent, func(_ context.Context, g *async.Group) error {
					tasks <- async.Go(g, body)
					return nil
				})
			}()
		} else {
			tasks <- async.Spawn(parent, body)
			groupDone <- nil
		}
		task := <-tasks
		ctx := <-ctxs
		if c := context.Cause(ctx); c != nil {
			t.Fatalf("group %v: cause %v before anything", group, c)
		}
		_ = ctx.Done()
		cancelParent(why)
		first := context.Cause(ctx)
		if !task.Cancel(errors.New("too late")) {
			t.Errorf("group %v: Cancel after the parent's cancellation reported false; the task was still running", group)
		}
		second := context.Cause(ctx)
		close(release)
		task.Await(context.Background())
		<-groupDone
		if first != why || second != why {
			t.Errorf("group %v: cause %v, then %v; want %v", group, first, second, why)
		}
	}
}

// A task waiting behind its group's limit that Cancel takes out of the
// queue after the group's parent was cancelled ends with the parent's
// cause, as its context says (Cancel's doc).
func TestCancelQueuedAfterTheParentKeepsTheParentsCause(t *testing.T) {
	parent, cancelParent := context.WithCancelCause(context.Background())
	why := errors.New("parent's reason")
	release := make(chan struct{})
	queued := make(chan *async.Task[int], 1)
	groupDone := make(chan error, 1)
	go func() {
		groupDone <- async.WithGroup(parent, func(_ context.Context, g *async.Group) error {
			async.Go(g, func(context.Context) (int, error) { <-release; return 0, nil })
			queued <- async.Go(g, func(context.Context) (int, error) { return 1, nil })
			return nil
		}, async.WithLimit(1))
	}()
	task := <-queued
	cancelParent(why)
	took := task.Cancel(errors.New("too late"))
	close(release)
	<-groupDone
	if !took {
		t.Errorf("Cancel of a queued task reported false")
	}
	_, err := task.Result()
	var ce *async.CancelledError
	if !errors.As(err, &ce) || ce.Cause != why {
		t.Errorf("the queued task ended with %v; want a CancelledError with cause %v", err, why)
	}
	if task.State() != async.Cancelled {
		t.Errorf("state %v, want Cancelled", task.State())
	}
}

// A call of Map (here under a limit, so that one task makes the calls in
// turn, each with a context of its own made on demand) whose context was
// seen cancelled through its parent, the task's context, stays cancelled
// with the same cause when its Done makes it, and after the call. The
// task's context has a Done channel of its own (an earlier call asked),
// which its group closes in a goroutine of the standard library's
// AfterFunc after the group's context is cancelled: in between, the task's
// context says cancelled and its Done is open.
func TestAttackCallContextSeenCancelledStaysCancelled(t *testing.T) {
	rounds := 2000
	if testing.Short() {
		rounds = 200
	}
	spinYields := runtime.GOMAXPROCS(0) < 2 // else the canceller waits for a preemption
	why := errors.New("parent's reason")
	bad := 0
	for range rounds {
		parent, cancel := context.WithCancelCause(context.Background())
		started := make(chan struct{})
		go func() { <-started; cancel(why) }()
		var kept context.Context
		var firstErr, firstCause, madeErr, madeCause error
		_, _ = async.Map(parent, []int{0, 1}, func(ctx context.Context, i int) (int, error) {
			if i == 0 {
				ctx.Done() // the task's context gets a Done channel of its own
				return 0, nil
			}
			kept = ctx
			close(started)
			for ctx.Err() == nil {
				if spinYields {
					runtime.Gosched()
				}
			}
			firstErr, firstCause = ctx.Err(), context.Cause(ctx)
			ctx.Done()
			madeErr, madeCause = ctx.Err(), context.Cause(ctx)
			return 0, ctx.Err()
		}, async.WithLimit(1))
		endErr, endCause := kept.Err(), context.Cause(kept)
		if firstErr == nil || madeErr != firstErr || endErr != firstErr || madeCause != firstCause || endCause != firstCause {
			bad++
			if bad == 1 {
				t.Errorf("the call's context said %v (cause %v); once made %v (cause %v); after the call %v (cause %v)",
					firstErr, firstCause, madeErr, madeCause, endErr, endCause)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d rounds told more than one story", bad, rounds)
	}
}

// A task's context, made, whose parent is a group task's context with a
// Done channel of its own, sees a cancellation from above the group as
// soon as the cancel returns, with its cause: the group hears of it in a
// goroutine of the standard library's, which closes that Done channel and
// tells the contexts made from it only later. A Cancel, or the task's end,
// after the cancel returned leaves the parent's cause, which came first.
func TestMadeContextUnderALightOneSeesACancelFromAboveAtOnce(t *testing.T) {
	why := errors.New("from above")
	for _, then := range []string{"read", "Cancel", "end"} {
		for round := range 200 {
			top, cancel := context.WithCancelCause(context.Background())
			ready := make(chan *async.Task[int])
			bctxs := make(chan context.Context, 1)
			release := make(chan struct{})
			bEnded := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- async.WithGroup(top, func(_ context.Context, g *async.Group) error {
					async.Go(g, func(actx context.Context) (int, error) {
						actx.Done() // a channel of its own
						b := async.Spawn(actx, func(bctx context.Context) (int, error) {
							bctx.Done() // made, from actx
							bctxs <- bctx
							<-release
							return 0, nil
						})
						ready <- b
						<-bEnded
						return 0, nil
					})
					return nil
				})
			}()
			b := <-ready
			bctx := <-bctxs
			cancel(why)
			switch then {
			case "Cancel":
				b.Cancel(errors.New("after the parent"))
			case "end":
				close(release)
				b.Await(context.Background())
			}
			err, cause := bctx.Err(), context.Cause(bctx)
			if then != "end" {
				close(release)
			}
			b.Await(context.Background())
			close(bEnded)
			<-done
			if err != context.Canceled || cause != why {
				t.Fatalf("%s, round %d: after the cancel from above returned, the made context says %v (cause %v); want %v (cause %v)",
					then, round, err, cause, context.Canceled, why)
			}
		}
	}
}

// The same for a call's context of Map, made, whose parent, the task
// making the calls, has a Done channel of its own.
func TestMadeCallContextSeesACancelFromAboveAtOnce(t *testing.T) {
	why := errors.New("from above")
	for round := range 200 {
		top, cancel := context.WithCancelCause(context.Background())
		ready := make(chan context.Context)
		release := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := async.Map(top, []int{0, 1}, func(ctx context.Context, i int) (int, error) {
				ctx.Done() // the first call gives the task's context a channel of its own; each call's is made
				if i == 1 {
					ready <- ctx
					<-release
				}
				return 0, nil
			}, async.WithLimit(1))
			done <- err
		}()
		cctx := <-ready
		cancel(why)
		err, cause := cctx.Err(), context.Cause(cctx)
		close(release)
		<-done
		if err != context.Canceled || cause != why {
			t.Fatalf("round %d: after the cancel returned, the made call context says %v (cause %v); want %v (cause %v)",
				round, err, cause, context.Canceled, why)
		}
	}
}

// Sixteen goroutines reading a made context under a group task's own Done
// channel while a cancel from above the group lands: each sees nil, then
// context.Canceled with the cause from above, and never back; after the
// cancel returns, the group task's own context and the made one both say
// so.
func TestMadeContextUnderALightOneSixteenReaders(t *testing.T) {
	why := errors.New("from above")
	const readers = 16
	for round := range 50 {
		top, cancel := context.WithCancelCause(context.Background())
		ctxs := make(chan [2]context.Context)
		release := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- async.WithGroup(top, func(_ context.Context, g *async.Group) error {
				async.Go(g, func(actx context.Context) (int, error) {
					actx.Done() // a channel of its own
					b := async.Spawn(actx, func(bctx context.Context) (int, error) {
						bctx.Done() // made, from actx
						ctxs <- [2]context.Context{actx, bctx}
						<-release
						return 0, nil
					})
					<-release
					b.Await(context.Background())
					return 0, nil
				})
				return nil
			})
		}()
		both := <-ctxs
		actx, bctx := both[0], both[1]
		var wg sync.WaitGroup
		start := make(chan struct{})
		stop := make(chan struct{})
		problems := make(chan string, readers)
		for range readers {
			wg.Go(func() {
				<-start
				seen := false
				for {
					select {
					case <-stop:
						return
					default:
					}
					err, cause := bctx.Err(), context.Cause(bctx)
					switch {
					case err == nil && !seen:
					case err == context.Canceled && cause == why:
						seen = true
					default:
						problems <- fmt.Sprintf("a reader saw %v (cause %v), having seen the cancellation: %v", err, cause, seen)
						return
					}
				}
			})
		}
		close(start)
		cancel(why)
		aErr, bErr, bCause := actx.Err(), bctx.Err(), context.Cause(bctx)
		close(stop)
		wg.Wait()
		close(release)
		<-done
		close(problems)
		for p := range problems {
			t.Fatalf("round %d: %s", round, p)
		}
		if aErr != context.Canceled || bErr != context.Canceled || bCause != why {
			t.Fatalf("round %d: after the cancel returned, the group task's context says %v, the made one %v (cause %v)", round, aErr, bErr, bCause)
		}
	}
}
