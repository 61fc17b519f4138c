// Many tasks: three 2-second fetches at once take 2 seconds, not 6.
//
// asyncio.gather(*tasks) waits for every task and returns their results in
// order; async.Gather(ctx, tasks...) does the same. The tasks wait at the
// same time, so the total is the longest wait, not the sum.
//
// One difference matters when something fails: asyncio.gather raises the
// first exception and leaves the other tasks running, unobserved. In Go a
// forgotten task is a leaked goroutine, so async.Gather cancels the others
// and returns the first error. The errors example shows it, and
// async.GatherSettled, the form of return_exceptions=True.
//
// Run it: go run ./examples/manytasks
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/asyncgo/async"
)

// fetch pretends to download url, which takes two seconds.
func fetch(ctx context.Context, url string) (string, error) {
	if err := async.Sleep(ctx, 2*time.Second); err != nil {
		return "", err
	}
	return "contents of " + url, nil
}

// run fetches three URLs concurrently and returns the pages, in the order
// of the URLs, and how long it took.
func run(ctx context.Context, w io.Writer) ([]string, time.Duration, error) {
	urls := []string{"example.com/a", "example.com/b", "example.com/c"}
	start := time.Now()

	// Python: tasks = [asyncio.create_task(fetch(u)) for u in urls]
	tasks := make([]*async.Task[string], len(urls))
	for i, url := range urls {
		tasks[i] = async.Spawn(ctx, func(ctx context.Context) (string, error) {
			return fetch(ctx, url)
		}, async.WithName(url))
	}

	// Python: pages = await asyncio.gather(*tasks)
	pages, err := async.Gather(ctx, tasks...)
	if err != nil {
		return nil, time.Since(start), err
	}
	elapsed := time.Since(start)
	for _, p := range pages {
		fmt.Fprintln(w, p)
	}
	fmt.Fprintf(w, "%d fetches of 2s each took %v in all, not %v\n",
		len(urls), elapsed.Round(100*time.Millisecond), time.Duration(len(urls))*2*time.Second)
	return pages, elapsed, nil
}

func main() {
	if _, _, err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
