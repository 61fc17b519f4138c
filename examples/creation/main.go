// Creation patterns: tasks from a loop, Map over a slice, gather of functions.
//
//	asyncio                                      Go
//	tasks = [create_task(f(x)) for x in xs]      a loop of async.Spawn
//	results = [await t for t in tasks]           a loop of t.Await
//	await gather(*(f(x) for x in xs))            async.Map(ctx, xs, f)
//	  with a Semaphore(2) inside f               async.Map(..., async.WithLimit(2))
//	await gather(f(), g(), h())                  async.GatherFunc(ctx, fns)
//
// On start order: in asyncio, tasks created in a loop start in creation
// order, and none of them before the creating coroutine awaits something.
// In Go each Spawn starts a goroutine that may run at once, in parallel, in
// any order relative to the others. Results still come back in the order
// you asked for, because each has its own task (or its own slot in Map).
//
// Run it: go run ./examples/creation
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asyncgo/async"
)

// Report is what run observed, for the test.
type Report struct {
	Squares       []int
	LoopElapsed   time.Duration
	Shouted       []string
	MapElapsed    time.Duration
	MapPeak       int64 // most calls of shout running at once
	Gathered      []int
	GatherElapsed time.Duration
}

// square takes n seconds to square n.
func square(ctx context.Context, n int) (int, error) {
	if err := async.Sleep(ctx, time.Duration(n)*time.Second); err != nil {
		return 0, err
	}
	return n * n, nil
}

func run(ctx context.Context, w io.Writer) (r Report, err error) {
	// 1. A loop of Spawn, then a loop of Await: 1s, 2s and 3s of work
	// overlap, so the whole thing takes 3s.
	start := time.Now()
	var tasks []*async.Task[int]
	for n := 1; n <= 3; n++ {
		tasks = append(tasks, async.Spawn(ctx, func(ctx context.Context) (int, error) {
			return square(ctx, n)
		}))
	}
	for _, t := range tasks {
		v, err := t.Await(ctx)
		if err != nil {
			return r, err
		}
		r.Squares = append(r.Squares, v)
	}
	r.LoopElapsed = time.Since(start)
	fmt.Fprintf(w, "loop:   %v in %v\n", r.Squares, r.LoopElapsed.Round(100*time.Millisecond))

	// 2. Map: one call per item, at most two at a time. Five 1-second calls,
	// two at a time, take 3 seconds.
	start = time.Now()
	var running, peak atomic.Int64
	shout := func(ctx context.Context, word string) (string, error) {
		now := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
		}
		if err := async.Sleep(ctx, time.Second); err != nil {
			return "", err
		}
		return strings.ToUpper(word), nil
	}
	words := []string{"tasks", "are", "cheap", "in", "go"}
	if r.Shouted, err = async.Map(ctx, words, shout, async.WithLimit(2)); err != nil {
		return r, err
	}
	r.MapElapsed, r.MapPeak = time.Since(start), peak.Load()
	fmt.Fprintf(w, "Map:    %v in %v, at most %d at once\n", r.Shouted, r.MapElapsed.Round(100*time.Millisecond), r.MapPeak)

	// 3. GatherFunc: different functions of the same result type, all at once.
	start = time.Now()
	fns := []func(context.Context) (int, error){
		func(ctx context.Context) (int, error) { return square(ctx, 2) },
		func(ctx context.Context) (int, error) { return square(ctx, 1) },
		func(context.Context) (int, error) { return 100, nil },
	}
	if r.Gathered, err = async.GatherFunc(ctx, fns); err != nil {
		return r, err
	}
	r.GatherElapsed = time.Since(start)
	fmt.Fprintf(w, "Gather: %v in %v\n", r.Gathered, r.GatherElapsed.Round(100*time.Millisecond))
	return r, nil
}

func main() {
	if _, err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
