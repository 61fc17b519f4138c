package main

import (
	"io"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestCreationPatterns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		// The loop: results in creation order; 1s+2s+3s of work overlapped.
		if !slices.Equal(r.Squares, []int{1, 4, 9}) || r.LoopElapsed != 3*time.Second {
			t.Errorf("loop: %v in %v, want [1 4 9] in 3s", r.Squares, r.LoopElapsed)
		}
		// Map: results in item order; five 1s calls, two at a time: 3s.
		if want := []string{"TASKS", "ARE", "CHEAP", "IN", "GO"}; !slices.Equal(r.Shouted, want) {
			t.Errorf("Map = %q, want %q", r.Shouted, want)
		}
		if r.MapElapsed != 3*time.Second || r.MapPeak != 2 {
			t.Errorf("Map took %v with up to %d at once, want 3s with 2", r.MapElapsed, r.MapPeak)
		}
		// GatherFunc: results in function order, the longest (2s) sets the time.
		if !slices.Equal(r.Gathered, []int{4, 1, 100}) || r.GatherElapsed != 2*time.Second {
			t.Errorf("GatherFunc: %v in %v, want [4 1 100] in 2s", r.Gathered, r.GatherElapsed)
		}
	})
}
