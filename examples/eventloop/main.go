// Event loop: run a hello task under async.Run, the Go form of asyncio.run.
//
// In asyncio nothing runs without an event loop. Old guides write
//
//	loop = asyncio.get_event_loop()
//	loop.run_until_complete(main())
//
// which current Python deprecates (get_event_loop with no running loop
// warns, then fails); the modern form is asyncio.run(main()), which makes a
// loop, runs main until it returns, cancels whatever tasks main left
// behind, and closes the loop.
//
// Go has no loop to get or run: the runtime's scheduler is always there and
// switches between goroutines by itself, preemptively, on every core. What
// the loop also did — know every task, so that all_tasks() can list them and
// asyncio.run can cancel the leftovers — is what async.Run does:
//
//	asyncio.run(main())         async.Run(ctx, main)
//	asyncio.current_task()      async.Current(ctx)   ("main" for main itself)
//	asyncio.all_tasks()         async.AllTasks(ctx)
//
// When main returns, the tasks it forgot are cancelled, as asyncio.run
// cancels them: their context came from main's, which ends with main (cause
// async.ErrTaskReturned). Run also cancels anything else still alive in the
// scope (cause async.ErrMainReturned), waits a grace period, and reports any
// task that ignores all this in a *async.LeakError. Ctrl-C cancels main's
// context.
//
// Run it: go run ./examples/eventloop
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
	Greeting  string
	Current   string   // the name of the task main runs as
	AllTasks  []string // the names of the live tasks, seen from main
	Leftover  *async.Task[struct{}]
	RunErr    error
	RunReturn time.Duration
}

// hello says hello, waits a second and finishes the greeting.
func hello(w io.Writer) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		fmt.Fprintln(w, "Hello ...")
		if err := async.Sleep(ctx, time.Second); err != nil {
			return "", err
		}
		fmt.Fprintln(w, "... World!")
		return "Hello, World!", nil
	}
}

// heartbeat ticks until it is cancelled: a background task main never awaits.
func heartbeat(ctx context.Context) (struct{}, error) {
	for {
		if err := async.Sleep(ctx, 10*time.Second); err != nil {
			return struct{}{}, err
		}
	}
}

// run is the program: async.Run with a main that starts two tasks, awaits
// one and forgets the other. opts lets a test turn off signal handling.
func run(ctx context.Context, w io.Writer, opts ...async.RunOption) (r Report) {
	start := time.Now()
	r.RunErr = async.Run(ctx, func(ctx context.Context) error {
		r.Current = async.Current(ctx).Name()
		// hello starts at once, in parallel: its first line may be printed
		// before or after main's next one.
		greet := async.Spawn(ctx, hello(w), async.WithName("hello"))
		r.Leftover = async.Spawn(ctx, heartbeat, async.WithName("heartbeat"))
		for _, t := range async.AllTasks(ctx) {
			r.AllTasks = append(r.AllTasks, t.Name())
		}
		fmt.Fprintf(w, "main runs as task %q; live tasks: %v\n", r.Current, r.AllTasks)

		var err error
		r.Greeting, err = greet.Await(ctx)
		return err
	}, opts...)
	r.RunReturn = time.Since(start)
	fmt.Fprintf(w, "Run returned %v after %v; the forgotten heartbeat is %v, cause: %v\n",
		r.RunErr, r.RunReturn.Round(100*time.Millisecond), r.Leftover.State(), errors.Unwrap(r.Leftover.Err()))
	return r
}

func main() {
	if r := run(context.Background(), os.Stdout); r.RunErr != nil {
		fmt.Fprintln(os.Stderr, "error:", r.RunErr)
		os.Exit(1)
	}
}
