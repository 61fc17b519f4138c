package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Two one-second calls made one after the other take two seconds, and each
// returns its record.
func TestSequentialCallsAddUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out strings.Builder
		got, elapsed, err := run(t.Context(), &out)
		if err != nil {
			t.Fatal(err)
		}
		if elapsed != 2*time.Second {
			t.Errorf("elapsed = %v, want 2s (1s + 1s, sequential)", elapsed)
		}
		want := []Data{{1, "record-1"}, {2, "record-2"}}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("got %+v, want %+v", got, want)
		}
		if !strings.Contains(out.String(), "took 2s") {
			t.Errorf("output does not report 2s:\n%s", out.String())
		}
	})
}

// Cancelling the context stops the wait inside fetchData at once.
func TestFetchDataStopsWhenCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := fetchData(ctx, 1)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 300*time.Millisecond {
			t.Errorf("returned after %v, want 300ms", d)
		}
	})
}
