// Errors: a failing task's error is caught where it is awaited, while its
// sibling succeeds.
//
// In asyncio an exception raised in a task is stored in the task and raised
// again at `await task`; you catch it with try/except. In Go the error is a
// value: t.Await returns it, unchanged, and you test it with errors.Is or
// errors.As. A task's failure does not touch other tasks unless something
// (Gather, a group) decides it should.
//
//	asyncio                                   Go
//	try: await t / except LookupError         if _, err := t.Await(ctx); errors.Is(err, ErrNotFound)
//	gather(..., return_exceptions=True)       async.GatherSettled: a Result (Value, Err) per task
//	gather(...) raising the first exception   async.Gather: the first error, and the others are
//	                                          cancelled (asyncio leaves them running)
//	an exception escaping a task              a panic becomes a *async.PanicError, not a crash
//
// Run it: go run ./examples/errors
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

// ErrNotFound is returned for a user that does not exist.
var ErrNotFound = errors.New("not found")

// Report is what run observed, for the test.
type Report struct {
	Alice        string
	MissingErr   error // the failing task's error, as Await returned it
	Settled      []async.Result[string]
	GatherErr    error
	SiblingState async.State // of the slow task Gather cancelled
	PanicErr     error
}

// lookup finds a user by id after a short wait. Id 13 does not exist.
func lookup(id int, d time.Duration) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if err := async.Sleep(ctx, d); err != nil {
			return "", err
		}
		switch id {
		case 1:
			return "alice", nil
		case 2:
			return "bob", nil
		}
		return "", fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
}

func run(ctx context.Context, w io.Writer) (r Report, err error) {
	// 1. Two tasks, each awaited on its own: one fails, one succeeds.
	ok := async.Spawn(ctx, lookup(1, time.Second), async.WithName("alice"))
	bad := async.Spawn(ctx, lookup(13, 500*time.Millisecond), async.WithName("missing"))
	if _, r.MissingErr = bad.Await(ctx); errors.Is(r.MissingErr, ErrNotFound) {
		fmt.Fprintf(w, "caught: %v\n", r.MissingErr)
	}
	if r.Alice, err = ok.Await(ctx); err != nil {
		return r, err
	}
	fmt.Fprintf(w, "sibling unaffected: %q\n", r.Alice)

	// 2. Every outcome, failures included (return_exceptions=True).
	r.Settled = async.GatherSettled(ctx,
		async.Spawn(ctx, lookup(1, time.Second)),
		async.Spawn(ctx, lookup(13, time.Second)),
		async.Spawn(ctx, lookup(2, time.Second)),
	)
	for i, res := range r.Settled {
		fmt.Fprintf(w, "settled[%d]: value %q, err %v\n", i, res.Value, res.Err)
	}

	// 3. Fail fast: the first error ends Gather and cancels the rest.
	slow := async.Spawn(ctx, lookup(2, 10*time.Second), async.WithName("slow"))
	_, r.GatherErr = async.Gather(ctx, slow, async.Spawn(ctx, lookup(13, time.Second)))
	<-slow.Done()
	r.SiblingState = slow.State()
	fmt.Fprintf(w, "Gather: %v; the slow sibling is %v\n", r.GatherErr, r.SiblingState)

	// 4. A panic inside a task is an error for whoever awaits it.
	crash := async.Spawn(ctx, func(context.Context) (string, error) {
		var names []string
		return names[0], nil // indexing an empty slice panics
	}, async.WithName("crash"))
	_, r.PanicErr = crash.Await(ctx)
	var pe *async.PanicError
	if errors.As(r.PanicErr, &pe) {
		fmt.Fprintf(w, "task %q panicked: %v (the program carries on)\n", pe.Task, pe.Value)
	}
	return r, nil
}

func main() {
	if _, err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
