package async_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// These tests hold the group's accounting exact under concurrency: they run
// many rounds each, so that a race hit in one run out of a hundred fails
// them, and are meant to be run with -race -count=50 -cpu 1,2,4.

const exactRounds = 200

// A task seen done has given back its running slot: under WithLimit(1) and
// WithBacklog(0), TryGo right after the only task's Done is accepted.
func TestFinishedTaskFreesItsSlotBeforeDone(t *testing.T) {
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		f := func(context.Context) error { return nil }
		for i := range exactRounds {
			h, ok := async.TryGo(g, errFn(f))
			if !ok {
				return fmt.Errorf("round %d: the first TryGo was refused", i)
			}
			<-h.Done()
			h2, ok := async.TryGo(g, errFn(f))
			if !ok {
				return fmt.Errorf("round %d: TryGo after the only task was done was refused (Len %d)", i, g.Len())
			}
			<-h2.Done()
		}
		return nil
	}, async.WithLimit(1), async.WithBacklog(0))
	if err != nil {
		t.Fatal(err)
	}
}

// Once Await has returned the only task of a group, the group counts it as
// finished: Len is 0 and Progress().Done is 1, with and without a limit.
func TestFinishedTaskLeavesTheCountBeforeDone(t *testing.T) {
	for _, limit := range []int{0, 1, 4} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			for i := range exactRounds {
				err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
					h := async.Go(g, func(context.Context) (int, error) { return 1, nil })
					if _, err := h.Await(ctx); err != nil {
						return err
					}
					if n, p := g.Len(), g.Progress(); n != 0 || p.Done != 1 || p.Total != 1 {
						return fmt.Errorf("round %d: after Await, Len %d and Progress %d/%d; want 0 and 1/1", i, n, p.Done, p.Total)
					}
					return nil
				}, async.WithLimit(limit))
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// errgroup's TryGo is exact: of 16 goroutines calling TryGo at once on an
// empty group with WithLimit(1) and WithBacklog(0), exactly one is
// accepted.
func TestTryGoConcurrentProducersExact(t *testing.T) {
	const producers = 16
	for i := range exactRounds / 4 {
		var accepted atomic.Int32
		release := make(chan struct{})
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			var start, wg sync.WaitGroup
			start.Add(1)
			for range producers {
				wg.Go(func() {
					start.Wait()
					if _, ok := async.TryGo(g, errFn(func(context.Context) error { <-release; return nil })); ok {
						accepted.Add(1)
					}
				})
			}
			start.Done()
			wg.Wait()
			close(release)
			return nil
		}, async.WithLimit(1), async.WithBacklog(0))
		if err != nil {
			t.Fatal(err)
		}
		if n := accepted.Load(); n != 1 {
			t.Fatalf("round %d: %d of %d concurrent TryGo calls accepted; want exactly 1", i, n, producers)
		}
	}
}

// 16 producers waiting in Submit at once never let the group hold more than
// limit + backlog tasks: Len, sampled by the producers and by every task,
// stays within the bound.
func TestSubmitConcurrentProducersNeverExceedBound(t *testing.T) {
	const producers, perProducer = 16, 4
	for _, shape := range []struct{ limit, backlog int }{{1, 0}, {2, 1}} {
		bound := shape.limit + shape.backlog
		t.Run(fmt.Sprintf("limit=%d,backlog=%d", shape.limit, shape.backlog), func(t *testing.T) {
			for i := range exactRounds / 8 {
				var seen atomic.Int64
				note := func(n int) {
					for {
						m := seen.Load()
						if int64(n) <= m || seen.CompareAndSwap(m, int64(n)) {
							return
						}
					}
				}
				err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
					var wg sync.WaitGroup
					for range producers {
						wg.Go(func() {
							for range perProducer {
								_, err := async.Submit(ctx, g, errFn(func(context.Context) error {
									note(g.Len())
									return nil
								}))
								if err != nil {
									t.Error(err)
									return
								}
								note(g.Len())
							}
						})
					}
					wg.Wait()
					return nil
				}, async.WithLimit(shape.limit), async.WithBacklog(shape.backlog))
				if err != nil {
					t.Fatal(err)
				}
				if m := seen.Load(); m > int64(bound) {
					t.Fatalf("round %d: Len reached %d; the bound is %d", i, m, bound)
				}
			}
		})
	}
}

// A task found through AllTasks and cancelled while Group.Go is still
// adding it ends at once: it is neither left queued behind the limit nor
// run. Under -race this also guards the task's group membership, which
// Cancel reads, against being written while the task is already listed.
func TestCancelFromAllTasksWhileAdding(t *testing.T) {
	err := async.Run(t.Context(), func(ctx context.Context) error {
		for i := range exactRounds / 2 {
			name := fmt.Sprintf("victim-%d", i)
			release := make(chan struct{})
			err := async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				g.Go(func(context.Context) error { <-release; return nil }) // holds the only slot
				var cancelled sync.WaitGroup
				cancelled.Go(func() {
					for {
						for _, h := range async.AllTasks(ctx) {
							if h.Name() == name {
								h.Cancel(nil)
								return
							}
						}
						runtime.Gosched()
					}
				})
				var ran atomic.Bool
				victim := g.Go(func(context.Context) error { ran.Store(true); return nil }, async.WithName(name))
				cancelled.Wait()
				// Go and Cancel have both returned: the victim has ended,
				// though the slot it would need is still held.
				if s := victim.State(); s != async.Cancelled {
					close(release)
					return fmt.Errorf("round %d: the victim is %s after Go and Cancel returned; want Cancelled", i, s)
				}
				close(release)
				if ran.Load() {
					return fmt.Errorf("round %d: the cancelled victim ran", i)
				}
				return nil
			}, async.WithLimit(1))
			if err != nil {
				return err
			}
		}
		return nil
	}, async.WithSignals(nil))
	if err != nil {
		t.Fatal(err)
	}
}

// TryGo on a group that has finished reports false and Submit an error
// matching ErrGroupClosed: neither hands back a task that never runs.
func TestAddsToClosedGroupAreRefused(t *testing.T) {
	var g *async.Group
	if err := async.WithGroup(t.Context(), func(ctx context.Context, gg *async.Group) error {
		g = gg
		return nil
	}, async.WithLimit(1), async.WithBacklog(0)); err != nil {
		t.Fatal(err)
	}
	var ran atomic.Bool
	f := func(context.Context) error { ran.Store(true); return nil }
	if h, ok := async.TryGo(g, errFn(f)); ok || h != nil {
		t.Errorf("TryGo of an error-only function on a closed group = %v, %v; want nil, false", h, ok)
	}
	if h, ok := async.TryGo(g, func(context.Context) (int, error) { ran.Store(true); return 1, nil }); ok || h != nil {
		t.Errorf("TryGo on a closed group = %v, %v; want nil, false", h, ok)
	}
	if h, err := async.Submit(t.Context(), g, errFn(f)); h != nil || !errors.Is(err, async.ErrGroupClosed) {
		t.Errorf("Submit of an error-only function on a closed group = %v, %v; want nil and ErrGroupClosed", h, err)
	}
	if h, err := async.Submit(t.Context(), g, func(context.Context) (int, error) { ran.Store(true); return 1, nil }); h != nil || !errors.Is(err, async.ErrGroupClosed) {
		t.Errorf("Submit on a closed group = %v, %v; want nil and ErrGroupClosed", h, err)
	}
	if ran.Load() {
		t.Error("a refused function ran")
	}
	if g.Len() != 0 || g.Progress().Total != 0 {
		t.Errorf("the closed group counts %d tasks, %d added; want 0", g.Len(), g.Progress().Total)
	}
}

// Submit's doc: the body's context waits for room, like any producer
// outside the group; a context derived from one of the group's tasks (a
// timeout inside it) never waits.
func TestSubmitWhichContextsWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			g.Go(func(ctx context.Context) error {
				tctx, cancel := context.WithTimeout(ctx, time.Hour)
				defer cancel()
				// The group is full (this task holds the only slot).
				if _, err := async.Submit(tctx, g, errFn(func(context.Context) error { return nil })); err != nil {
					return err
				}
				if d := time.Since(start); d != 0 {
					t.Errorf("Submit with a context derived from a task's waited %v", d)
				}
				return async.Sleep(ctx, time.Second)
			})
			synctest.Wait()
			// From the body: full until the first task and the one it
			// added over the backlog have ended.
			if _, err := async.Submit(ctx, g, errFn(func(context.Context) error { return nil })); err != nil {
				return err
			}
			if d := time.Since(start); d != time.Second {
				t.Errorf("Submit from the body returned after %v; want it to wait 1s for room", d)
			}
			return nil
		}, async.WithLimit(1), async.WithBacklog(0))
		if err != nil {
			t.Fatal(err)
		}
	})
}

// Wait's doc: with no tasks it returns at once two nil sets and a nil
// error, whatever the mode, even if ctx has ended; an unknown mode is still
// an error.
func TestWaitWithNoTasks(t *testing.T) {
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	for _, ctx := range []context.Context{t.Context(), ended} {
		for _, mode := range []async.WaitMode{async.AllCompleted, async.FirstCompleted, async.FirstError} {
			done, pending, err := async.Wait[async.Handle](ctx, mode)
			if done != nil || pending != nil || err != nil {
				t.Errorf("Wait(%v) with no tasks (ctx ended: %v) = %v, %v, %v; want nil, nil, nil", mode, ctx.Err() != nil, done, pending, err)
			}
		}
	}
	if _, _, err := async.Wait[async.Handle](t.Context(), async.WaitMode(9)); err == nil {
		t.Error("Wait with an unknown mode and no tasks returned no error")
	}
}

// errFn adapts a function that returns only an error to the typed form
// that TryGo and Submit take, as Group.Go's errgroup shape does for Go.
func errFn(f func(context.Context) error) func(context.Context) (struct{}, error) {
	return func(ctx context.Context) (struct{}, error) { return struct{}{}, f(ctx) }
}
