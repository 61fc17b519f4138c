package async_test

import (
	"context"
	"errors"
	"math"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// A task of a group that waits on ctx.Done() and is cancelled with its
// group costs its Task, its goroutine's closure and its Done channel: no
// cancel function, no place in the group context's children map (errgroup's
// price plus the Task and the channel).
func TestGroupTaskWaitingOnDoneAllocatesThree(t *testing.T) {
	const n = 200
	block := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	fail := func(context.Context) error { return errBoom }
	allocs := leastAllocs(func() float64 {
		return testing.AllocsPerRun(20, func() {
			started := make(chan struct{}, n)
			ready := func(ctx context.Context) error { started <- struct{}{}; return block(ctx) }
			_ = async.WithGroup(context.Background(), func(ctx context.Context, g *async.Group) error {
				for range n {
					g.Go(ready)
				}
				for range n {
					<-started
				}
				g.Go(fail)
				return nil
			})
		})
	})
	// Per group: the group, its context, the channel, a closure or two,
	// the waiters' list as it grows, the error: well under one per task.
	t.Logf("%.2f allocations per blocked task", allocs/n)
	if perTask := allocs / n; perTask > 3.2 {
		t.Errorf("%.2f allocations per blocked task (%v per group of %d), want at most 3 and a little for the group", perTask, allocs, n)
	}
}

// Done returns the same channel every time, whatever happens to the
// context after it was first asked: the task cancelled on its own (which
// makes the standard library's context behind it), the group cancelled,
// the task ended.
func TestGroupTaskDoneIsStable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cause := errors.New("just this one")
		var inner context.Context
		var first <-chan struct{}
		seen := make(chan struct{})
		_ = async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			task := g.Go(func(ctx context.Context) error {
				inner = ctx
				first = ctx.Done()
				close(seen)
				<-ctx.Done()
				if ctx.Done() != first {
					t.Error("Done changed when the task was cancelled")
				}
				return ctx.Err()
			})
			<-seen
			task.Cancel(cause)
			return nil
		})
		if inner.Done() != first {
			t.Error("Done changed when the task ended")
		}
		if got := context.Cause(inner); got != cause {
			t.Errorf("cause %v, want %v", got, cause)
		}
		if !errors.Is(inner.Err(), context.Canceled) {
			t.Errorf("err %v, want Canceled", inner.Err())
		}
	})
}

// The group's own cancellation (a sibling failing, Group.Cancel) closes the
// channel before it returns, and cancels what derives from the context, as
// the standard library's contexts do: Err, Cause and Done agree at once.
func TestGroupTaskDoneClosesWithTheGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var done <-chan struct{}
		var derived, timed context.Context
		var stop1, stop2 context.CancelFunc // called once checked, so that only the group cancels them
		ready := make(chan struct{})
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			g.Go(func(ctx context.Context) error {
				done = ctx.Done()
				derived, stop1 = context.WithCancel(ctx)
				timed, stop2 = context.WithTimeout(ctx, time.Hour)
				close(ready)
				<-ctx.Done()
				return ctx.Err()
			})
			<-ready
			g.Cancel(errBoom)
			select {
			case <-done:
			default:
				t.Error("Done not closed when Group.Cancel returned")
			}
			for name, c := range map[string]context.Context{"WithCancel": derived, "WithTimeout": timed} {
				if c.Err() == nil || context.Cause(c) != errBoom {
					t.Errorf("%s of the task's context: err %v, cause %v when Group.Cancel returned; want cancelled by boom", name, c.Err(), context.Cause(c))
				}
			}
			stop1()
			stop2()
			return nil
		})
		if err != nil {
			t.Errorf("WithGroup = %v, want nil: a cancelled task is not a failure", err)
		}
	})
}

// A cancellation from above the group reaches the group's context through
// the standard library; the task's Err says so at once, and its Done
// channel closes as the cancellation propagates. Nothing that closes it
// outlives WithGroup (goleak checks the package).
func TestGroupTaskDoneClosesWhenTheParentIsCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancelCause(t.Context())
		cause := errors.New("from above")
		ready := make(chan context.Context)
		var derived context.Context
		var wg sync.WaitGroup
		wg.Go(func() {
			_ = async.WithGroup(parent, func(ctx context.Context, g *async.Group) error {
				for range 3 {
					g.Go(func(ctx context.Context) error {
						<-ctx.Done()
						return ctx.Err()
					})
				}
				g.Go(func(ctx context.Context) error {
					var stop context.CancelFunc
					derived, stop = context.WithCancel(ctx)
					defer stop()
					ready <- ctx
					<-ctx.Done()
					if context.Cause(ctx) != cause {
						t.Errorf("cause %v, want %v", context.Cause(ctx), cause)
					}
					return ctx.Err()
				})
				return nil
			})
		})
		ctx := <-ready
		cancel(cause)
		if ctx.Err() == nil || context.Cause(ctx) != cause {
			t.Errorf("after cancel returned: err %v, cause %v; want cancelled by %v", ctx.Err(), context.Cause(ctx), cause)
		}
		<-ctx.Done()
		<-derived.Done()
		if context.Cause(derived) != cause {
			t.Errorf("derived context's cause %v, want %v", context.Cause(derived), cause)
		}
		wg.Wait()
	})
}

// A context that leaves the task (handed to a goroutine, kept in a
// struct) still ends with the task, and a context derived from it with it.
func TestGroupTaskDoneClosesWhenTheTaskEnds(t *testing.T) {
	var leaked, derived context.Context
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		g.Go(func(ctx context.Context) error {
			_ = ctx.Done()
			leaked = ctx
			var stop context.CancelFunc
			derived, stop = context.WithCancel(ctx)
			_ = stop // not called: the context must end with the task
			return nil
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]context.Context{"task's": leaked, "derived": derived} {
		select {
		case <-c.Done():
		default:
			t.Fatalf("%s context not done after the task ended", name)
		}
		if !errors.Is(context.Cause(c), async.ErrTaskReturned) {
			t.Errorf("%s context's cause %v, want ErrTaskReturned", name, context.Cause(c))
		}
	}
}

// Deriving a context from a group task's context starts no goroutine: the
// standard library registers it through the context's AfterFunc method.
// A stopped registration is never called.
func TestGroupTaskDerivedContextsStartNoGoroutine(t *testing.T) {
	var before, after int
	var calls sync.WaitGroup
	stoppedRan := false
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		ready := make(chan struct{})
		g.Go(func(ctx context.Context) error {
			<-ctx.Done()
			return nil
		})
		g.Go(func(ctx context.Context) error {
			_ = ctx.Done()
			before = runtime.NumGoroutine()
			for range 50 {
				_, cancel := context.WithCancel(ctx)
				defer cancel()
			}
			calls.Add(1)
			context.AfterFunc(ctx, calls.Done)
			stop := context.AfterFunc(ctx, func() { stoppedRan = true })
			if !stop() {
				t.Error("stop of a registration that has not run reported false")
			}
			if stop() {
				t.Error("second stop reported true")
			}
			after = runtime.NumGoroutine()
			close(ready)
			<-ctx.Done()
			return nil
		})
		<-ready
		g.Cancel(nil)
		return nil
	})
	if err != nil {
		t.Fatalf("WithGroup = %v", err)
	}
	calls.Wait()
	if after > before {
		t.Errorf("%d goroutines before deriving 50 contexts, %d after: want none started", before, after)
	}
	if stoppedRan {
		t.Error("a stopped AfterFunc ran")
	}
}

// AfterFunc on a context that is done already runs the function in a
// goroutine of its own, as context.AfterFunc does.
func TestGroupTaskAfterFuncWhenDone(t *testing.T) {
	var ctx context.Context
	_ = async.WithGroup(t.Context(), func(_ context.Context, g *async.Group) error {
		g.Go(func(c context.Context) error { _ = c.Done(); ctx = c; return nil })
		return nil
	})
	ran := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { close(ran) })
	<-ran
	if stop() {
		t.Error("stop after the function ran reported true")
	}
}

// Done, Cancel, the group's cancellation and the task's end, all at once:
// every Done call returns the one channel, which closes, and the cause is
// the first cancellation's.
func TestGroupTaskDoneRaces(t *testing.T) {
	for range 100 {
		cause := errors.New("task")
		start := make(chan struct{})
		var chans [4]<-chan struct{}
		_ = async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			var ctxOf context.Context
			got := make(chan struct{})
			task := g.Go(func(ctx context.Context) error {
				ctxOf = ctx
				close(got)
				<-start
				return nil
			})
			<-got
			var wg sync.WaitGroup
			for i := range chans {
				wg.Go(func() { <-start; chans[i] = ctxOf.Done() })
			}
			wg.Go(func() { <-start; task.Cancel(cause) })
			wg.Go(func() { <-start; g.Cancel(errBoom) })
			close(start)
			wg.Wait()
			return nil
		})
		for i := range chans {
			if chans[i] != chans[0] {
				t.Fatalf("Done returned different channels: %v", chans)
			}
		}
		<-chans[0]
	}
}

// Gather watches its tasks without allocating for each: a task gathered
// costs its Task and its goroutine's closure, as one nobody watches does.
func TestGatherAllocatesNothingPerTask(t *testing.T) {
	const n = 500
	fn := func(context.Context) (int, error) { return 1, nil }
	tasks := make([]*async.Task[int], n)
	allocs := leastAllocs(func() float64 {
		return testing.AllocsPerRun(50, func() {
			for i := range tasks {
				tasks[i] = async.Spawn(context.Background(), fn)
			}
			if _, err := async.Gather(context.Background(), tasks...); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Logf("%.2f allocations per task", allocs/n)
	if perTask := allocs / n; perTask > 2.05 {
		t.Errorf("%.2f allocations per gathered task, want 2 (the Task, its goroutine's closure) and a few per Gather", perTask)
	}
}

// Two Gathers of the same tasks at once both hear of every end: the first
// counts them down through the task itself, the second through its done
// callbacks.
func TestGatherTwiceAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		tasks := make([]*async.Task[int], 3)
		for i := range tasks {
			tasks[i] = async.Spawn(t.Context(), func(context.Context) (int, error) { <-release; return i, nil })
		}
		var wg sync.WaitGroup
		results := make([][]int, 2)
		for g := range results {
			wg.Go(func() {
				out, err := async.Gather(t.Context(), tasks...)
				if err != nil {
					t.Error(err)
				}
				results[g] = out
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		for g, out := range results {
			if len(out) != 3 || out[0] != 0 || out[1] != 1 || out[2] != 2 {
				t.Errorf("Gather %d = %v, want [0 1 2]", g, out)
			}
		}
	})
}

// A task started with a context that is never cancelled gets a Done channel
// of its own too: only Task.Cancel and the task's end close it, and it is
// the one channel whatever happens after it was first asked.
func TestBackgroundTaskDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cause := errors.New("stop")
		var first <-chan struct{}
		var derived context.Context
		ready := make(chan context.Context)
		task := async.Spawn(context.Background(), func(ctx context.Context) (int, error) {
			first = ctx.Done()
			var stop context.CancelFunc
			derived, stop = context.WithCancel(ctx)
			defer stop()
			ready <- ctx
			<-ctx.Done()
			return 0, ctx.Err()
		})
		ctx := <-ready
		select {
		case <-first:
			t.Fatal("Done closed before anything cancelled the task")
		default:
		}
		task.Cancel(cause)
		if ctx.Done() != first {
			t.Error("Done changed when the task was cancelled")
		}
		select {
		case <-first:
		default:
			t.Error("Done not closed when Cancel returned")
		}
		if context.Cause(ctx) != cause || context.Cause(derived) != cause {
			t.Errorf("causes %v and %v (derived), want %v", context.Cause(ctx), context.Cause(derived), cause)
		}
		task.Await(context.Background())
		if !task.Cancelled() {
			t.Errorf("task %v, want cancelled", task.State())
		}

		var leaked context.Context
		ended := async.Spawn(context.WithoutCancel(t.Context()), func(ctx context.Context) (int, error) {
			_ = ctx.Done()
			leaked = ctx
			return 1, nil
		})
		ended.Await(context.Background())
		select {
		case <-leaked.Done():
		default:
			t.Fatal("the context of a task that ended is not done")
		}
		if !errors.Is(context.Cause(leaked), async.ErrTaskReturned) {
			t.Errorf("cause %v, want ErrTaskReturned", context.Cause(leaked))
		}
	})
}

// What it costs: a task under Background that waits on ctx.Done() until it
// ends on its own allocates its Task, its goroutine's closure and the
// channel.
func TestBackgroundTaskWaitingOnDoneAllocatesThree(t *testing.T) {
	const n = 200
	release := make(chan struct{})
	fn := func(ctx context.Context) (int, error) {
		select {
		case <-ctx.Done():
		case <-release:
		}
		return 0, nil
	}
	tasks := make([]*async.Task[int], n)
	allocs := leastAllocs(func() float64 {
		return testing.AllocsPerRun(20, func() {
			release = make(chan struct{})
			for i := range tasks {
				tasks[i] = async.Spawn(context.Background(), fn)
			}
			close(release)
			if _, err := async.Gather(context.Background(), tasks...); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Logf("%.2f allocations per task", allocs/n)
	if perTask := allocs / n; perTask > 3.05 {
		t.Errorf("%.2f allocations per task, want 3 (the Task, its goroutine's closure, the channel) and a few per Gather", perTask)
	}
}

// leastAllocs returns the least of a few measurements by f, each after a
// collection: AllocsPerRun counts the whole process's allocations, and what
// other tests left behind (a finalizer's report, a goroutine still ending)
// only ever adds to them.
func leastAllocs(f func() float64) float64 {
	least := math.Inf(1)
	for range 3 {
		runtime.GC()
		least = min(least, f())
	}
	return least
}
