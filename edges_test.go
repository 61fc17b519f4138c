package async_test

// Regression tests for the edges of the task model: how a cancellation is
// told from a failure, what a group does when its body or a task ends in an
// unusual way, what the waiting functions leave behind. Each test names the
// behaviour it pins down; each failed before the fix it guards.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// blocked is a task function that waits for its context and returns its
// error, as well-behaved Go code does.
func blocked(ctx context.Context) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

// The classification rule: an error matching context.Canceled ends the task
// Cancelled even when nothing cancelled the task itself (it passes on the
// cancellation of a task it awaited), keeping that error as the cause.
func TestTaskPassingOnCancellationEndsCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := async.Spawn(t.Context(), blocked, async.WithName("f"))
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			return f.Await(ctx)
		})
		synctest.Wait()
		f.Cancel(nil)
		synctest.Wait()
		if task.State() != async.Cancelled {
			t.Fatalf("task is %v with %v, want cancelled: it passed on f's cancellation", task.State(), task.Err())
		}
		var ce *async.CancelledError
		if err := task.Err(); !errors.As(err, &ce) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want a CancelledError", err)
		}
		var inner *async.CancelledError
		if !errors.As(ce.Cause, &inner) || inner.Task != "f" {
			t.Errorf("cause %v, want f's cancellation kept as the cause", ce.Cause)
		}
	})
}

func TestShieldOfCancelledTaskEndsCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := async.Spawn(t.Context(), blocked)
		s := async.Shield(t.Context(), f)
		synctest.Wait()
		f.Cancel(nil)
		synctest.Wait()
		if !s.Cancelled() {
			t.Fatalf("shield is %v with %v, want cancelled", s.State(), s.Err())
		}
	})
}

// A group ignores a child that ends cancelled, whatever cancelled it, as
// asyncio's TaskGroup does: its siblings go on and the group succeeds.
func TestGroupIgnoresChildPassingOnCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := async.Spawn(t.Context(), blocked)
		sibling := false
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			g.Go(func(ctx context.Context) error { _, err := f.Await(ctx); return err })
			g.Go(func(ctx context.Context) error {
				time.Sleep(2 * time.Second)
				sibling = ctx.Err() == nil
				return nil
			})
			time.Sleep(time.Second)
			f.Cancel(nil)
			return nil
		})
		if err != nil {
			t.Fatalf("WithGroup: %v, want nil: a cancelled child is not a failure", err)
		}
		if !sibling {
			t.Error("the sibling was cancelled by a child's cancellation")
		}
	})
}

func TestWaitFirstErrorSkipsPassedOnCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := async.Spawn(t.Context(), blocked)
		a := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { return f.Await(ctx) })
		b := async.Spawn(t.Context(), after(2*time.Second, 2, nil))
		go func() { time.Sleep(time.Second); f.Cancel(nil) }()
		done, pending, err := async.Wait(t.Context(), async.FirstError, a, b)
		if err != nil || len(done) != 2 || len(pending) != 0 {
			t.Fatalf("Wait: done %d pending %d err %v; want both done: a cancelled task is not an error", len(done), len(pending), err)
		}
	})
}

// A panic is a failure even when its value wraps the context's error.
func TestPanicWrappingCancellationIsPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-ctx.Done()
			panic(fmt.Errorf("gave up: %w", ctx.Err()))
		})
		synctest.Wait()
		task.Cancel(nil)
		synctest.Wait()
		var pe *async.PanicError
		if task.State() != async.Done || !errors.As(task.Err(), &pe) || len(pe.Stack) == 0 {
			t.Fatalf("task is %v with %v, want done with a PanicError and its stack", task.State(), task.Err())
		}
	})
}

// runtime.Goexit in a WithGroup body (t.FailNow does it) must still cancel
// the group and wait for its tasks.
func TestGoexitInGroupBodyCancelsAndWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var task *async.Task[int]
		exited := make(chan struct{})
		go func() {
			defer close(exited)
			async.WithGroup(context.Background(), func(ctx context.Context, g *async.Group) error {
				task = async.Go(g, blocked)
				runtime.Goexit()
				return nil
			})
		}()
		<-exited
		if task.State() != async.Cancelled {
			task.Cancel(nil) // let the test end
			t.Fatalf("after the body's Goexit the group's task is %v, want cancelled and waited for", task.State())
		}
	})
}

// Cancelling a task queued behind a group's limit ends it at once; it never
// runs and no longer counts in Len.
func TestCancelQueuedTaskEndsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ran := false
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, after(10*time.Second, 0, nil))
			q := async.Go(g, func(context.Context) (int, error) { ran = true; return 0, nil })
			if !q.Cancel(nil) {
				t.Error("Cancel of a queued task reported false")
			}
			if q.State() != async.Cancelled {
				t.Errorf("queued task is %v right after Cancel, want cancelled", q.State())
			}
			if n := g.Len(); n != 1 {
				t.Errorf("Len %d after cancelling the queued task, want 1", n)
			}
			start := time.Now()
			if _, err := async.WaitFor(ctx, 0, q); !errors.Is(err, context.Canceled) {
				t.Errorf("WaitFor: %v, want the cancellation", err)
			}
			if d := time.Since(start); d != 0 {
				t.Errorf("WaitFor on the cancelled queued task took %v, want 0", d)
			}
			return nil
		}, async.WithLimit(1))
		if err != nil {
			t.Fatal(err)
		}
		if ran {
			t.Error("the cancelled queued task ran")
		}
	})
}

// A task's failure is recorded and its group cancelled before anyone can
// see the task finished.
func TestGroupCancelledBeforeFailureIsSeen(t *testing.T) {
	errOne := errors.New("one")
	err := async.WithGroup(context.Background(), func(ctx context.Context, g *async.Group) error {
		release := make(chan struct{})
		task := async.Go(g, func(context.Context) (int, error) { <-release; return 0, errOne })
		seen := make(chan error, 1)
		task.AddDoneCallback(func(*async.Task[int]) { seen <- ctx.Err() })
		close(release)
		if err := <-seen; err == nil {
			t.Error("a done callback of the failed task saw the group's context still alive")
		}
		return nil
	})
	if !errors.Is(err, errOne) {
		t.Fatal(err)
	}
}

// After Await has returned a task's failure, the group is cancelled: a task
// added then never runs, and GroupError lists the failures in the order they
// happened.
func TestGroupFailureOrder(t *testing.T) {
	err1, err2 := errors.New("err1"), errors.New("err2")
	for range 300 {
		var ran atomic.Bool
		err := async.WithGroup(context.Background(), func(ctx context.Context, g *async.Group) error {
			task := async.Go(g, func(context.Context) (int, error) { return 0, err1 })
			task.Await(ctx)
			if ctx.Err() == nil {
				t.Error("Await returned the failure while the group's context was alive")
			}
			g.Go(func(context.Context) error { ran.Store(true); return err2 })
			return nil
		})
		var ge *async.GroupError
		if !errors.As(err, &ge) || len(ge.Errors) != 1 || !errors.Is(ge.Errors[0], err1) {
			t.Fatalf("err %v, want only err1", err)
		}
		if ran.Load() {
			t.Fatal("a task added after the failure was seen ran")
		}
	}
}

// A task added to a closed group is cancelled with cause ErrGroupClosed,
// however the group ended, as the docs say.
func TestLateTaskCauseIsErrGroupClosed(t *testing.T) {
	boom := errors.New("boom")
	ctx, cancel := context.WithCancel(context.Background())
	for _, tc := range []struct {
		name string
		ctx  context.Context
		body func(context.Context, *async.Group) error
	}{
		{"after success", context.Background(), func(context.Context, *async.Group) error { return nil }},
		{"after a failure", context.Background(), func(ctx context.Context, g *async.Group) error {
			g.Go(func(context.Context) error { return boom })
			return nil
		}},
		{"after the parent's cancellation", ctx, func(context.Context, *async.Group) error { cancel(); return nil }},
	} {
		var group *async.Group
		async.WithGroup(tc.ctx, func(ctx context.Context, g *async.Group) error { group = g; return tc.body(ctx, g) })
		late := group.Go(func(context.Context) error { t.Error("a late task ran"); return nil })
		if err := late.Err(); !late.Cancelled() || !errors.Is(err, async.ErrGroupClosed) {
			t.Errorf("%s: late task %v with %v, want cancelled with ErrGroupClosed", tc.name, late.State(), err)
		}
	}
}

func TestZeroGroupPanicsNamingMisuse(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "outside WithGroup") {
			t.Fatalf("recovered %v, want a panic naming the misuse", r)
		}
	}()
	new(async.Group).Go(func(context.Context) error { return nil })
}

func TestWaitInvalidMode(t *testing.T) {
	task := async.Spawn(t.Context(), func(context.Context) (int, error) { return 1, nil })
	defer task.Await(t.Context())
	if _, _, err := async.Wait(t.Context(), async.WaitMode(7), task); err == nil || !strings.Contains(err.Error(), "invalid mode") {
		t.Fatalf("Wait with mode 7: %v, want an error", err)
	}
}

// WaitFor returns the task's real error, not the timeout, when the task
// fails while it stops.
func TestWaitForKeepsRealErrorAfterTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, boom
		})
		if _, err := async.WaitFor(t.Context(), time.Second, task); !errors.Is(err, boom) {
			t.Fatalf("WaitFor: %v, want the task's own error", err)
		}
	})
}

// On the caller's cancellation WaitFor cancels the task and waits for it to
// end, as on a timeout.
func TestWaitForCallerCancelCancelsAndWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(t.Context())
		stop := errors.New("caller stops")
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-ctx.Done()
			time.Sleep(time.Second) // cleaning up
			return 0, ctx.Err()
		})
		time.AfterFunc(time.Second, func() { cancel(stop) })
		start := time.Now()
		_, err := async.WaitFor(ctx, time.Hour, task)
		if !errors.Is(err, stop) {
			t.Errorf("WaitFor: %v, want the caller's cause", err)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("WaitFor returned after %v, want 2s: after the task ended", d)
		}
		if !task.Cancelled() {
			t.Errorf("task is %v, want cancelled", task.State())
		}
	})
}

// Gather's fail-fast returns only after the siblings it cancelled have
// ended.
func TestGatherWaitsForSiblingsItCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		a := async.Spawn(t.Context(), after(time.Second, 0, boom))
		b := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-ctx.Done()
			time.Sleep(time.Second)
			return 0, errors.New("b, while stopping")
		})
		start := time.Now()
		if _, err := async.Gather(t.Context(), a, b); !errors.Is(err, boom) {
			t.Fatalf("Gather: %v, want boom", err)
		}
		if !b.State().Finished() || time.Since(start) != 2*time.Second {
			t.Fatalf("Gather returned at %v with b %v, want at 2s with b finished", time.Since(start), b.State())
		}
	})
}

func TestGatherOnCallerCancelWaitsForTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		a := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-ctx.Done()
			time.Sleep(time.Second)
			return 0, ctx.Err()
		})
		time.AfterFunc(time.Second, cancel)
		if _, err := async.Gather(ctx, a); !errors.Is(err, context.Canceled) {
			t.Fatalf("Gather: %v", err)
		}
		if !a.Cancelled() {
			t.Fatalf("Gather returned with its task %v, want it cancelled and ended", a.State())
		}
	})
}

// A real failure wins over a sibling echoing a cancellation.
func TestMapRealFailureBeatsEcho(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		// Item 0 echoes the parent's cancellation at once; item 1 fails
		// for real a second later, while stopping.
		fn := func(ctx context.Context, i int) (int, error) {
			<-ctx.Done()
			if i == 1 {
				time.Sleep(time.Second)
				return 0, boom
			}
			return 0, ctx.Err()
		}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(time.Second, cancel)
		_, err := async.Map(ctx, []int{0, 1}, fn)
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "item 1") {
			t.Fatalf("Map: %v, want item 1's boom", err)
		}
		ctx, cancel = context.WithCancel(t.Context())
		time.AfterFunc(time.Second, cancel)
		_, err = async.GatherFunc(ctx, []func(context.Context) (int, error){
			func(ctx context.Context) (int, error) { return fn(ctx, 0) },
			func(ctx context.Context) (int, error) { return fn(ctx, 1) },
		})
		if !errors.Is(err, boom) {
			t.Fatalf("GatherFunc: %v, want boom", err)
		}
	})
}

func TestMapPanicBeatsEcho(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, err := async.GatherFunc(t.Context(), []func(context.Context) (int, error){
			func(context.Context) (int, error) {
				time.Sleep(time.Second)
				panic("kaboom")
			},
			blocked,
		})
		var pe *async.PanicError
		if !errors.As(err, &pe) || pe.Value != "kaboom" || len(pe.Stack) == 0 {
			t.Fatalf("GatherFunc: %v, want the panic with its stack", err)
		}
		if !strings.HasPrefix(err.Error(), "function 0: ") {
			t.Errorf("error %q does not name the panicking function's index", err)
		}
	})
}

// Each call of Map gets a context of its own that ends when the call
// returns, with or without a limit.
func TestMapEachCallOwnContext(t *testing.T) {
	for _, limit := range []int{0, 1} {
		var mu sync.Mutex
		var ctxs []context.Context
		_, err := async.Map(t.Context(), []int{0, 1}, func(ctx context.Context, i int) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			ctxs = append(ctxs, ctx)
			return i, nil
		}, async.WithLimit(limit))
		if err != nil {
			t.Fatal(err)
		}
		if ctxs[0] == ctxs[1] {
			t.Errorf("limit %d: both items got the same context", limit)
		}
		for i, c := range ctxs {
			if c.Err() == nil {
				t.Errorf("limit %d: call %d's context is still alive after Map returned", limit, i)
			}
		}
	}
}

// A Map call that passes on a cancellation of its own, with nothing
// cancelling the group, yields no result: Map must not report success.
func TestMapPassedOnCancellationIsNotSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := async.Spawn(t.Context(), blocked)
		f.Cancel(nil)
		_, err := async.Map(t.Context(), []int{0, 1}, func(ctx context.Context, i int) (int, error) {
			if i == 1 {
				return f.Await(ctx)
			}
			return i, nil
		})
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "item 1") {
			t.Fatalf("Map: %v, want item 1's cancellation", err)
		}
	})
}

// Wait and AsCompleted take a mix of tasks through Handle.
func TestWaitAndAsCompletedTakeMixedHandles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := async.Spawn(t.Context(), after(time.Second, 1, nil))
		s := async.Spawn(t.Context(), after(2*time.Second, "two", nil))
		done, pending, err := async.Wait[async.Handle](t.Context(), async.FirstCompleted, n, s)
		if err != nil || len(done) != 1 || done[0] != async.Handle(n) || len(pending) != 1 {
			t.Fatalf("Wait: %v %v %v", done, pending, err)
		}
		var order []uint64
		for h, err := range async.AsCompleted[async.Handle](t.Context(), s, n) {
			if err != nil {
				t.Fatal(err)
			}
			order = append(order, h.ID())
		}
		if len(order) != 2 || order[0] != n.ID() || order[1] != s.ID() {
			t.Fatalf("AsCompleted order %v, want n then s", order)
		}
	})
}

// The task g.Go returns offers what a Task offers.
func TestGroupGoReturnsTask(t *testing.T) {
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		task := g.Go(func(context.Context) error { return nil })
		task.SetName("renamed")
		called := make(chan string, 1)
		task.AddDoneCallback(func(t *async.Task[struct{}]) { called <- t.Name() })
		if name := <-called; name != "renamed" {
			t.Errorf("callback saw %q", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Gather, Wait, AsCompleted and WaitFor record what the calling task waits
// for, as Await does, so the task tree shows it: the first task still
// pending, and the wait's deadline.
func TestWaitingFunctionsShowInTree(t *testing.T) {
	for _, tc := range []struct {
		name string
		wait func(ctx context.Context, a, b *async.Task[int])
	}{
		{"Gather", func(ctx context.Context, a, b *async.Task[int]) { async.Gather(ctx, a, b) }},
		{"GatherSettled", func(ctx context.Context, a, b *async.Task[int]) { async.GatherSettled(ctx, a, b) }},
		{"Wait", func(ctx context.Context, a, b *async.Task[int]) { async.Wait(ctx, async.AllCompleted, a, b) }},
		{"AsCompleted", func(ctx context.Context, a, b *async.Task[int]) {
			for range async.AsCompleted(ctx, a, b) {
			}
		}},
		{"WaitFor", func(ctx context.Context, a, b *async.Task[int]) { async.WaitFor(ctx, time.Minute, a) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				err := async.Run(t.Context(), func(ctx context.Context) error {
					scope := async.ScopeOf(ctx)
					a := async.Spawn(ctx, after(2*time.Second, 1, nil), async.WithName("a"))
					b := async.Spawn(ctx, after(time.Second, 2, nil), async.WithName("b"))
					waiter := async.Spawn(ctx, func(ctx context.Context) (int, error) {
						tc.wait(ctx, a, b)
						return 0, nil
					}, async.WithName("waiter"))
					time.Sleep(time.Second / 2)
					if w := nodeByName(t, scope.Snapshot(), "waiter"); w.Awaiting == nil || w.Awaiting.Name != "a" {
						t.Errorf("waiter awaits %+v, want task a", w.Awaiting)
					}
					waiter.Await(ctx)
					if w := nodeByName(t, scope.Snapshot(), "main"); w.Awaiting != nil {
						t.Errorf("main still awaits %+v", w.Awaiting)
					}
					return nil
				}, async.WithSignals(nil))
				if err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// A block under Timeout shows on the task running it, with its name and
// when it expires; a wait inside the block replaces it while it lasts, and
// nothing is left once the block has returned.
func TestTimeoutShowsInTree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.Run(t.Context(), func(ctx context.Context) error {
			scope := async.ScopeOf(ctx)
			start := time.Now()
			inner := async.Spawn(ctx, after(3*time.Second, 1, nil), async.WithName("inner"))
			runner := async.Spawn(ctx, func(ctx context.Context) (int, error) {
				return async.Timeout(ctx, 10*time.Second, func(ctx context.Context) (int, error) {
					time.Sleep(2 * time.Second) // busy, not in a wait of the package's
					return inner.Await(ctx)
				}, async.WithName("load config"))
			}, async.WithName("runner"))
			time.Sleep(time.Second)
			w := nodeByName(t, scope.Snapshot(), "runner")
			if a := w.Awaiting; a == nil || !a.Timeout || a.Name != "load config" || !a.Deadline.Equal(start.Add(10*time.Second)) {
				t.Errorf("in the block, runner awaits %+v; want timeout \"load config\" expiring at start+10s", a)
			} else if got := a.String(); got != `timeout "load config"` {
				t.Errorf("Awaiting.String() = %q", got)
			}
			time.Sleep(3 * time.Second / 2) // 2.5s: inside the block, in inner.Await
			if a := nodeByName(t, scope.Snapshot(), "runner").Awaiting; a == nil || a.Timeout || a.Name != "inner" {
				t.Errorf("awaiting inner inside the block, runner shows %+v", a)
			}
			if _, err := runner.Await(ctx); err != nil {
				t.Fatal(err)
			}
			return nil
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
	})
}

// Outside a block, nothing is recorded; a block that returns takes its record
// with it.
func TestTimeoutRecordEndsWithTheBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.Run(t.Context(), func(ctx context.Context) error {
			scope := async.ScopeOf(ctx)
			runner := async.Spawn(ctx, func(ctx context.Context) (int, error) {
				async.Timeout(ctx, time.Second, func(ctx context.Context) (int, error) { return 0, nil })
				time.Sleep(time.Minute)
				return 0, nil
			}, async.WithName("runner"))
			time.Sleep(time.Second)
			if a := nodeByName(t, scope.Snapshot(), "runner").Awaiting; a != nil {
				t.Errorf("after the block, runner still awaits %+v", a)
			}
			runner.Await(ctx)
			return nil
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
	})
}
