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

// Run runs main as task "main", sees every task main started, returns when
// main does, and the task main forgot ends cancelled: its context, derived
// from main's, ended with main.
func TestRunIsAsyncioRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := run(t.Context(), io.Discard, async.WithSignals(nil))
		if r.RunErr != nil {
			t.Fatalf("Run = %v", r.RunErr)
		}
		if r.Greeting != "Hello, World!" {
			t.Errorf("greeting = %q", r.Greeting)
		}
		if r.Current != "main" {
			t.Errorf("main runs as %q, want main", r.Current)
		}
		if want := []string{"main", "hello", "heartbeat"}; !slices.Equal(r.AllTasks, want) {
			t.Errorf("AllTasks = %v, want %v", r.AllTasks, want)
		}
		if r.RunReturn != time.Second {
			t.Errorf("Run returned after %v, want 1s (when main did)", r.RunReturn)
		}
		if !r.Leftover.Cancelled() || !errors.Is(r.Leftover.Err(), async.ErrTaskReturned) {
			t.Errorf("leftover task: %v, %v; want cancelled by ErrTaskReturned", r.Leftover.State(), r.Leftover.Err())
		}
	})
}
