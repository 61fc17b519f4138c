// States: a task is pending, then running, then done or cancelled.
//
// An asyncio Task is pending until it finishes, and then either finished
// (done() is true, result() works) or cancelled (cancelled() is true). A
// *async.Task has the same states plus one asyncio does not expose:
//
//	Pending   created, function not entered yet
//	Running   function entered, not returned
//	Done      returned, with a result or with an error
//	Cancelled ended because its context was cancelled
//
// Right after asyncio.create_task the task is always pending: it cannot run
// until its creator yields. Right after async.Spawn it may be pending or
// already running on another core; Go promises neither.
//
// Cancel is a request in both languages. task.cancel() makes the task raise
// CancelledError at its next await; t.Cancel(cause) cancels the context the
// function was given, and the function stops when it looks at ctx.Done().
// Until then the task is still running and Cancelled() is false. A function
// that ignores its context finishes its work and ends Done, just like a
// Python coroutine that catches CancelledError and carries on.
//
// Run it: go run ./examples/states
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

// errStop is the reason given when the user stops a task. It travels with
// the cancellation, so the task's error says why it was cancelled.
var errStop = errors.New("user pressed stop")

// Report is what run observed, for the test.
type Report struct {
	AfterSpawn      async.State
	ResultTooEarly  error // t.Result() while the task runs
	WhileWaiting    async.State
	AfterAwait      async.State
	Value           int
	CancelAccepted  bool
	CancelledAtOnce bool // Cancelled() right after Cancel: still false
	CancelErr       error
	CancelTook      time.Duration
	AfterCancel     async.State
	SecondCancel    bool
	StubbornState   async.State
	StubbornValue   int
}

// compute works for d and returns 42, unless its context is cancelled first.
func compute(d time.Duration) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if err := async.Sleep(ctx, d); err != nil {
			return 0, err
		}
		return 42, nil
	}
}

func run(ctx context.Context, w io.Writer) (r Report, err error) {
	// 1. pending → running → done
	t := async.Spawn(ctx, compute(time.Second), async.WithName("compute"))
	r.AfterSpawn = t.State()
	fmt.Fprintf(w, "just spawned:   %v (pending or running: Go does not say which)\n", t)

	_, r.ResultTooEarly = t.Result() // asyncio: InvalidStateError
	fmt.Fprintf(w, "result too early: %v\n", r.ResultTooEarly)

	if err := async.Sleep(ctx, 500*time.Millisecond); err != nil {
		return r, err
	}
	r.WhileWaiting = t.State()
	fmt.Fprintf(w, "after 0.5s:     %v\n", t)

	if r.Value, err = t.Await(ctx); err != nil {
		return r, err
	}
	r.AfterAwait = t.State()
	fmt.Fprintf(w, "after Await:    %v, result %d\n", t, r.Value)

	// 2. running → cancelled
	long := async.Spawn(ctx, compute(10*time.Second), async.WithName("long"))
	if err := async.Sleep(ctx, 500*time.Millisecond); err != nil {
		return r, err
	}
	asked := time.Now()
	r.CancelAccepted = long.Cancel(errStop) // asyncio: long.cancel("user pressed stop")
	r.CancelledAtOnce = long.Cancelled()
	fmt.Fprintf(w, "Cancel:         accepted=%v, cancelled yet=%v\n", r.CancelAccepted, r.CancelledAtOnce)

	_, r.CancelErr = long.Await(ctx)
	r.CancelTook = time.Since(asked)
	r.AfterCancel = long.State()
	fmt.Fprintf(w, "after Await:    %v, cause: %v\n", long, errors.Unwrap(r.CancelErr))
	// The error is a *async.CancelledError; it matches context.Canceled
	// (asyncio's `except CancelledError`) and carries the cause.
	fmt.Fprintf(w, "  is context.Canceled: %v, is errStop: %v\n",
		errors.Is(r.CancelErr, context.Canceled), errors.Is(r.CancelErr, errStop))
	r.SecondCancel = long.Cancel(nil)
	fmt.Fprintf(w, "cancel again:   accepted=%v (it has already ended)\n", r.SecondCancel)

	// 3. a function that ignores its context cannot be cancelled
	stubborn := async.Spawn(ctx, func(context.Context) (int, error) {
		time.Sleep(time.Second) // does not look at ctx
		return 7, nil
	}, async.WithName("stubborn"))
	// Let it start first: a task cancelled before its function is entered
	// never enters it and ends Cancelled, in asyncio and in Go alike.
	if err := async.Sleep(ctx, 100*time.Millisecond); err != nil {
		return r, err
	}
	stubborn.Cancel(errStop)
	r.StubbornValue, _ = stubborn.Await(ctx)
	r.StubbornState = stubborn.State()
	fmt.Fprintf(w, "ignored cancel: %v, result %d\n", stubborn, r.StubbornValue)
	return r, nil
}

func main() {
	if _, err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
