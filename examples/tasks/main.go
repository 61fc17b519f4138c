// Tasks: start work, do something else meanwhile, then await the result.
//
// asyncio.create_task(coro) wraps a coroutine in a Task and schedules it; the
// Go form is async.Spawn(ctx, fn), which starts fn in a new goroutine and
// returns a *async.Task[T] at once. t.Await(ctx) is `await task`.
//
// When does the task start? Guides often say create_task "starts the task
// immediately". In asyncio it does not: the event loop runs one thing at a
// time, so a new task first runs when its creator yields — reaches an await
// that suspends it, even asyncio.sleep(0). Code between create_task and that
// await runs before the task does. (The opt-in eager_task_factory of Python
// 3.12+ is the exception: it runs the new task at once, up to its first
// suspension.) In Go there is no such rule either way: Spawn's goroutine may
// start at once, on another core, in parallel with its creator, or a little
// later. Never rely on an order you have not made with Await, a channel or a
// lock.
//
// Run it: go run ./examples/tasks
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/asyncgo/async"
)

// Report is what run observed, for the test.
type Report struct {
	Result         string
	Elapsed        time.Duration
	StateMeanwhile async.State   // the task's state after the creator's own work
	TaskStarted    time.Duration // when the task's function was entered, from the start
}

// download takes two seconds to produce its result.
func download(ctx context.Context) (string, error) {
	if err := async.Sleep(ctx, 2*time.Second); err != nil {
		return "", err
	}
	return "report.pdf (1.2 MB)", nil
}

func run(ctx context.Context, w io.Writer) (Report, error) {
	start := time.Now()
	elapsed := func() string { return fmt.Sprintf("%4.1fs", time.Since(start).Seconds()) }

	// Python: task = asyncio.create_task(download())
	task := async.Spawn(ctx, download, async.WithName("download"), async.WithTimes())
	fmt.Fprintf(w, "%s  started %s\n", elapsed(), task.Name())

	// Meanwhile, the creator does one second of its own work. The download
	// is running during this time, in its own goroutine.
	if err := async.Sleep(ctx, time.Second); err != nil {
		return Report{}, err
	}
	meanwhile := task.State()
	fmt.Fprintf(w, "%s  did my own work; the download is %s\n", elapsed(), meanwhile)

	// Python: result = await task
	result, err := task.Await(ctx)
	if err != nil {
		return Report{}, err
	}
	fmt.Fprintf(w, "%s  got %q\n", elapsed(), result)
	r := Report{
		Result:         result,
		Elapsed:        time.Since(start),
		StateMeanwhile: meanwhile,
		TaskStarted:    task.StartTime().Sub(start),
	}
	fmt.Fprintf(w, "total %v, not 3s: the work overlapped\n", r.Elapsed.Round(100*time.Millisecond))
	return r, nil
}

func main() {
	if _, err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
