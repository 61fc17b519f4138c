package main

import (
	"errors"
	"io"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// When "c" fails at 1.5s, the group cancels "d" and "e", keeps the results of
// "a" and "b", and reports exactly one failure.
func TestFailFastCancelsSiblingsAndCollects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fast, _ := run(t.Context(), io.Discard)
		if !slices.Equal(fast.Results, []string{"A", "B"}) {
			t.Errorf("results = %v, want [A B]", fast.Results)
		}
		if len(fast.Errors) != 1 || !errors.Is(fast.Errors[0], ErrBadItem) {
			t.Errorf("errors = %v, want one ErrBadItem", fast.Errors)
		}
		if !slices.Equal(fast.Cancelled, []string{"d", "e"}) {
			t.Errorf("cancelled = %v, want [d e]", fast.Cancelled)
		}
		var ge *async.GroupError
		if !errors.As(fast.GroupErr, &ge) || len(ge.Errors) != 1 || !errors.Is(ge, ErrBadItem) {
			t.Fatalf("group error = %v, want a *GroupError with one ErrBadItem", fast.GroupErr)
		}
		var te *async.TaskError
		if !errors.As(ge.Errors[0], &te) || te.Task != "c" {
			t.Errorf("failure = %v, want a *TaskError naming task c", ge.Errors[0])
		}
		if fast.Elapsed != 1500*time.Millisecond {
			t.Errorf("the group took %v, want 1.5s (the failure, not the 3s item)", fast.Elapsed)
		}
	})
}

// When the tasks keep their errors as values, nothing is cancelled: the group
// returns 4 results and 1 error after the longest item.
func TestCollectAllGivesFourResultsAndOneError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, all := run(t.Context(), io.Discard)
		if !slices.Equal(all.Results, []string{"A", "B", "D", "E"}) {
			t.Errorf("results = %v, want [A B D E]", all.Results)
		}
		if len(all.Errors) != 1 || !errors.Is(all.Errors[0], ErrBadItem) {
			t.Errorf("errors = %v, want one ErrBadItem", all.Errors)
		}
		if all.GroupErr != nil {
			t.Errorf("group error = %v, want nil", all.GroupErr)
		}
		if all.Elapsed != 3*time.Second {
			t.Errorf("the group took %v, want 3s", all.Elapsed)
		}
	})
}
