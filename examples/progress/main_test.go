package main

import (
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// Every report the worker made reaches the caller, one second apart, and all
// but the last are read while the worker is still running.
func TestProgressIsReadWhileTheWorkerRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		seen, n, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if n != 5 {
			t.Errorf("converted %d files, want 5", n)
		}
		if len(seen) != 6 {
			t.Fatalf("saw %d reports, want 6 (0/5 to 5/5): %+v", len(seen), seen)
		}
		for i, s := range seen {
			if s.Progress.Done != int64(i) || s.Progress.Total != 5 {
				t.Errorf("report %d = %d/%d, want %d/5", i, s.Progress.Done, s.Progress.Total, i)
			}
			if s.At != time.Duration(i)*time.Second {
				t.Errorf("report %d read at %v, want %ds", i, s.At, i)
			}
			if i < 5 && s.State != async.Running {
				t.Errorf("report %d read while the task was %v, want running", i, s.State)
			}
		}
		if msg := seen[5].Progress.Message; msg != "converted e.wav" {
			t.Errorf("last message = %q", msg)
		}
	})
}
