// Scheduling and timing: two tasks print timestamps; the total is the longer
// task's time, not the sum.
//
// asyncio runs every task on one thread and switches only at an await: a
// task that computes for a second, or calls time.sleep instead of
// asyncio.sleep, freezes every other task for that second. Go's scheduler
// preempts goroutines and runs them on all cores (GOMAXPROCS) at once, so a
// busy or blocked goroutine holds up only itself. The price is that Go tasks
// really run in parallel: data they share needs a mutex or a channel, as the
// log below does.
//
// In both, events due at the same instant may happen in either order; the
// durations here are chosen so that none coincide.
//
// Run it: go run ./examples/scheduling
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/asyncgo/async"
)

// Event is one line of the timeline.
type Event struct {
	At   time.Duration // since the start
	Task string
	Step int
}

// timeline is written by both tasks at once, so it is guarded by a mutex.
type timeline struct {
	mu     sync.Mutex
	start  time.Time
	w      io.Writer
	events []Event
}

func (tl *timeline) record(task string, step int) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	e := Event{At: time.Since(tl.start), Task: task, Step: step}
	tl.events = append(tl.events, e)
	fmt.Fprintf(tl.w, "%4.1fs  %s step %d\n", e.At.Seconds(), e.Task, e.Step)
}

// worker returns a task function that sleeps for every, then records a
// step, steps times over.
func worker(tl *timeline, name string, steps int, every time.Duration) func(context.Context) (struct{}, error) {
	return func(ctx context.Context) (struct{}, error) {
		for i := 1; i <= steps; i++ {
			if err := async.Sleep(ctx, every); err != nil {
				return struct{}{}, err
			}
			tl.record(name, i)
		}
		return struct{}{}, nil
	}
}

// run starts a 3-second task (three 1s steps) and a 5-second task (two 2.5s
// steps) together and returns the timeline and the total time.
func run(ctx context.Context, w io.Writer) ([]Event, time.Duration, error) {
	tl := &timeline{start: time.Now(), w: w}
	a := async.Spawn(ctx, worker(tl, "A", 3, time.Second), async.WithName("A"))
	b := async.Spawn(ctx, worker(tl, "B", 2, 2500*time.Millisecond), async.WithName("B"))
	if _, err := async.Gather(ctx, a, b); err != nil {
		return nil, 0, err
	}
	total := time.Since(tl.start)
	fmt.Fprintf(w, "total %v: the longer task's 5s, not 3s + 5s\n", total.Round(100*time.Millisecond))
	return tl.events, total, nil
}

func main() {
	if _, _, err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
