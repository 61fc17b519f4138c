package async_test

import (
	"context"
	"math"
	"runtime"
	"testing"

	"github.com/asyncgo/async"
)

// The allocations Map, ForEach and GatherFunc make per call are counted
// here, so that a change cannot silently add one back. Each test measures
// two sizes and bounds what the larger one adds: the part that grows with
// the number of calls.

// added returns how many more allocations f(large) makes than f(small),
// the least of a few tries: AllocsPerRun counts the whole process's, and
// what other tests left behind (a finalizer's report, a goroutine still
// ending) only ever adds to them.
func added(f func(n int) float64, small, large int) float64 {
	least := math.Inf(1)
	for range 3 {
		runtime.GC() // run the finalizers earlier tests left, now
		least = min(least, f(large)-f(small))
	}
	return least
}

// Under a limit, the tasks make the calls in turn, and a call that never
// asks for its context's Done channel allocates nothing of its own: the
// contexts are allocated 64 at a time (one allocation per 64 calls, plus
// at most one slab partly used per task), and a success costs nothing else
// under the default policy.
func TestMapUnderALimitAllocatesOncePer64Items(t *testing.T) {
	const limit = 4
	fn := func(ctx context.Context, i int) (int, error) {
		if ctx.Value(ctxKey{}) != nil { // looks at its context, as calls do, without Done
			return 0, nil
		}
		return i, ctx.Err()
	}
	for _, policy := range []string{"default", "CollectAll"} {
		allocs := func(n int) float64 {
			items := make([]int, n)
			return testing.AllocsPerRun(20, func() {
				opts := []async.FanOutOption{async.WithLimit(limit)}
				if policy == "CollectAll" {
					opts = append(opts, async.WithJoin(async.CollectAll()))
				}
				if _, err := async.Map(t.Context(), items, fn, opts...); err != nil {
					t.Fatal(err)
				}
			})
		}
		if got, most := added(allocs, 4000, 8000), 4000.0/64+limit; got > most {
			t.Errorf("%s policy: 4,000 more items under a limit of %d added %v allocations, want at most %v (one per 64 items and one per task)", policy, limit, got, most)
		}
	}
	forEach := func(n int) float64 {
		items := make([]int, n)
		return testing.AllocsPerRun(20, func() {
			if err := async.ForEach(t.Context(), items, func(ctx context.Context, v *int) error { *v++; return ctx.Err() }, async.WithLimit(limit)); err != nil {
				t.Fatal(err)
			}
		})
	}
	if got, most := added(forEach, 4000, 8000), 4000.0/64+limit; got > most {
		t.Errorf("ForEach: 4,000 more items under a limit of %d added %v allocations, want at most %v", limit, got, most)
	}
}

// Without a limit each function is a task, and its context the task's:
// three allocations per function (the task, the closure that makes the
// call, the task's goroutine's), fewer than Spawn and Gather make.
func TestGatherFuncAllocatesThreePerFunction(t *testing.T) {
	allocs := func(n int) float64 {
		fns := make([]func(context.Context) (int, error), n)
		for i := range fns {
			fns[i] = func(ctx context.Context) (int, error) { return i, ctx.Err() }
		}
		return testing.AllocsPerRun(20, func() {
			if _, err := async.GatherFunc(t.Context(), fns); err != nil {
				t.Fatal(err)
			}
		})
	}
	const n = 1000
	// A few more for the group's bookkeeping, which grows by doubling.
	if got, most := added(allocs, n, 2*n), 3.0*n+16; got > most {
		t.Errorf("%d more functions added %v allocations, want at most %v (three per function)", n, got, most)
	}
}
