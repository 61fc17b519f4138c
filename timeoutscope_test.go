package async_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

func TestNewTimeoutExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		ctx, tm := async.NewTimeout(t.Context(), 2*time.Second, async.WithName("login"))
		defer tm.Stop()
		if d, ok := tm.Deadline(); !ok || !d.Equal(start.Add(2*time.Second)) {
			t.Errorf("Deadline() = %v, %v, want start+2s", d, ok)
		}
		err := async.Sleep(ctx, time.Hour)
		if time.Since(start) != 2*time.Second {
			t.Errorf("the scope expired after %v, want 2s", time.Since(start))
		}
		if !tm.Expired() {
			t.Error("Expired() = false after the deadline passed")
		}
		var te *async.TimeoutError
		if !errors.As(context.Cause(ctx), &te) {
			t.Errorf("context cause = %v, want a *TimeoutError", context.Cause(ctx))
		}
		err = tm.Exit(err)
		if !errors.Is(err, async.ErrTimeout) || errors.Is(err, context.Canceled) {
			t.Fatalf("Exit = %v, want a timeout", err)
		}
		if got, want := err.Error(), `"login" timed out after 2s`; got != want {
			t.Errorf("message %q, want %q", got, want)
		}
	})
}

func TestTimeoutScopeMovedLater(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		ctx, tm := async.NewTimeout(t.Context(), time.Second)
		defer tm.Stop()
		time.Sleep(500 * time.Millisecond)
		if !tm.Reschedule(start.Add(3 * time.Second)) {
			t.Fatal("Reschedule refused on a live scope")
		}
		if d, ok := tm.Deadline(); !ok || !d.Equal(start.Add(3*time.Second)) {
			t.Errorf("tm.Deadline() = %v, %v, want start+3s", d, ok)
		}
		if err := async.Sleep(ctx, 2*time.Second); err != nil { // until 2.5s: past the old deadline
			t.Fatalf("Sleep = %v: the old deadline still fired", err)
		}
		if tm.Expired() {
			t.Error("Expired() = true, but the moved deadline has not passed")
		}
		err := tm.Exit(async.Sleep(ctx, time.Hour))
		if !errors.Is(err, async.ErrTimeout) || time.Since(start) != 3*time.Second {
			t.Errorf("Exit = %v at %v, want a timeout at 3s", err, time.Since(start))
		}
		var te *async.TimeoutError
		if errors.As(err, &te) && te.After != 3*time.Second {
			t.Errorf("After = %v, want the whole 3s the scope allowed", te.After)
		}
	})
}

func TestTimeoutScopeMovedEarlier(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		ctx, tm := async.NewTimeout(t.Context(), time.Hour)
		defer tm.Stop()
		tm.Reschedule(start.Add(time.Second))
		err := tm.Exit(async.Sleep(ctx, time.Hour))
		if !errors.Is(err, async.ErrTimeout) || time.Since(start) != time.Second {
			t.Errorf("Exit = %v at %v, want a timeout at 1s", err, time.Since(start))
		}
		if tm.Reschedule(time.Now().Add(time.Hour)) {
			t.Error("Reschedule after expiry reported success")
		}
	})
}

func TestTimeoutScopeRemoved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, tm := async.NewTimeout(t.Context(), time.Second)
		tm.Reschedule(time.Time{})
		if _, ok := ctx.Deadline(); ok {
			t.Error("ctx still has a deadline after it was removed")
		}
		if _, ok := tm.Deadline(); ok {
			t.Error("scope still has a deadline after it was removed")
		}
		if err := tm.Exit(async.Sleep(ctx, 2*time.Hour)); err != nil || tm.Expired() {
			t.Errorf("Exit = %v, Expired = %v: want no timeout without a deadline", err, tm.Expired())
		}
		if tm.Reschedule(time.Now().Add(time.Second)) {
			t.Error("Reschedule after Exit reported success")
		}
		if ctx.Err() == nil {
			t.Error("Exit left the scope's context alive")
		}
	})
}

func TestTimeoutScopePastDeadlineExpiresAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, d := range []time.Duration{0, -time.Second} {
			ctx, tm := async.NewTimeout(t.Context(), d)
			if ctx.Err() == nil || !tm.Expired() {
				t.Errorf("NewTimeout(%v): not expired at once", d)
			}
			tm.Stop()
		}
		ctx, tm := async.NewTimeout(t.Context(), time.Hour)
		tm.Reschedule(time.Now().Add(-time.Minute))
		if ctx.Err() == nil || !tm.Expired() {
			t.Error("a deadline moved into the past did not expire the scope")
		}
		tm.Stop()
	})
}

func TestTimeoutScopeParentCancellationIsNotATimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancel(t.Context())
		ctx, tm := async.NewTimeout(parent, time.Hour)
		go func() {
			time.Sleep(time.Second)
			cancel()
		}()
		err := tm.Exit(async.Sleep(ctx, 2*time.Hour))
		if !errors.Is(err, context.Canceled) || errors.Is(err, async.ErrTimeout) || tm.Expired() {
			t.Errorf("Exit = %v, Expired = %v: want the parent's cancellation", err, tm.Expired())
		}
	})
}

func TestTimeoutScopeKeepsRealErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, tm := async.NewTimeout(t.Context(), time.Second)
		<-ctx.Done()
		if err := tm.Exit(errBoom); err != errBoom {
			t.Errorf("Exit = %v, want the code's own error even after expiry", err)
		}
	})
}

func TestTimeoutScopeParentDeadlineIsEarlier(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		ctx, tm := async.NewTimeout(parent, time.Hour)
		defer tm.Stop()
		want, _ := parent.Deadline()
		if d, ok := ctx.Deadline(); !ok || !d.Equal(want) {
			t.Errorf("ctx.Deadline() = %v, %v, want the parent's earlier %v", d, ok, want)
		}
	})
}

func TestNoTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		task := async.Spawn(t.Context(), after(100*time.Hour, 7, nil))
		if v, err := async.WaitFor(t.Context(), async.NoTimeout, task); v != 7 || err != nil {
			t.Errorf("WaitFor(NoTimeout) = %v, %v, want the result", v, err)
		}
		if time.Since(start) != 100*time.Hour {
			t.Errorf("WaitFor returned after %v", time.Since(start))
		}
		_, err := async.Timeout(t.Context(), async.NoTimeout, func(ctx context.Context) (int, error) {
			if _, ok := ctx.Deadline(); ok {
				return 0, errors.New("NoTimeout set a deadline")
			}
			return 0, async.Sleep(ctx, 100*time.Hour)
		})
		if err != nil {
			t.Errorf("Timeout(NoTimeout) = %v", err)
		}
		ctx, tm := async.NewTimeout(t.Context(), async.NoTimeout)
		if _, ok := ctx.Deadline(); ok {
			t.Error("NewTimeout(NoTimeout) set a deadline")
		}
		tm.Stop()
	})
}

// A timeout that does not expire builds no message: Timeout with a name
// costs what Timeout without one does. (It used to format the name with
// fmt.Sprintf on every call.)
func TestTimeoutNamedCostsNoFormatting(t *testing.T) {
	ctx := context.Background()
	fn := func(context.Context) (int, error) { return 1, nil }
	unnamed := testing.AllocsPerRun(100, func() { _, _ = async.Timeout(ctx, time.Hour, fn) })
	named := testing.AllocsPerRun(100, func() { _, _ = async.Timeout(ctx, time.Hour, fn, async.WithName("request")) })
	if named > unnamed {
		t.Errorf("Timeout allocates %v times with a name, %v without", named, unnamed)
	}
}

// A deadline that the work itself pushes back while it makes progress.
func ExampleNewTimeout() {
	ctx, tm := async.NewTimeout(context.Background(), 50*time.Millisecond, async.WithName("download"))
	defer tm.Stop()
	for chunk := 1; chunk <= 3; chunk++ {
		// Each chunk that arrives buys the download another second.
		tm.Reschedule(time.Now().Add(time.Second))
	}
	_, hasDeadline := tm.Deadline()
	err := tm.Exit(ctx.Err())
	fmt.Println(hasDeadline, tm.Expired(), err)

	ctx, tm = async.NewTimeout(context.Background(), time.Millisecond, async.WithName("lookup"))
	err = tm.Exit(async.Sleep(ctx, time.Hour))
	fmt.Println(tm.Expired(), err)
	// Output:
	// true false <nil>
	// true "lookup" timed out after 1ms
}

// A deadline that passed first is the outcome, even if the parent is
// cancelled before the code returns: what cancelled the context first
// decides, not what is cancelled at the end.
func TestTimeoutExpiredBeforeTheParentWasCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancel(t.Context())
		ctx, tm := async.NewTimeout(parent, time.Second)
		<-ctx.Done()
		cancel()
		if err := tm.Exit(ctx.Err()); !errors.Is(err, async.ErrTimeout) {
			t.Errorf("TimeoutScope.Exit = %v, want the timeout that came first", err)
		}
		parent, cancel = context.WithCancel(t.Context())
		_, err := async.Timeout(parent, time.Second, func(ctx context.Context) (int, error) {
			<-ctx.Done()
			cancel()
			return 0, ctx.Err()
		})
		if !errors.Is(err, async.ErrTimeout) {
			t.Errorf("Timeout = %v, want the timeout that came first", err)
		}
	})
}

// Two scopes with one deadline both expire, whichever timer runs first; the
// outer one reports the timeout (CPython's test_nested_timeouts).
func TestTimeoutScopesWithOneDeadline(t *testing.T) {
	for range 20 {
		synctest.Test(t, func(t *testing.T) {
			deadline := time.Now().Add(time.Second)
			ctx1, cm1 := async.NewTimeoutAt(t.Context(), deadline)
			ctx2, cm2 := async.NewTimeoutAt(ctx1, deadline)
			err := cm1.Exit(cm2.Exit(async.Sleep(ctx2, time.Hour)))
			if !errors.Is(err, async.ErrTimeout) || !cm1.Expired() || !cm2.Expired() {
				t.Fatalf("Exit = %v, expired %v %v; want a timeout, both expired", err, cm1.Expired(), cm2.Expired())
			}
		})
	}
}
