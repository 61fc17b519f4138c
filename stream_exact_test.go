package async_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// A panic in one call cancels only the calls after it: item 0, still
// running when item 1 panics, yields its own result; item 2 is cancelled
// with the panic as the cause.
func TestStreamPanicCancelsOnlyLaterCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cause2 atomic.Value
		fn := func(ctx context.Context, i int) (int, error) {
			switch i {
			case 0:
				// Stops early only if cancelled, which it must not be.
				if err := async.Sleep(ctx, 10*time.Millisecond); err != nil {
					return 0, err
				}
				return 100, nil
			case 1:
				time.Sleep(time.Millisecond)
				panic("item 1")
			}
			<-ctx.Done()
			cause2.Store(context.Cause(ctx))
			return 0, ctx.Err()
		}
		var got []async.Result[int]
		for _, r := range async.Stream(t.Context(), seqN(3), fn, async.WithLimit(3)) {
			got = append(got, r)
		}
		if len(got) != 3 {
			t.Fatalf("%d results, want 3", len(got))
		}
		if got[0].Err != nil || got[0].Value != 100 {
			t.Errorf("item 0 (before the panic) = %v, %v; want 100, nil", got[0].Value, got[0].Err)
		}
		var pe *async.PanicError
		if !errors.As(got[1].Err, &pe) || pe.Value != "item 1" {
			t.Errorf("item 1 = %v; want its PanicError", got[1].Err)
		}
		if !errors.Is(got[2].Err, context.Canceled) {
			t.Errorf("item 2 (after the panic) = %v; want a cancellation", got[2].Err)
		}
		if c, _ := cause2.Load().(error); !errors.As(c, &pe) {
			t.Errorf("item 2's cause = %v; want the panic", c)
		}
	})
}

// A panic stops the stream taking items: what was not taken is not called.
func TestStreamPanicTakesNoMoreItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var called atomic.Int64
		fn := func(ctx context.Context, i int) (int, error) {
			called.Add(1)
			if i == 2 {
				panic("item 2")
			}
			return i, nil
		}
		n := 0
		for range async.Stream(t.Context(), seqN(1000), fn, async.WithLimit(1), async.WithBacklog(0)) {
			n++
		}
		if n != 3 || called.Load() != 3 {
			t.Errorf("%d results, %d calls; want 3 and 3 (items 0, 1 and the panic)", n, called.Load())
		}
	})
}

// Stream reads at most limit + backlog items before the first result:
// limit 2, backlog 2 and a slow first item take 4 items, not 5.
func TestStreamTakesAtMostTheWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var taken, atFirst atomic.Int64
		items := func(yield func(int) bool) {
			for i := 0; i < 100; i++ {
				taken.Add(1)
				if !yield(i) {
					return
				}
			}
		}
		fn := func(ctx context.Context, i int) (int, error) {
			if i == 0 {
				time.Sleep(time.Second)
			}
			return i, nil
		}
		first := true
		for _, r := range async.Stream(t.Context(), items, fn, async.WithLimit(2), async.WithBacklog(2)) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if first {
				first = false
				atFirst.Store(taken.Load())
			}
		}
		if got := atFirst.Load(); got > 4 {
			t.Errorf("%d items taken before the first result; want at most limit + backlog = 4", got)
		}
	})
}
