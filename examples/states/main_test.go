package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"

	"github.com/asyncgo/async"
)

func TestStates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if r.AfterSpawn != async.Pending && r.AfterSpawn != async.Running {
			t.Errorf("state after Spawn = %v, want pending or running", r.AfterSpawn)
		}
		if !errors.Is(r.ResultTooEarly, async.ErrInvalidState) {
			t.Errorf("Result before the end = %v, want ErrInvalidState", r.ResultTooEarly)
		}
		if r.WhileWaiting != async.Running {
			t.Errorf("state after 0.5s = %v, want running", r.WhileWaiting)
		}
		if r.AfterAwait != async.Done || r.Value != 42 {
			t.Errorf("after Await: %v with %d, want done with 42", r.AfterAwait, r.Value)
		}
	})
}

func TestCancelEndsTaskCancelledWithItsCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if !r.CancelAccepted || r.CancelledAtOnce {
			t.Errorf("Cancel accepted=%v, Cancelled() at once=%v; want true, false (it is a request)", r.CancelAccepted, r.CancelledAtOnce)
		}
		var ce *async.CancelledError
		if !errors.As(r.CancelErr, &ce) || !errors.Is(r.CancelErr, context.Canceled) || !errors.Is(r.CancelErr, errStop) {
			t.Errorf("error = %v, want a *CancelledError matching context.Canceled and errStop", r.CancelErr)
		}
		if r.AfterCancel != async.Cancelled {
			t.Errorf("state = %v, want cancelled", r.AfterCancel)
		}
		if r.CancelTook != 0 {
			t.Errorf("the task took %v to stop after Cancel, want 0 (it was waiting on its context)", r.CancelTook)
		}
		if r.SecondCancel {
			t.Error("a second Cancel of a finished task was accepted")
		}
	})
}

func TestIgnoredCancelEndsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if r.StubbornState != async.Done || r.StubbornValue != 7 {
			t.Errorf("stubborn task: %v with %d, want done with 7", r.StubbornState, r.StubbornValue)
		}
	})
}
