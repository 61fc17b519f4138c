package async_test

// Ports of kotlinx.coroutines' CompletableDeferred tests
// (kotlinx-coroutines-core/common/test/CompletableDeferredTest.kt) to
// Future, named after them: TestKotlinCompletableDeferred<their test>.
// complete is Set, completeExceptionally Fail, cancel Cancel; a parent job
// is the future's context.

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

func TestKotlinCompletableDeferredFresh(t *testing.T) {
	f := async.NewFuture[string](t.Context())
	defer f.Cancel(nil)
	if f.State() != async.Pending || f.Cancelled() {
		t.Errorf("fresh: %v, cancelled %v; want Pending", f.State(), f.Cancelled())
	}
	select {
	case <-f.Done():
		t.Error("a fresh future is done")
	default:
	}
	if _, err := f.Result(); !errors.Is(err, async.ErrInvalidState) {
		t.Errorf("Result of a fresh future = %v, want ErrInvalidState", err)
	}
}

func TestKotlinCompletableDeferredComplete(t *testing.T) {
	f := async.NewFuture[string](t.Context())
	if !f.Set("OK") {
		t.Fatal("the first Set reported false")
	}
	if f.Set("again") || f.Fail(errFoo) || f.Cancel(nil) {
		t.Error("a second outcome was taken")
	}
	if v, err := f.Await(t.Context()); v != "OK" || err != nil || f.State() != async.Done {
		t.Errorf("Await = %q, %v (%v); want OK", v, err, f.State())
	}
}

func TestKotlinCompletableDeferredCompleteWithException(t *testing.T) {
	f := async.NewFuture[string](t.Context())
	if !f.Fail(errFoo) {
		t.Fatal("Fail reported false")
	}
	if f.Set("OK") {
		t.Error("Set after Fail reported true")
	}
	if _, err := f.Await(t.Context()); !errors.Is(err, errFoo) || f.Cancelled() || !errors.Is(f.Err(), errFoo) {
		t.Errorf("Await = %v, cancelled %v; want the failure, not a cancellation", err, f.Cancelled())
	}
}

func TestKotlinCompletableDeferredCancel(t *testing.T) {
	f := async.NewFuture[string](t.Context())
	if !f.Cancel(nil) {
		t.Fatal("Cancel reported false")
	}
	if f.Set("OK") || f.Cancel(nil) {
		t.Error("an outcome after Cancel was taken")
	}
	if _, err := f.Await(t.Context()); !errors.Is(err, context.Canceled) || !f.Cancelled() {
		t.Errorf("Await = %v, cancelled %v; want a cancellation", err, f.Cancelled())
	}
}

func TestKotlinCompletableDeferredCancelWithException(t *testing.T) {
	f := async.NewFuture[string](t.Context())
	f.Cancel(errFoo)
	var ce *async.CancelledError
	if _, err := f.Await(t.Context()); !errors.As(err, &ce) || !errors.Is(err, errFoo) || !errors.Is(err, context.Canceled) {
		t.Errorf("Await = %v; want a CancelledError whose cause is FooException", err)
	}
}

func TestKotlinCompletableDeferredParentCancelsChild(t *testing.T) {
	parent, cancel := context.WithCancelCause(t.Context())
	f := async.NewFuture[string](parent)
	cancel(errFoo)
	if _, err := f.Await(t.Context()); !f.Cancelled() || !errors.Is(err, errFoo) {
		t.Errorf("after the parent was cancelled: %v, %v; want Cancelled with the parent's cause", f.State(), err)
	}
	if f.Set("late") {
		t.Error("Set after the parent's cancellation reported true")
	}
}

// Await suspends until the future is completed from elsewhere.
func TestKotlinCompletableDeferredAwait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		f := async.NewFuture[int](t.Context())
		go func() {
			time.Sleep(time.Second)
			f.Set(42)
		}()
		if v, err := f.Await(t.Context()); v != 42 || err != nil || time.Since(start) != time.Second {
			t.Errorf("Await = %v, %v after %v; want 42 after 1s", v, err, time.Since(start))
		}
	})
}
