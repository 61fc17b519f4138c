package async_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// sleepFor is a stream function that sleeps d then returns d.
func sleepFor(ctx context.Context, d time.Duration) (time.Duration, error) {
	return d, async.Sleep(ctx, d)
}

// Each result comes in the order of the items, as soon as it and every one
// before it are done: not before, not later.
func TestStreamOrderAndPrefix(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		items := []time.Duration{time.Second, 3 * time.Second, 2 * time.Second, 4 * time.Second}
		var got []int
		var at []time.Duration
		for i, r := range async.Stream(t.Context(), slices.Values(items), sleepFor, async.WithLimit(4)) {
			if r.Err != nil || r.Value != items[i] {
				t.Errorf("item %d: %v, %v", i, r.Value, r.Err)
			}
			got = append(got, i)
			at = append(at, time.Since(start))
		}
		if want := []int{0, 1, 2, 3}; !slices.Equal(got, want) {
			t.Errorf("order %v, want %v", got, want)
		}
		// Item 2 finished at 2s but waits for item 1 (3s).
		want := []time.Duration{time.Second, 3 * time.Second, 3 * time.Second, 4 * time.Second}
		if !slices.Equal(at, want) {
			t.Errorf("yielded at %v, want %v", at, want)
		}
	})
}

// Behind a slow item, Stream takes at most limit + backlog items: memory
// follows the window, not the length of the input.
func TestStreamBoundedBacklog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var taken, maxAhead atomic.Int64
		items := func(yield func(time.Duration) bool) {
			for i := 0; ; i++ {
				d := time.Millisecond
				if i == 0 {
					d = time.Hour // the head of the line
				}
				taken.Add(1)
				if !yield(d) {
					return
				}
			}
		}
		delivered := 0
		for _, r := range async.Stream(t.Context(), items, sleepFor, async.WithLimit(2), async.WithBacklog(3)) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if delivered == 0 {
				maxAhead.Store(taken.Load())
			}
			delivered++
			if delivered == 100 {
				break
			}
		}
		// While the first item slept for an hour, exactly the window had
		// been taken: none waits for room outside it.
		if got := maxAhead.Load(); got != 2+3 {
			t.Errorf("%d items taken while the first was running, want limit+backlog = 5", got)
		}
	})
}

// Breaking out cancels the calls still running and waits for them.
func TestStreamStopEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running, cancelled atomic.Int64
		fn := func(ctx context.Context, i int) (int, error) {
			running.Add(1)
			defer running.Add(-1)
			if i == 0 {
				// Virtual time moves only once every other goroutine is
				// blocked, so by the end of this sleep the calls after
				// item 0 are running; without it the loop could stop
				// before any of them had started.
				time.Sleep(time.Second)
				return 0, nil
			}
			<-ctx.Done()
			if errors.Is(context.Cause(ctx), async.ErrStreamStopped) {
				cancelled.Add(1)
			}
			return 0, ctx.Err()
		}
		for i := range async.Stream(t.Context(), seqN(100), fn, async.WithLimit(4)) {
			if i == 0 {
				break
			}
		}
		if running.Load() != 0 {
			t.Errorf("%d calls still running after the loop", running.Load())
		}
		if cancelled.Load() == 0 {
			t.Error("no running call saw ErrStreamStopped")
		}
	})
}

// One item's error is its result, and the other items carry on.
func TestStreamErrorsAreResults(t *testing.T) {
	fn := func(ctx context.Context, i int) (int, error) {
		if i == 1 {
			return 0, errBoom
		}
		return i * 10, nil
	}
	var got []string
	for i, r := range async.Stream(t.Context(), seqN(3), fn) {
		got = append(got, fmt.Sprint(i, r.Value, r.Err))
	}
	if want := []string{"0 0 <nil>", "1 0 boom", "2 20 <nil>"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A panicking call is its item's PanicError, and cancels the calls after it.
func TestStreamPanicInCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fn := func(ctx context.Context, i int) (int, error) {
			if i == 0 {
				time.Sleep(time.Second) // the others have been taken and started by then
				panic("bad item")
			}
			return i, async.Sleep(ctx, time.Hour)
		}
		var errs []error
		for _, r := range async.Stream(t.Context(), seqN(3), fn, async.WithLimit(3)) {
			errs = append(errs, r.Err)
		}
		var pe *async.PanicError
		if len(errs) != 3 || !errors.As(errs[0], &pe) || pe.Value != "bad item" {
			t.Fatalf("errors %v, want the panic first", errs)
		}
		for _, err := range errs[1:] {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("after a panic: %v, want a cancellation", err)
			}
		}
	})
}

// A panic in the items sequence reaches the consumer, after the calls ended.
func TestStreamPanicInItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		items := func(yield func(time.Duration) bool) {
			yield(time.Hour)
			panic("broken input")
		}
		defer func() {
			pe, ok := recover().(*async.PanicError)
			if !ok || pe.Value != "broken input" {
				t.Errorf("recovered %v, want the items' panic as a *PanicError", pe)
			}
		}()
		for range async.Stream(t.Context(), items, sleepFor) {
		}
		t.Error("the items' panic did not reach the consumer")
	})
}

// A panic in the loop body propagates, and the calls are cancelled first.
func TestStreamPanicInConsumer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running atomic.Int64
		fn := func(ctx context.Context, i int) (int, error) {
			running.Add(1)
			defer running.Add(-1)
			if i == 0 {
				return 0, nil
			}
			return 0, async.Sleep(ctx, time.Hour)
		}
		func() {
			defer func() {
				if r := recover(); r != "consumer" {
					t.Errorf("recovered %v, want the consumer's panic", r)
				}
			}()
			for range async.Stream(t.Context(), seqN(10), fn, async.WithLimit(4)) {
				panic("consumer")
			}
		}()
		if running.Load() != 0 {
			t.Errorf("%d calls still running after the consumer panicked", running.Load())
		}
	})
}

// When ctx ends, no more items are taken; the ones taken are yielded.
func TestStreamContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var taken atomic.Int64
		items := func(yield func(time.Duration) bool) {
			for {
				taken.Add(1)
				if !yield(time.Hour) {
					return
				}
			}
		}
		go func() {
			time.Sleep(time.Second)
			cancel()
		}()
		n := 0
		for _, r := range async.Stream(ctx, items, sleepFor, async.WithLimit(2), async.WithBacklog(1)) {
			if !errors.Is(r.Err, context.Canceled) {
				t.Errorf("result %v, want a cancellation", r.Err)
			}
			n++
		}
		if n != 3 || taken.Load() != 3 {
			t.Errorf("yielded %d, took %d items: want the 3 in the window taken and yielded, and no more taken", n, taken.Load())
		}
	})
}

func seqN(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

// Lines come out in input order, each as soon as it and those before it
// are done, while up to four calls run at once.
func ExampleStream() {
	words := slices.Values([]string{"stream", "results", "in", "order"})
	upper := func(ctx context.Context, s string) (string, error) {
		return strings.ToUpper(s), nil
	}
	for i, r := range async.Stream(context.Background(), words, upper, async.WithLimit(4)) {
		fmt.Println(i, r.Value, r.Err)
	}
	// Output:
	// 0 STREAM <nil>
	// 1 RESULTS <nil>
	// 2 IN <nil>
	// 3 ORDER <nil>
}
