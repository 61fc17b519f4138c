package main

import (
	"io"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// Three 2-second fetches gathered take 2 seconds, not 6, and the results come
// back in the order of the URLs.
func TestGatheredFetchesOverlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pages, elapsed, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if elapsed != 2*time.Second {
			t.Errorf("elapsed = %v, want 2s (not 6s)", elapsed)
		}
		want := []string{"contents of example.com/a", "contents of example.com/b", "contents of example.com/c"}
		if !slices.Equal(pages, want) {
			t.Errorf("pages = %q, want %q", pages, want)
		}
	})
}
