package async_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

func TestWaitForTimesOutAndCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), after(time.Hour, 1, nil), async.WithName("slow query"))
		start := time.Now()
		_, err := async.WaitFor(t.Context(), 2*time.Second, task)
		if time.Since(start) != 2*time.Second {
			t.Errorf("WaitFor returned after %v, want 2s", time.Since(start))
		}
		if !errors.Is(err, async.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want a timeout", err)
		}
		if errors.Is(err, context.Canceled) {
			t.Fatalf("err %v matches context.Canceled: a timeout must be told apart from a cancellation", err)
		}
		if err.Error() != `task "slow query" timed out after 2s` {
			t.Errorf("message %q does not name what timed out", err)
		}
		if !task.Cancelled() || !errors.Is(task.Err(), async.ErrTimeout) {
			t.Fatalf("task %v %v, want cancelled by the timeout", task.State(), task.Err())
		}
	})
}

func TestWaitForInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), after(time.Second, "ok", nil))
		v, err := async.WaitFor(t.Context(), 2*time.Second, task)
		if v != "ok" || err != nil {
			t.Fatalf("WaitFor = %q, %v", v, err)
		}
	})
}

func TestWaitForCallerCancellationIsNotATimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		task := async.Spawn(t.Context(), after(time.Hour, 1, nil))
		go func() {
			time.Sleep(time.Second)
			cancel()
		}()
		_, err := async.WaitFor(ctx, time.Minute, task)
		if !errors.Is(err, context.Canceled) || errors.Is(err, async.ErrTimeout) {
			t.Fatalf("err %v, want a cancellation, not a timeout", err)
		}
		task.Await(t.Context())
		if !task.Cancelled() {
			t.Fatalf("task %v, want cancelled along with the caller", task.State())
		}
	})
}

func TestTimeoutScope(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, err := async.Timeout(t.Context(), time.Second, func(ctx context.Context) (int, error) {
			return 0, async.Sleep(ctx, time.Hour)
		}, async.WithName("load config"))
		if !errors.Is(err, async.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want a timeout", err)
		}
		if !strings.Contains(err.Error(), `"load config" timed out after 1s`) {
			t.Fatalf("message %q does not name the block", err)
		}
		v, err := async.Timeout(t.Context(), time.Hour, func(ctx context.Context) (int, error) { return 5, async.Sleep(ctx, time.Second) })
		if v != 5 || err != nil {
			t.Fatalf("in time: %v, %v", v, err)
		}
		_, err = async.Timeout(t.Context(), time.Hour, func(ctx context.Context) (int, error) { return 0, errBoom })
		if err != errBoom {
			t.Fatalf("other errors pass through unchanged: got %v", err)
		}
	})
}

func TestTimeoutScopeCallerCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			time.Sleep(time.Second)
			cancel()
		}()
		_, err := async.Timeout(ctx, time.Hour, func(ctx context.Context) (int, error) { return 0, async.Sleep(ctx, 2*time.Hour) })
		if !errors.Is(err, context.Canceled) || errors.Is(err, async.ErrTimeout) {
			t.Fatalf("err %v, want the caller's cancellation", err)
		}
	})
}

func TestShield(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := async.Spawn(t.Context(), after(3*time.Second, "saved", nil))
		outer := async.Shield(t.Context(), inner)
		_, err := async.WaitFor(t.Context(), time.Second, outer)
		if !errors.Is(err, async.ErrTimeout) || !outer.Cancelled() {
			t.Fatalf("outer: %v %v, want timed out and cancelled", err, outer.State())
		}
		if inner.State() != async.Running {
			t.Fatalf("inner %v: the shield let the cancellation through", inner.State())
		}
		if v, err := inner.Await(t.Context()); v != "saved" || err != nil {
			t.Fatalf("inner = %q, %v", v, err)
		}
	})
}

// On the path where the task finishes in time, WaitFor costs its timer and
// nothing more: the timeout is named only once it has happened.
func TestWaitForInTimeFormatsNothing(t *testing.T) {
	ctx := context.Background()
	task := async.Spawn(ctx, func(context.Context) (int, error) { return 1, nil })
	task.Await(ctx)
	timer := testing.AllocsPerRun(100, func() {
		tctx, cancel := context.WithTimeout(ctx, time.Hour)
		<-task.Done()
		_ = tctx.Done() // WaitFor waits on it
		cancel()
	})
	waitFor := testing.AllocsPerRun(100, func() {
		if v, err := async.WaitFor(ctx, time.Hour, task); v != 1 || err != nil {
			t.Fatalf("WaitFor: %v %v", v, err)
		}
	})
	if waitFor > timer {
		t.Errorf("WaitFor allocates %v times, its timer %v", waitFor, timer)
	}
}
