package async_test

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// after returns a task function that sleeps d and then returns v, or err if
// err is not nil.
func after[T any](d time.Duration, v T, err error) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		if cerr := async.Sleep(ctx, d); cerr != nil {
			var zero T
			return zero, cerr
		}
		if err != nil {
			var zero T
			return zero, err
		}
		return v, nil
	}
}

func TestGatherKeepsInputOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		tasks := []*async.Task[string]{
			async.Spawn(ctx, after(3*time.Second, "slow", nil)),
			async.Spawn(ctx, after(1*time.Second, "fast", nil)),
			async.Spawn(ctx, after(2*time.Second, "medium", nil)),
		}
		start := time.Now()
		got, err := async.Gather(ctx, tasks...)
		if err != nil || len(got) != 3 || got[0] != "slow" || got[1] != "fast" || got[2] != "medium" {
			t.Fatalf("Gather = %v, %v; want results in input order", got, err)
		}
		if elapsed := time.Since(start); elapsed != 3*time.Second {
			t.Fatalf("took %v, want the slowest task's 3s, not the sum", elapsed)
		}
	})
}

func TestGatherFailsFastAndCancelsTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		slow := async.Spawn(ctx, after(time.Hour, 1, nil))
		failing := async.Spawn(ctx, after(time.Second, 2, errBoom))
		start := time.Now()
		_, err := async.Gather(ctx, slow, failing)
		if !errors.Is(err, errBoom) {
			t.Fatalf("err %v, want the failure", err)
		}
		if elapsed := time.Since(start); elapsed != time.Second {
			t.Fatalf("Gather returned after %v, want at once on the failure (1s)", elapsed)
		}
		slow.Await(ctx)
		if !slow.Cancelled() || !errors.Is(slow.Err(), errBoom) {
			t.Fatalf("other task %v %v, want cancelled with the failure as cause", slow.State(), slow.Err())
		}
	})
}

func TestGatherContextEndCancelsTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		task := async.Spawn(t.Context(), after(time.Hour, 1, nil))
		_, err := async.Gather(ctx, task)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want the context's", err)
		}
		task.Await(t.Context())
		if !task.Cancelled() {
			t.Fatalf("task %v, want cancelled", task.State())
		}
	})
}

func TestGatherSettledReturnsEveryOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		results := async.GatherSettled(ctx,
			async.Spawn(ctx, after(2*time.Second, "a", nil)),
			async.Spawn(ctx, after(1*time.Second, "", errBoom)),
			async.Spawn(ctx, after(3*time.Second, "c", nil)),
		)
		if len(results) != 3 || results[0].Value != "a" || !errors.Is(results[1].Err, errBoom) || results[2].Value != "c" {
			t.Fatalf("results %+v: want a, boom, c — a failure disturbs nobody", results)
		}
	})
}

func TestGatherSettledContextEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		results := async.GatherSettled(ctx,
			async.Spawn(t.Context(), after(time.Second, 1, nil)),
			async.Spawn(t.Context(), after(time.Hour, 2, nil)),
		)
		if results[0].Value != 1 || results[0].Err != nil {
			t.Fatalf("finished task: %+v", results[0])
		}
		if !errors.Is(results[1].Err, context.Canceled) || !errors.Is(results[1].Err, context.DeadlineExceeded) {
			t.Fatalf("unfinished task: %+v, want cancelled with the deadline as cause", results[1])
		}
	})
}

func TestGatherFunc(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got, err := async.GatherFunc(t.Context(), []func(context.Context) (int, error){
			after(2*time.Second, 20, nil),
			after(1*time.Second, 10, nil),
		})
		if err != nil || got[0] != 20 || got[1] != 10 {
			t.Fatalf("GatherFunc = %v, %v", got, err)
		}
		var stopped atomic.Bool
		start := time.Now()
		_, err = async.GatherFunc(t.Context(), []func(context.Context) (int, error){
			func(ctx context.Context) (int, error) {
				err := async.Sleep(ctx, time.Hour)
				stopped.Store(err != nil)
				return 0, err
			},
			after(time.Second, 0, errBoom),
		})
		if !errors.Is(err, errBoom) || err.Error() != "function 1: boom" {
			t.Fatalf("err %v, want the failure with its index", err)
		}
		if !stopped.Load() || time.Since(start) != time.Second {
			t.Fatal("GatherFunc returned before its other function had stopped, or waited for it to finish")
		}
	})
}

func TestMapWithLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		items := make([]int, 30)
		for i := range items {
			items[i] = i
		}
		var running, peak atomic.Int32
		start := time.Now()
		got, err := async.Map(t.Context(), items, func(ctx context.Context, n int) (string, error) {
			cur := running.Add(1)
			defer running.Add(-1)
			for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
			}
			return strconv.Itoa(n * n), async.Sleep(ctx, time.Second)
		}, async.WithLimit(10))
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range got {
			if s != strconv.Itoa(i*i) {
				t.Fatalf("got[%d] = %q, want %d: results out of order", i, s, i*i)
			}
		}
		if peak.Load() != 10 || time.Since(start) != 3*time.Second {
			t.Fatalf("peak %d in %v, want 10 at once and 3s", peak.Load(), time.Since(start))
		}
	})
}

func TestMapFailureStopsQueuedItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var started atomic.Int32
		_, err := async.Map(t.Context(), []int{0, 1, 2, 3, 4, 5}, func(ctx context.Context, n int) (int, error) {
			started.Add(1)
			if n == 1 {
				time.Sleep(time.Second) // item 0 has surely started by now
				return 0, errBoom
			}
			return n, async.Sleep(ctx, time.Hour)
		}, async.WithLimit(2))
		if !errors.Is(err, errBoom) || err.Error() != "item 1: boom" {
			t.Fatalf("err %v, want item 1's failure", err)
		}
		if started.Load() != 2 {
			t.Fatalf("%d items started, want 2: queued items must not start after a failure", started.Load())
		}
	})
}

// Gather of one task takes a path of its own (it awaits the task rather
// than counting it down): the same rules hold there as for many.
func TestGatherOfOneTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		if out, err := async.Gather(t.Context(), async.Spawn(t.Context(), after(time.Second, 7, nil))); err != nil || len(out) != 1 || out[0] != 7 {
			t.Errorf("success: %v, %v; want [7]", out, err)
		}

		failing := async.Spawn(t.Context(), after(time.Second, 0, errBoom))
		if _, err := async.Gather(t.Context(), failing); !errors.Is(err, errBoom) {
			t.Errorf("failure: %v, want boom", err)
		}

		cause := errors.New("caller gave up")
		ctx, cancel := context.WithCancelCause(t.Context())
		time.AfterFunc(time.Second, func() { cancel(cause) })
		slow := async.Spawn(t.Context(), after(time.Hour, 1, nil))
		_, err := async.Gather(ctx, slow)
		if !errors.Is(err, cause) {
			t.Errorf("context ended: %v, want its cause", err)
		}
		if !slow.Cancelled() { // ended, not only asked: Gather waited
			t.Errorf("context ended: task %v, want cancelled by the time Gather returned", slow.State())
		}
		if !errors.Is(slow.Err(), cause) {
			t.Errorf("task's error %v, want the cause", slow.Err())
		}
	})
}

// Gather and GatherSettled allocate the same few times whatever the number
// of tasks: their count reads the caller's slice of tasks and registers on
// each task without an allocation. Only the results grow with the tasks,
// in one allocation.
func TestGatherAllocationsDoNotGrowWithTheTasks(t *testing.T) {
	ctx := context.Background()
	spawnDone := func(n int) []*async.Task[int] {
		tasks := make([]*async.Task[int], n)
		for i := range tasks {
			tasks[i] = async.Spawn(ctx, func(context.Context) (int, error) { return i, nil })
		}
		for _, task := range tasks {
			<-task.Done()
		}
		return tasks
	}
	for _, n := range []int{2, 1000} {
		tasks := spawnDone(n)
		gather := leastAllocs(func() float64 {
			return testing.AllocsPerRun(20, func() {
				if out, err := async.Gather(ctx, tasks...); err != nil || len(out) != n {
					t.Fatalf("Gather = %d results, %v", len(out), err)
				}
			})
		})
		// The count, its wake-up channel, the results.
		if gather != 3 {
			t.Errorf("Gather of %d tasks: %v allocations, want 3", n, gather)
		}
		settled := leastAllocs(func() float64 {
			return testing.AllocsPerRun(20, func() {
				if out := async.GatherSettled(ctx, tasks...); len(out) != n {
					t.Fatalf("GatherSettled = %d results", len(out))
				}
			})
		})
		if settled != 3 {
			t.Errorf("GatherSettled of %d tasks: %v allocations, want 3", n, settled)
		}
	}
}

// The same task given twice is gathered twice, as asyncio.gather(t, t)
// returns its result at both places: pending when Gather counts it, done,
// or failing, in which case the error is the task's and its first place is
// the one reported.
func TestGatherOfTheSameTaskTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		slow := async.Spawn(ctx, after(time.Second, 7, nil))
		done := async.Spawn(ctx, after(0, 8, nil))
		<-done.Done()
		out, err := async.Gather(ctx, slow, done, slow, done)
		if err != nil || len(out) != 4 || out[0] != 7 || out[1] != 8 || out[2] != 7 || out[3] != 8 {
			t.Fatalf("Gather = %v, %v; want [7 8 7 8]", out, err)
		}
		settled := async.GatherSettled(ctx, slow, slow)
		if len(settled) != 2 || settled[0].Value != 7 || settled[1].Value != 7 {
			t.Fatalf("GatherSettled = %+v", settled)
		}

		boom := errors.New("boom")
		failing := async.Spawn(ctx, after(time.Second, 0, boom))
		other := async.Spawn(ctx, after(time.Hour, 0, nil))
		if _, err := async.Gather(ctx, other, failing, failing); !errors.Is(err, boom) {
			t.Fatalf("Gather = %v, want %v", err, boom)
		}
		if !other.Cancelled() {
			t.Errorf("the other task is %v, want cancelled by the failure", other.State())
		}
	})
}
