package main

import (
	"io"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// The two tasks interleave on one timeline and the total is the longer one.
func TestTasksInterleaveAndTotalIsTheLonger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		events, total, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if total != 5*time.Second {
			t.Errorf("total = %v, want 5s (the longer task), not 8s", total)
		}
		s := time.Second
		want := []Event{
			{1 * s, "A", 1}, {2 * s, "A", 2}, {2500 * time.Millisecond, "B", 1},
			{3 * s, "A", 3}, {5 * s, "B", 2},
		}
		if !slices.Equal(events, want) {
			t.Errorf("timeline:\n got %v\nwant %v", events, want)
		}
	})
}
