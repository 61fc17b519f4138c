// Timeouts: WaitFor gives up on a task and cancels it; Await with a deadline
// gives up on waiting and leaves the task running.
//
// asyncio.wait_for(task, timeout) cancels the task when the time is up,
// waits for the cancellation to finish, and raises TimeoutError. Some guides
// say the task keeps running afterwards; it does not. async.WaitFor does the
// same: it cancels the task with a *async.TimeoutError as the cause, waits
// for it to stop, and returns that error.
//
// To stop waiting but let the work go on, asyncio has
// asyncio.wait({task}, timeout=...) or wait_for(shield(task), ...). In Go,
// t.Await(ctx) with a deadline on ctx is exactly that: a context ending stops
// the wait, never the task.
//
// async.Timeout(ctx, d, fn) is asyncio.timeout(d): a deadline for a block of
// code rather than for a task.
//
// Run it: go run ./examples/timeouts
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/asyncgo/async"
)

// Report is what run observed, for the test.
type Report struct {
	WaitForErr    error
	WaitForTook   time.Duration
	TimedOutState async.State // of the task WaitFor gave up on
	TimedOutErr   error       // that task's own error
	AwaitErr      error       // Await with a 1s deadline on a 3s task
	AfterAwait    async.State // that task, right after the Await gave up
	LaterValue    string      // that task's result, awaited again without a deadline
	LaterAt       time.Duration
	BlockErr      error // async.Timeout around a 5s block, 1s limit
}

// slowReport takes d to produce its result.
func slowReport(d time.Duration) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if err := async.Sleep(ctx, d); err != nil {
			return "", err
		}
		return fmt.Sprintf("report after %v", d), nil
	}
}

func run(ctx context.Context, w io.Writer) (r Report, err error) {
	start := time.Now()

	// 1. WaitFor: 1s for a 5s task. The task is cancelled.
	t := async.Spawn(ctx, slowReport(5*time.Second), async.WithName("slow"))
	_, r.WaitForErr = async.WaitFor(ctx, time.Second, t) // Python: await asyncio.wait_for(t, 1)
	r.WaitForTook = time.Since(start)
	r.TimedOutState, r.TimedOutErr = t.State(), t.Err()
	fmt.Fprintf(w, "WaitFor, 1s for a 5s task:     returned at %v: %v\n",
		r.WaitForTook.Round(100*time.Millisecond), r.WaitForErr)
	fmt.Fprintf(w, "  the task:                    %v; its error is that timeout: %v\n",
		r.TimedOutState, errors.Is(r.TimedOutErr, async.ErrTimeout))

	// 2. Await with a deadline: 1s for a 3s task. The task runs on.
	start = time.Now()
	t = async.Spawn(ctx, slowReport(3*time.Second), async.WithName("patient"))
	deadline, cancel := context.WithTimeout(ctx, time.Second)
	_, r.AwaitErr = t.Await(deadline)
	cancel()
	r.AfterAwait = t.State()
	fmt.Fprintf(w, "Await, 1s deadline, 3s task:   gave up: %v\n", r.AwaitErr)
	fmt.Fprintf(w, "  the task:                    still %v\n", r.AfterAwait)
	if r.LaterValue, err = t.Await(ctx); err != nil {
		return r, err
	}
	r.LaterAt = time.Since(start)
	fmt.Fprintf(w, "  awaited again, no deadline:  %q at %v\n", r.LaterValue, r.LaterAt.Round(100*time.Millisecond))

	// 3. A deadline for a block of code. Python: async with asyncio.timeout(1):
	_, r.BlockErr = async.Timeout(ctx, time.Second, slowReport(5*time.Second), async.WithName("block"))
	fmt.Fprintf(w, "Timeout, 1s for a 5s block:    %v\n", r.BlockErr)
	return r, nil
}

func main() {
	if _, err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
