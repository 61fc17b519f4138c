package async_test

// Ports of github.com/sourcegraph/conc's iter tests (iter/iter_test.go) to
// ForEach, ForEachIdx and Map, named after them: TestConcIter<their test>.
// conc re-panics in the caller; here a panic is the call's PanicError.

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/asyncgo/async"
)

func TestConcIterForEachIdx(t *testing.T) {
	ctx := t.Context()
	t.Run("empty", func(t *testing.T) {
		err := async.ForEachIdx(ctx, []int{}, func(context.Context, int, *int) error { panic("never called") })
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("panic is returned", func(t *testing.T) {
		err := async.ForEachIdx(ctx, []int{1}, func(context.Context, int, *int) error { panic("super bad thing happened") })
		var pe *async.PanicError
		var ie *async.IndexError
		if !errors.As(err, &pe) || pe.Value != "super bad thing happened" || !errors.As(err, &ie) || ie.Index != 0 {
			t.Fatalf("err = %v; want item 0's PanicError", err)
		}
	})
	t.Run("mutating inputs is fine", func(t *testing.T) {
		ints := []int{1, 2, 3, 4, 5}
		if err := async.ForEachIdx(ctx, ints, func(_ context.Context, i int, v *int) error { *v += 1; return nil }); err != nil {
			t.Fatal(err)
		}
		if want := []int{2, 3, 4, 5, 6}; !slices.Equal(ints, want) {
			t.Errorf("%v, want %v", ints, want)
		}
	})
	t.Run("huge inputs", func(t *testing.T) {
		ints := make([]int, 10000)
		if err := async.ForEachIdx(ctx, ints, func(_ context.Context, i int, v *int) error { *v = i; return nil }, async.WithLimit(8)); err != nil {
			t.Fatal(err)
		}
		for i, v := range ints {
			if v != i {
				t.Fatalf("ints[%d] = %d", i, v)
			}
		}
	})
}

func TestConcIterForEach(t *testing.T) {
	ctx := t.Context()
	t.Run("empty", func(t *testing.T) {
		if err := async.ForEach(ctx, []int{}, func(context.Context, *int) error { panic("never called") }); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("mutating inputs is fine", func(t *testing.T) {
		ints := []int{1, 2, 3, 4, 5}
		if err := async.ForEach(ctx, ints, func(_ context.Context, v *int) error { *v += 1; return nil }); err != nil {
			t.Fatal(err)
		}
		if want := []int{2, 3, 4, 5, 6}; !slices.Equal(ints, want) {
			t.Errorf("%v, want %v", ints, want)
		}
	})
	t.Run("first failure cancels the rest", func(t *testing.T) {
		boom := errors.New("boom")
		var after atomic.Int32
		err := async.ForEach(ctx, []int{0, 1, 2, 3}, func(ctx context.Context, v *int) error {
			if *v == 0 {
				return boom
			}
			<-ctx.Done()
			after.Add(1)
			return ctx.Err()
		}, async.WithLimit(4))
		var ie *async.IndexError
		if !errors.Is(err, boom) || !errors.As(err, &ie) || ie.Index != 0 {
			t.Errorf("err = %v; want item 0's boom", err)
		}
		if after.Load() > 3 {
			t.Errorf("%d calls cancelled", after.Load())
		}
	})
}

// conc's TestIterator "allows more than defaultMaxGoroutines() concurrent
// tasks": under WithLimit(2×GOMAXPROCS) that many calls run at once.
func TestConcIterIteratorAllowsMoreThanDefaultConcurrency(t *testing.T) {
	want := 2 * runtime.GOMAXPROCS(0)
	hit := make(chan struct{})
	var running atomic.Int64
	err := async.ForEach(t.Context(), make([]int, want), func(context.Context, *int) error {
		if int(running.Add(1)) == want {
			close(hit)
		}
		<-hit
		return nil
	}, async.WithLimit(want))
	if err != nil {
		t.Fatal(err)
	}
}

// conc's TestMapErr "error is propagated": the results of the calls that
// succeeded are in place beside the error.
func TestConcIterMapErrErrorIsPropagated(t *testing.T) {
	err1 := errors.New("error1")
	ints := []int{1, 2, 3, 4, 5}
	res, err := async.Map(t.Context(), ints, func(_ context.Context, v int) (int, error) {
		if v == 3 {
			return 0, err1
		}
		return v + 1, nil
	}, async.WithJoin(async.CollectAll()))
	if !errors.Is(err, err1) {
		t.Errorf("err = %v, want error1", err)
	}
	if want := []int{2, 3, 0, 5, 6}; !slices.Equal(res, want) {
		t.Errorf("results %v, want %v", res, want)
	}
}

// WithErroredValues keeps what a failed call returned beside its error
// (conc's ResultPool WithCollectErrored); without it the failed call's
// place holds the zero value.
func TestMapWithErroredValues(t *testing.T) {
	partial := errors.New("partial")
	fn := func(_ context.Context, v int) (int, error) {
		if v%2 == 1 {
			return v * 10, partial
		}
		return v, nil
	}
	for _, keep := range []bool{false, true} {
		opts := []async.FanOutOption{async.WithJoin(async.CollectAll())}
		want := []int{0, 0, 2, 0}
		if keep {
			opts = append(opts, async.WithErroredValues())
			want = []int{0, 10, 2, 30}
		}
		res, err := async.Map(t.Context(), []int{0, 1, 2, 3}, fn, opts...)
		if !errors.Is(err, partial) || !slices.Equal(res, want) {
			t.Errorf("keep=%v: %v, %v; want %v and the errors", keep, res, err, want)
		}
	}
}

// Group.Limit reports WithLimit's n, 0 for none (conc's MaxGoroutines).
func TestGroupLimitAccessor(t *testing.T) {
	for _, n := range []int{0, 1, 7, -3} {
		_ = async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			if got, want := g.Limit(), max(n, 0); got != want {
				t.Errorf("WithLimit(%d): Limit() = %d, want %d", n, got, want)
			}
			return nil
		}, async.WithLimit(n))
	}
}
