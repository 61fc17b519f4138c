package main

import (
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// A 2-second task started before 1 second of the creator's own work is done
// after 2 seconds in all, not 3: it ran while the creator worked.
func TestTaskRunsWhileCreatorWorks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := run(t.Context(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if r.Result != "report.pdf (1.2 MB)" {
			t.Errorf("result = %q", r.Result)
		}
		if r.Elapsed != 2*time.Second {
			t.Errorf("elapsed = %v, want 2s", r.Elapsed)
		}
		if r.StateMeanwhile != async.Running {
			t.Errorf("state after the creator's work = %v, want running", r.StateMeanwhile)
		}
		if r.TaskStarted < 0 || r.TaskStarted >= time.Second {
			t.Errorf("task entered its function at %v, want before the creator's 1s of work ended", r.TaskStarted)
		}
	})
}
