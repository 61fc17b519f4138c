package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// WaitFor times out after 1s and the task it waited for ends cancelled, with
// the timeout as its cause.
func TestWaitForCancelsTheTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(r.WaitForErr, async.ErrTimeout) || !errors.Is(r.WaitForErr, context.DeadlineExceeded) {
			t.Errorf("WaitFor error = %v, want ErrTimeout and DeadlineExceeded", r.WaitForErr)
		}
		if r.WaitForTook != time.Second {
			t.Errorf("WaitFor returned after %v, want 1s", r.WaitForTook)
		}
		if r.TimedOutState != async.Cancelled {
			t.Errorf("timed-out task is %v, want cancelled", r.TimedOutState)
		}
		var te *async.TimeoutError
		if !errors.Is(r.TimedOutErr, context.Canceled) || !errors.As(r.TimedOutErr, &te) {
			t.Errorf("task error = %v, want a cancellation caused by a *TimeoutError", r.TimedOutErr)
		}
	})
}

// Await with a 1s deadline on a 3s task gives up waiting, the task keeps
// running, and awaiting it again yields its result at 3s.
func TestAwaitDeadlineLeavesTheTaskRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(r.AwaitErr, context.DeadlineExceeded) {
			t.Errorf("Await error = %v, want DeadlineExceeded", r.AwaitErr)
		}
		if r.AfterAwait != async.Running {
			t.Errorf("task after the Await gave up is %v, want running", r.AfterAwait)
		}
		if r.LaterValue != "report after 3s" || r.LaterAt != 3*time.Second {
			t.Errorf("later: %q at %v, want the report at 3s", r.LaterValue, r.LaterAt)
		}
	})
}

func TestTimeoutBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var te *async.TimeoutError
		if !errors.As(r.BlockErr, &te) || te.After != time.Second {
			t.Errorf("Timeout error = %v, want a 1s *TimeoutError", r.BlockErr)
		}
	})
}
