// Progress: the worker reports how far it has come; the caller shows it
// while the worker runs.
//
// asyncio has no progress of its own: guides print from inside the task, or
// have the task update a shared variable that another coroutine polls. Here
// the progress belongs to the task. The worker calls
// async.Report(ctx, done, total, message) as it goes; whoever holds the task
// reads the latest report with t.Progress() or follows every new one with
// t.WatchProgress(ctx), which blocks between reports instead of polling and
// ends when the task does.
//
// Run it: go run ./examples/progress
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/asyncgo/async"
)

// Seen is one report as the caller saw it.
type Seen struct {
	Progress async.Progress
	State    async.State // the task's state when the caller read the report
	At       time.Duration
}

// convert pretends to convert files, one second each, reporting after each.
func convert(files []string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		total := int64(len(files))
		async.Report(ctx, 0, total, "starting")
		for i, f := range files {
			if err := async.Sleep(ctx, time.Second); err != nil {
				return i, err
			}
			async.Report(ctx, int64(i+1), total, "converted "+f)
		}
		return len(files), nil
	}
}

func run(ctx context.Context, w io.Writer) ([]Seen, int, error) {
	start := time.Now()
	files := []string{"a.wav", "b.wav", "c.wav", "d.wav", "e.wav"}
	t := async.Spawn(ctx, convert(files), async.WithName("convert"))

	var seen []Seen
	for p := range t.WatchProgress(ctx) {
		s := Seen{Progress: p, State: t.State(), At: time.Since(start)}
		seen = append(seen, s)
		fmt.Fprintf(w, "%4.1fs  %s  %s\n", s.At.Seconds(), bar(p), p.Message)
	}
	n, err := t.Await(ctx)
	if err != nil {
		return seen, n, err
	}
	fmt.Fprintf(w, "done: %d files in %v\n", n, time.Since(start).Round(100*time.Millisecond))
	return seen, n, nil
}

// bar draws p as [####......] 2/5.
func bar(p async.Progress) string {
	const width = 10
	filled := int(p.Fraction() * width)
	return fmt.Sprintf("[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.Done, p.Total)
}

func main() {
	if _, _, err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
