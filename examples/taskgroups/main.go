// Task groups: five items, one fails. Either the failure cancels the rest
// (asyncio.TaskGroup's rule), or each task keeps its own error as a value and
// every item is processed; both ways the results and errors are collected.
//
// asyncio.TaskGroup and async.WithGroup are the same idea: a scope that does
// not end before every task started in it has ended, so no task is
// forgotten. When a task fails, the group cancels the others and reports the
// failure; TaskGroup raises an ExceptionGroup, WithGroup returns a
// *async.GroupError holding one *async.TaskError per real failure (the
// siblings' cancellations are consequences and are left out).
//
// Guides often declare `results = []` and `errors = []` beside the group and
// never fill them. Here they are filled: from the tasks' handles after the
// group ends (a task keeps its result), or by the tasks themselves as they
// finish. Go tasks run in parallel, so the second way needs a mutex; Python
// tasks share one thread and do not.
//
// Run it: go run ./examples/taskgroups
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/asyncgo/async"
)

// ErrBadItem is the failure of the one bad item.
var ErrBadItem = errors.New("bad item")

type item struct {
	name string
	took time.Duration
}

// items take 0.5s to 3s; "c" fails at 1.5s.
var items = []item{
	{"a", 500 * time.Millisecond}, {"b", time.Second}, {"c", 1500 * time.Millisecond},
	{"d", 2 * time.Second}, {"e", 3 * time.Second},
}

// process works on it for its time and returns its name in capitals, or
// fails for "c".
func process(ctx context.Context, it item) (string, error) {
	if err := async.Sleep(ctx, it.took); err != nil {
		return "", err
	}
	if it.name == "c" {
		return "", fmt.Errorf("item %s: %w", it.name, ErrBadItem)
	}
	return strings.ToUpper(it.name), nil
}

// Outcome is what one way of running the group collected.
type Outcome struct {
	Results   []string
	Errors    []error
	Cancelled []string // names of tasks that were cancelled
	GroupErr  error    // what WithGroup returned
	Elapsed   time.Duration
}

// failFast runs the items in a group: when "c" fails, "d" and "e" are
// cancelled. The lists are filled from the task handles once the group ends.
func failFast(ctx context.Context) Outcome {
	var o Outcome
	start := time.Now()
	var tasks []*async.Task[string]
	// Python: async with asyncio.TaskGroup() as tg:
	o.GroupErr = async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
		for _, it := range items {
			// Python: tg.create_task(process(it), name=it.name)
			tasks = append(tasks, async.Go(g, func(ctx context.Context) (string, error) {
				return process(ctx, it)
			}, async.WithName(it.name)))
		}
		return nil
	})
	o.Elapsed = time.Since(start)
	for _, t := range tasks {
		v, err := t.Result() // every task has ended: WithGroup waited for them
		switch {
		case t.Cancelled():
			o.Cancelled = append(o.Cancelled, t.Name())
		case err != nil:
			o.Errors = append(o.Errors, err)
		default:
			o.Results = append(o.Results, v)
		}
	}
	return o
}

// collectAll runs the items in a group whose tasks record their own errors
// instead of returning them, so one failure cancels nothing.
func collectAll(ctx context.Context) Outcome {
	var (
		o  Outcome
		mu sync.Mutex // the tasks append in parallel
	)
	start := time.Now()
	o.GroupErr = async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
		for _, it := range items {
			g.Go(func(ctx context.Context) error {
				v, err := process(ctx, it)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					o.Errors = append(o.Errors, err)
				} else {
					o.Results = append(o.Results, v)
				}
				return nil // handled: not a failure of the group
			}, async.WithName(it.name))
		}
		return nil
	})
	o.Elapsed = time.Since(start)
	return o
}

func run(ctx context.Context, w io.Writer) (fast, all Outcome) {
	fast = failFast(ctx)
	fmt.Fprintf(w, "fail fast, after %v:\n  results   %v\n  errors    %v\n  cancelled %v\n  group     %v\n",
		fast.Elapsed.Round(100*time.Millisecond), fast.Results, fast.Errors, fast.Cancelled, fast.GroupErr)
	all = collectAll(ctx)
	fmt.Fprintf(w, "collect all, after %v:\n  results   %v\n  errors    %v\n  group     %v\n",
		all.Elapsed.Round(100*time.Millisecond), all.Results, all.Errors, all.GroupErr)
	return fast, all
}

func main() {
	run(context.Background(), os.Stdout)
}
