package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"

	"github.com/asyncgo/async"
)

func TestFailureIsCaughtOnAwaitAndSiblingSucceeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(r.MissingErr, ErrNotFound) {
			t.Errorf("failing task's error = %v, want ErrNotFound", r.MissingErr)
		}
		if r.Alice != "alice" {
			t.Errorf("sibling = %q, want alice", r.Alice)
		}
	})
}

func TestSettledKeepsEveryOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		s := r.Settled
		if len(s) != 3 || s[0] != (async.Result[string]{Value: "alice"}) || s[2] != (async.Result[string]{Value: "bob"}) ||
			!errors.Is(s[1].Err, ErrNotFound) {
			t.Errorf("settled = %+v, want alice, ErrNotFound, bob", s)
		}
	})
}

func TestGatherFailsFastAndCancelsTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(r.GatherErr, ErrNotFound) {
			t.Errorf("Gather error = %v, want ErrNotFound", r.GatherErr)
		}
		if r.SiblingState != async.Cancelled {
			t.Errorf("slow sibling = %v, want cancelled", r.SiblingState)
		}
	})
}

func TestPanicBecomesAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var pe *async.PanicError
		if !errors.As(r.PanicErr, &pe) || pe.Task != "crash" || len(pe.Stack) == 0 {
			t.Errorf("panic error = %v, want a *PanicError for task crash with a stack", r.PanicErr)
		}
		if errors.Is(r.PanicErr, context.Canceled) {
			t.Error("a panic must not look like a cancellation")
		}
	})
}
