package async_test

// Facts of Go's src/context tests (context_test.go, x_test.go:
// TestCause, TestAfterFunc*, TestWithoutCancel, TestDeadline, TestValues)
// and of conc's iter tests (TestMap, TestForEach) and errgroup's
// TestWithContext, ported for a call's context of Map made in turn (under
// a limit smaller than the number of items) in the role of the context
// tested.

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// inCall runs f in the second of two calls of Map made in turn by one task
// (limit 1), with that call's context, and returns the context kept after
// the call and Map's error. The first call asks its context for Done, so
// that the task's context has a Done channel of its own.
func inCall(parent context.Context, f func(ctx context.Context) error) (context.Context, error) {
	var kept context.Context
	_, err := async.Map(parent, []int{0, 1}, func(ctx context.Context, i int) (int, error) {
		if i == 0 {
			ctx.Done()
			return 0, nil
		}
		kept = ctx
		return 0, f(ctx)
	}, async.WithLimit(1))
	return kept, err
}

// context_test.go's TestCause, its rows with the tested context as the
// parent.
func TestCallContextPortCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cause, parentCause, childCause := errors.New("cause"), errors.New("parent cause"), errors.New("child cause")
		for _, tc := range []struct {
			name      string
			f         func(call context.Context) context.Context
			err, want error
		}{
			{"WithCancelCause child cancelled", func(call context.Context) context.Context {
				ctx, cancel := context.WithCancelCause(call)
				cancel(cause)
				return ctx
			}, context.Canceled, cause},
			{"WithCancelCause child cancelled with nil", func(call context.Context) context.Context {
				ctx, cancel := context.WithCancelCause(call)
				cancel(nil)
				return ctx
			}, context.Canceled, context.Canceled},
			{"WithTimeoutCause child expires", func(call context.Context) context.Context {
				ctx, cancel := context.WithTimeoutCause(call, time.Millisecond, cause)
				_ = cancel
				<-ctx.Done()
				return ctx
			}, context.DeadlineExceeded, cause},
			{"WithTimeout child expires", func(call context.Context) context.Context {
				ctx, cancel := context.WithTimeout(call, time.Millisecond)
				_ = cancel
				<-ctx.Done()
				return ctx
			}, context.DeadlineExceeded, context.DeadlineExceeded},
			{"WithTimeoutCause child cancelled before", func(call context.Context) context.Context {
				ctx, cancel := context.WithTimeoutCause(call, time.Hour, cause)
				cancel()
				return ctx
			}, context.Canceled, context.Canceled},
			{"child of a WithCancelCause grandchild", func(call context.Context) context.Context {
				ctx, cancel := context.WithCancelCause(call)
				child, cancelChild := context.WithCancelCause(ctx)
				cancel(parentCause)
				cancelChild(childCause)
				return child
			}, context.Canceled, parentCause},
			{"WithoutCancel child of a cancelled WithCancelCause", func(call context.Context) context.Context {
				ctx, cancel := context.WithCancelCause(call)
				cancel(cause)
				return context.WithoutCancel(ctx)
			}, nil, nil},
		} {
			var ctx context.Context
			inCall(t.Context(), func(call context.Context) error {
				ctx = tc.f(call)
				if err, got := ctx.Err(), context.Cause(ctx); err != tc.err || got != tc.want {
					t.Errorf("%s: in the call, Err %v Cause %v, want %v %v", tc.name, err, got, tc.err, tc.want)
				}
				return nil
			})
			if err, got := ctx.Err(), context.Cause(ctx); err != tc.err || got != tc.want {
				t.Errorf("%s: after the call, Err %v Cause %v, want %v %v", tc.name, err, got, tc.err, tc.want)
			}
		}

		// The tested context itself cancelled through its parent, with a
		// cause: it and its children say that cause, in the call and after.
		parent, cancel := context.WithCancelCause(t.Context())
		var child context.Context
		kept, _ := inCall(parent, func(call context.Context) error {
			var cancelChild context.CancelCauseFunc
			child, cancelChild = context.WithCancelCause(call)
			defer cancelChild(childCause)
			cancel(parentCause)
			<-call.Done()
			<-child.Done()
			return nil
		})
		for _, c := range []context.Context{kept, child} {
			if err, got := c.Err(), context.Cause(c); err != context.Canceled || got != parentCause {
				t.Errorf("cancelled through the parent: Err %v Cause %v, want %v %v", err, got, context.Canceled, parentCause)
			}
		}
	})
}

// x_test.go's TestAfterFuncCalledAfterCancel, ...NotCalledAfterStop,
// ...CalledImmediately, with the call's end as the cancellation.
func TestCallContextPortAfterFunc(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		called := make(chan struct{}, 3)
		var stopped bool
		kept, _ := inCall(t.Context(), func(ctx context.Context) error {
			context.AfterFunc(ctx, func() { called <- struct{}{} })
			stop := context.AfterFunc(ctx, func() { t.Error("a stopped AfterFunc ran") })
			stopped = stop()
			synctest.Wait()
			if len(called) != 0 {
				t.Error("AfterFunc ran before the call returned")
			}
			return nil
		})
		if !stopped {
			t.Error("stop before the call's end reported false")
		}
		synctest.Wait()
		if len(called) != 1 {
			t.Errorf("AfterFunc ran %d times after the call returned, want 1", len(called))
		}
		stop := context.AfterFunc(kept, func() { called <- struct{}{} })
		synctest.Wait()
		if len(called) != 2 {
			t.Errorf("AfterFunc on the kept context ran %d times, want once more", len(called)-1)
		}
		if stop() {
			t.Error("stop after AfterFunc ran reported true")
		}
	})
}

// context_test.go's TestWithoutCancel: a WithoutCancel of the call's
// context keeps its values and is never cancelled, by the parent's
// cancellation or the call's end.
func TestCallContextPortWithoutCancel(t *testing.T) {
	type key struct{}
	parent, cancel := context.WithCancelCause(context.WithValue(t.Context(), key{}, "value"))
	var wc context.Context
	inCall(parent, func(ctx context.Context) error {
		wc = context.WithoutCancel(ctx)
		cancel(errors.New("cancelled"))
		<-ctx.Done()
		return nil
	})
	if wc.Err() != nil || context.Cause(wc) != nil || wc.Done() != nil {
		t.Errorf("WithoutCancel of the call's context: Err %v Cause %v Done %v", wc.Err(), context.Cause(wc), wc.Done())
	}
	if wc.Value(key{}) != "value" {
		t.Errorf("WithoutCancel's value %v", wc.Value(key{}))
	}
	if _, ok := wc.Deadline(); ok {
		t.Error("WithoutCancel has a deadline")
	}
}

// context_test.go's TestDeadline and TestTimeout: the call's context has
// the parent's deadline, expires with it (DeadlineExceeded), and a
// context derived from it takes the earlier of its own and that one.
func TestCallContextPortDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := time.Now().Add(time.Second)
		parent, cancel := context.WithDeadline(t.Context(), d)
		defer cancel()
		kept, _ := inCall(parent, func(ctx context.Context) error {
			if got, ok := ctx.Deadline(); !ok || !got.Equal(d) {
				t.Errorf("Deadline %v %v, want %v", got, ok, d)
			}
			later, c1 := context.WithDeadline(ctx, d.Add(time.Hour))
			defer c1()
			if got, _ := later.Deadline(); !got.Equal(d) {
				t.Errorf("a later deadline derived: %v, want the parent's %v", got, d)
			}
			sooner, c2 := context.WithTimeout(ctx, time.Millisecond)
			defer c2()
			<-sooner.Done()
			if sooner.Err() != context.DeadlineExceeded || ctx.Err() != nil {
				t.Errorf("a sooner deadline: %v, the call's context %v", sooner.Err(), ctx.Err())
			}
			<-ctx.Done()
			if ctx.Err() != context.DeadlineExceeded || context.Cause(ctx) != context.DeadlineExceeded {
				t.Errorf("the parent's deadline: Err %v Cause %v", ctx.Err(), context.Cause(ctx))
			}
			<-later.Done()
			if later.Err() != context.DeadlineExceeded {
				t.Errorf("derived, after the parent's deadline: %v", later.Err())
			}
			return nil
		})
		if kept.Err() != context.DeadlineExceeded || context.Cause(kept) != context.DeadlineExceeded {
			t.Errorf("after the call: Err %v Cause %v", kept.Err(), context.Cause(kept))
		}
		if got, ok := kept.Deadline(); !ok || !got.Equal(d) {
			t.Errorf("Deadline after the call %v %v, want %v", got, ok, d)
		}
	})
}

// context_test.go's TestValues: values of the parent, and of contexts
// derived from the call's, are found through it, made or not, during the
// call and after.
func TestCallContextPortValues(t *testing.T) {
	type k1 struct{}
	type k2 struct{}
	parent := context.WithValue(context.WithValue(t.Context(), k1{}, "c1k1"), k2{}, "c1k2")
	for _, made := range []bool{false, true} {
		var child context.Context
		kept, _ := inCall(parent, func(ctx context.Context) error {
			if made {
				ctx.Done()
			}
			if ctx.Value(k1{}) != "c1k1" || ctx.Value(k2{}) != "c1k2" || ctx.Value("none") != nil {
				t.Errorf("made %v: values %v %v %v", made, ctx.Value(k1{}), ctx.Value(k2{}), ctx.Value("none"))
			}
			child = context.WithValue(ctx, k1{}, "c2k1")
			return nil
		})
		if kept.Value(k1{}) != "c1k1" || kept.Value(k2{}) != "c1k2" {
			t.Errorf("made %v: values after the call %v %v", made, kept.Value(k1{}), kept.Value(k2{}))
		}
		if child.Value(k1{}) != "c2k1" || child.Value(k2{}) != "c1k2" || child.Err() == nil {
			t.Errorf("made %v: derived %v %v %v", made, child.Value(k1{}), child.Value(k2{}), child.Err())
		}
	}
}

// conc's iter TestMap and TestForEach (basic increment, empty input,
// mutating inputs, huge inputs) with a limit smaller than the items, so
// that calls are made in turn, over slab boundaries.
func TestConcIterMapInTurn(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 1000} {
		in := make([]int, n)
		for i := range in {
			in[i] = i
		}
		out, err := async.Map(t.Context(), in, func(ctx context.Context, v int) (int, error) {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return v + 1, nil
		}, async.WithLimit(3))
		if err != nil || len(out) != n {
			t.Fatalf("n %d: %d results, %v", n, len(out), err)
		}
		for i, v := range out {
			if v != i+1 {
				t.Fatalf("n %d: out[%d] = %d", n, i, v)
			}
		}
		if err := async.ForEach(t.Context(), in, func(ctx context.Context, p *int) error { *p *= 2; return nil }, async.WithLimit(3)); err != nil {
			t.Fatal(err)
		}
		for i, v := range in {
			if v != 2*i {
				t.Fatalf("n %d: ForEach left in[%d] = %d", n, i, v)
			}
		}
	}
}

// errgroup's TestWithContext (and conc's "error is propagated"): the first
// failure cancels the context of the call still running with it as the
// cause, and is Map's error; calls after it are not made.
func TestErrgroupWithContextMapInTurn(t *testing.T) {
	for _, n := range []int{3, 70, 200} {
		errDoom := errors.New("group_test: doomed")
		var waiting context.Context
		var seen error
		var made atomic.Int32
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		_, err := async.Map(t.Context(), idx, func(ctx context.Context, i int) (int, error) {
			made.Add(1)
			switch i {
			case 0:
				waiting = ctx
				<-ctx.Done()
				seen = context.Cause(ctx)
				return 0, ctx.Err()
			case 1:
				return 0, errDoom
			}
			return 0, nil
		}, async.WithLimit(2))
		var ie *async.IndexError
		if !errors.Is(err, errDoom) || !errors.As(err, &ie) || ie.Index != 1 {
			t.Errorf("n %d: Map's error %v, want item 1's", n, err)
		}
		if made.Load() != 2 {
			t.Errorf("n %d: %d calls made, want 2", n, made.Load())
		}
		if !errors.Is(seen, errDoom) || context.Cause(waiting) != seen {
			t.Errorf("n %d: the waiting call saw the cause %v, and after it %v", n, seen, context.Cause(waiting))
		}
	}
}
