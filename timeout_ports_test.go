package async_test

// Cases ported from the test suites of Trio's CancelScope
// (src/trio/_core/_tests/test_run.py) and Kotlin's withTimeout
// (kotlinx-coroutines-core/common/test/WithTimeoutTest.kt), as far as they
// apply to TimeoutScope and Timeout. CPython's test_timeouts.py is ported
// in conformance_test.go. Each test is named after its source.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// ---- Trio: test_run.py --------------------------------------------------

// test_basic_timeout: a deadline set and left before it passes expires
// nothing; a deadline that passes while the code sleeps cancels it; a
// deadline moved later and then into the past cancels at once, and every
// later check still sees it.
func TestTrio_test_basic_timeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		_, tm := async.NewTimeout(t.Context(), async.NoTimeout)
		if _, ok := tm.Deadline(); ok {
			t.Error("a scope made without a deadline has one")
		}
		tm.Reschedule(start.Add(time.Second))
		if d, _ := tm.Deadline(); !d.Equal(start.Add(time.Second)) {
			t.Errorf("Deadline = %v, want start+1s", d)
		}
		tm.Stop()
		time.Sleep(2 * time.Second)
		if tm.Expired() {
			t.Error("a scope left before its deadline expired afterwards")
		}

		start = time.Now()
		ctx, tm := async.NewTimeoutAt(t.Context(), start.Add(time.Second))
		err := tm.Exit(async.Sleep(ctx, time.Hour))
		if !tm.Expired() || !errors.Is(err, async.ErrTimeout) || time.Since(start) != time.Second {
			t.Errorf("expired %v, Exit %v at %v; want a timeout at 1s", tm.Expired(), err, time.Since(start))
		}

		start = time.Now()
		ctx, tm = async.NewTimeout(t.Context(), async.NoTimeout)
		defer tm.Stop()
		tm.Reschedule(start.Add(10 * time.Second))
		time.Sleep(5 * time.Second)
		if ctx.Err() != nil {
			t.Fatalf("cancelled at 5s with the deadline at 10s: %v", ctx.Err())
		}
		tm.Reschedule(start.Add(time.Second))
		for range 2 {
			if err := ctx.Err(); err != context.DeadlineExceeded {
				t.Errorf("after moving the deadline into the past: Err = %v, want DeadlineExceeded", err)
			}
		}
	})
}

// test_yield_briefly_checks_for_timeout: code that does not wait, only
// checks now and then, sees a deadline that passed while it was busy.
func TestTrio_test_yield_briefly_checks_for_timeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, tm := async.NewTimeout(t.Context(), 5*time.Second)
		defer tm.Stop()
		if err := ctx.Err(); err != nil {
			t.Fatalf("Err = %v before the deadline", err)
		}
		time.Sleep(10 * time.Second) // busy, not looking at ctx
		if err := ctx.Err(); err != context.DeadlineExceeded {
			t.Errorf("Err = %v after the deadline, want DeadlineExceeded", err)
		}
	})
}

// test_current_effective_deadline: with an outer scope at 5 and an inner at
// 10, moving the inner to 3 makes it the one that fires; moving it back to
// 10 makes the outer's 5 the one again. The inner scope's context reports
// no deadline of its own: the outer one's context has none to give either
// (see TimeoutScope), and each scope says its own with Deadline.
func TestTrio_test_current_effective_deadline(t *testing.T) {
	for _, back := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			ctx1, scope1 := async.NewTimeoutAt(t.Context(), start.Add(5*time.Second))
			ctx2, scope2 := async.NewTimeoutAt(ctx1, start.Add(10*time.Second))
			scope2.Reschedule(start.Add(3 * time.Second))
			if back {
				scope2.Reschedule(start.Add(10 * time.Second))
			}
			if _, ok := ctx2.Deadline(); ok {
				t.Error("the inner scope's context reports a deadline")
			}
			err := scope1.Exit(scope2.Exit(async.Sleep(ctx2, time.Hour)))
			want, inner := 3*time.Second, true
			if back {
				want, inner = 5*time.Second, false
			}
			if got := time.Since(start); got != want || scope2.Expired() != inner || scope1.Expired() == inner {
				t.Errorf("moved back %v: ended at %v, inner expired %v, outer %v; want %v", back, got, scope2.Expired(), scope1.Expired(), want)
			}
			if !errors.Is(err, async.ErrTimeout) {
				t.Errorf("moved back %v: Exit = %v, want a timeout", back, err)
			}
		})
	}
}

// test_cancel_shielding, as far as Go has it: code shielded from the outer
// scope (context.WithoutCancel; Trio's shield=True) is not cancelled when
// the outer scope expires, and a scope inside the shield still cancels it.
func TestTrio_test_cancel_shielding(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		outerCtx, outer := async.NewTimeout(t.Context(), time.Second)
		defer outer.Stop()
		shielded := context.WithoutCancel(outerCtx)
		time.Sleep(2 * time.Second)
		if !outer.Expired() || shielded.Err() != nil {
			t.Fatalf("outer expired %v, shielded Err %v: want expired, shield intact", outer.Expired(), shielded.Err())
		}
		innerCtx, inner := async.NewTimeout(shielded, time.Second)
		start := time.Now()
		err := inner.Exit(async.Sleep(innerCtx, time.Hour))
		if !errors.Is(err, async.ErrTimeout) || time.Since(start) != time.Second {
			t.Errorf("scope inside the shield: Exit %v after %v, want its timeout at 1s", err, time.Since(start))
		}
	})
}

// test_very_deep_cancel_scope_nesting: 5,000 nested scopes, the outermost
// ended, end them all without trouble.
func TestTrio_test_very_deep_cancel_scope_nesting(t *testing.T) {
	ctx, outermost := async.NewTimeout(t.Context(), async.NoTimeout)
	scopes := []*async.TimeoutScope{outermost}
	for range 5000 {
		var tm *async.TimeoutScope
		ctx, tm = async.NewTimeout(ctx, async.NoTimeout)
		scopes = append(scopes, tm)
	}
	outermost.Stop()
	if err := ctx.Err(); err != context.Canceled {
		t.Errorf("innermost Err = %v, want Canceled", err)
	}
	for _, tm := range scopes {
		tm.Stop()
	}
}

// test_cancel_scope_deadline_duplicates: a deadline moved back and forth
// many times leaves one timer that matters, and the code runs on.
func TestTrio_test_cancel_scope_deadline_duplicates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		ctx, tm := async.NewTimeout(t.Context(), async.NoTimeout)
		for range 2000 {
			tm.Reschedule(now.Add(9998 * time.Second))
			tm.Reschedule(now.Add(9999 * time.Second))
		}
		if err := async.Sleep(ctx, 10*time.Millisecond); err != nil || tm.Expired() {
			t.Errorf("Sleep = %v, expired %v; want neither", err, tm.Expired())
		}
		err := tm.Exit(async.Sleep(ctx, time.Hour*3))
		if !errors.Is(err, async.ErrTimeout) || time.Since(now) != 9999*time.Second {
			t.Errorf("Exit = %v at %v, want a timeout at 9999s", err, time.Since(now))
		}
	})
}

// ---- Kotlin: WithTimeoutTest.kt -----------------------------------------

// withTimeouts are the two ways to limit a block: Timeout, and a scope made
// with NewTimeout and ended with Exit.
var withTimeouts = map[string]func(ctx context.Context, d time.Duration, name string, fn func(context.Context) (string, error)) (string, error){
	"Timeout": func(ctx context.Context, d time.Duration, name string, fn func(context.Context) (string, error)) (string, error) {
		return async.Timeout(ctx, d, fn, async.WithName(name))
	},
	"TimeoutScope": func(ctx context.Context, d time.Duration, name string, fn func(context.Context) (string, error)) (string, error) {
		sctx, tm := async.NewTimeout(ctx, d, async.WithName(name))
		defer tm.Stop()
		v, err := fn(sctx)
		return v, tm.Exit(err)
	},
}

func kotlinWithTimeout(t *testing.T, test func(t *testing.T, withTimeout func(ctx context.Context, d time.Duration, name string, fn func(context.Context) (string, error)) (string, error))) {
	for name, withTimeout := range withTimeouts {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { test(t, withTimeout) })
		})
	}
}

// testBasicNoSuspend, testBasicSuspend: a block that finishes in time
// returns its result.
func TestKotlin_WithTimeoutTest_testBasicSuspend(t *testing.T) {
	kotlinWithTimeout(t, func(t *testing.T, withTimeout func(context.Context, time.Duration, string, func(context.Context) (string, error)) (string, error)) {
		for _, pause := range []time.Duration{0, time.Millisecond} {
			v, err := withTimeout(t.Context(), 10*time.Second, "", func(ctx context.Context) (string, error) {
				return "OK", async.Sleep(ctx, pause)
			})
			if v != "OK" || err != nil {
				t.Errorf("pause %v: %q, %v; want OK", pause, v, err)
			}
		}
	})
}

// testYieldBlockingWithTimeout: a loop that only checks its context is
// stopped by the timeout, which is what the block ends with.
func TestKotlin_WithTimeoutTest_testYieldBlockingWithTimeout(t *testing.T) {
	kotlinWithTimeout(t, func(t *testing.T, withTimeout func(context.Context, time.Duration, string, func(context.Context) (string, error)) (string, error)) {
		_, err := withTimeout(t.Context(), 100*time.Millisecond, "", func(ctx context.Context) (string, error) {
			for ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			return "", ctx.Err()
		})
		if !errors.Is(err, async.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the timeout", err)
		}
	})
}

// testExceptionOnTimeout, testTimeoutCancellationExceptionIncludesCoroutineName:
// the timeout's message says how long and names the block.
func TestKotlin_WithTimeoutTest_testExceptionOnTimeout(t *testing.T) {
	kotlinWithTimeout(t, func(t *testing.T, withTimeout func(context.Context, time.Duration, string, func(context.Context) (string, error)) (string, error)) {
		_, err := withTimeout(t.Context(), 100*time.Millisecond, "waiting for x", func(ctx context.Context) (string, error) {
			return "OK", async.Sleep(ctx, time.Second)
		})
		if err == nil || !strings.Contains(err.Error(), `"waiting for x" timed out after 100ms`) {
			t.Errorf("err = %v, want the block's name and its 100ms", err)
		}
	})
}

// testSuppressExceptionWithResult: a block that swallows its cancellation
// and returns a result. Kotlin throws the timeout all the same; here, as
// in asyncio, what the block returns stands (it finished its work), and
// the scope still says it expired.
func TestKotlin_WithTimeoutTest_testSuppressExceptionWithResult(t *testing.T) {
	kotlinWithTimeout(t, func(t *testing.T, withTimeout func(context.Context, time.Duration, string, func(context.Context) (string, error)) (string, error)) {
		v, err := withTimeout(t.Context(), 100*time.Millisecond, "", func(ctx context.Context) (string, error) {
			async.Sleep(ctx, time.Second) // the cancellation, ignored
			return "OK", nil
		})
		if v != "OK" || err != nil {
			t.Errorf("%q, %v; want the block's result", v, err)
		}
	})
}

// testSuppressExceptionWithAnotherException, testExceptionFromWithinTimeout:
// an error of the block's own, on the timeout or before it, is what the
// block ends with.
func TestKotlin_WithTimeoutTest_testSuppressExceptionWithAnotherException(t *testing.T) {
	kotlinWithTimeout(t, func(t *testing.T, withTimeout func(context.Context, time.Duration, string, func(context.Context) (string, error)) (string, error)) {
		for _, after := range []time.Duration{time.Second, 0} {
			_, err := withTimeout(t.Context(), 100*time.Millisecond, "", func(ctx context.Context) (string, error) {
				async.Sleep(ctx, after)
				return "", errBoom
			})
			if err != errBoom {
				t.Errorf("error after %v: %v, want the block's own", after, err)
			}
		}
	})
}

// testNegativeTimeout: a timeout already past expires at once; a block
// that looks at its context sees it, and ends with the timeout.
func TestKotlin_WithTimeoutTest_testNegativeTimeout(t *testing.T) {
	kotlinWithTimeout(t, func(t *testing.T, withTimeout func(context.Context, time.Duration, string, func(context.Context) (string, error)) (string, error)) {
		start := time.Now()
		_, err := withTimeout(t.Context(), -time.Millisecond, "", func(ctx context.Context) (string, error) {
			return "OK", ctx.Err()
		})
		if !errors.Is(err, async.ErrTimeout) || time.Since(start) != 0 {
			t.Errorf("err = %v after %v, want the timeout at once", err, time.Since(start))
		}
	})
}
