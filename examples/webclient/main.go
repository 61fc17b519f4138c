// Web client: fetch five URLs from a local server at once, handle the ones
// that fail, and print a summary sorted fastest to slowest.
//
// The asyncio version of this program uses aiohttp, because Python's own
// HTTP client blocks the event loop. Go's net/http blocks only the goroutine
// that calls it, so each fetch is a plain function run as a task. Each fetch
// gets its own time limit (async.Timeout, asyncio.timeout), the results are
// printed as they arrive (async.AsCompleted, asyncio.as_completed), and an
// error is a value in the summary, not an exception that ends the program.
//
// The server is the project's demo server (fetch/demoserver) on 127.0.0.1:
// one of its URLs answers 500 and one never answers.
//
// Run it: go run ./examples/webclient
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/fetch/demoserver"
)

// StatusError is the error for an HTTP response that is not a success.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// Outcome is what became of one URL.
type Outcome struct {
	URL   string
	Bytes int64
	Took  time.Duration // from the start of the fetch to its end, failed or not
	Err   error
}

// fetch downloads url and returns how many bytes its body had. A status of
// 400 or more is an error.
func fetch(ctx context.Context, client *http.Client, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return 0, &StatusError{Code: resp.StatusCode}
	}
	return io.Copy(io.Discard, resp.Body)
}

// run fetches every URL at once, each within limit, prints each outcome as it
// arrives and then a summary sorted fastest to slowest, which it returns with
// the total time.
func run(ctx context.Context, w io.Writer, client *http.Client, urls []string, limit time.Duration) ([]Outcome, time.Duration) {
	start := time.Now()
	tasks := make([]*async.Task[int64], len(urls))
	for i, url := range urls {
		tasks[i] = async.Spawn(ctx, func(ctx context.Context) (int64, error) {
			// Python: async with asyncio.timeout(limit): ...
			return async.Timeout(ctx, limit, func(ctx context.Context) (int64, error) {
				return fetch(ctx, client, url)
			}, async.WithName(url))
		}, async.WithName(url), async.WithTimes()) // Took is EndTime - StartTime
	}

	// Python: for next in asyncio.as_completed(tasks): ...
	fmt.Fprintln(w, "as they arrive (time since the start; the request's own time):")
	var outcomes []Outcome
	for t, err := range async.AsCompleted(ctx, tasks...) {
		if t == nil { // ctx ended before every task did
			fmt.Fprintln(w, "stopped:", err)
			break
		}
		n, _ := t.Result()
		o := Outcome{URL: t.Name(), Bytes: n, Took: t.EndTime().Sub(t.StartTime()), Err: err}
		outcomes = append(outcomes, o)
		fmt.Fprintf(w, "  at %6.3fs  %s\n", time.Since(start).Seconds(), describe(o))
	}
	total := time.Since(start)

	slices.SortStableFunc(outcomes, func(a, b Outcome) int { return cmp.Compare(a.Took, b.Took) })
	fmt.Fprintln(w, "\nfastest to slowest (the request's own time):")
	failed := 0
	for _, o := range outcomes {
		fmt.Fprintf(w, "  %s\n", describe(o))
		if o.Err != nil {
			failed++
		}
	}
	fmt.Fprintf(w, "%d fetched, %d failed, in %v: the slowest one's time, not the sum\n",
		len(outcomes)-failed, failed, total.Round(10*time.Millisecond))
	return outcomes, total
}

func describe(o Outcome) string {
	took := fmt.Sprintf("took %6.3fs", o.Took.Seconds())
	var se *StatusError
	switch {
	case o.Err == nil:
		return fmt.Sprintf("%s  ok       %6d bytes  %s", took, o.Bytes, o.URL)
	case errors.Is(o.Err, async.ErrTimeout):
		return fmt.Sprintf("%s  timeout                %s", took, o.URL)
	case errors.As(o.Err, &se):
		return fmt.Sprintf("%s  HTTP %d               %s", took, se.Code, o.URL)
	default:
		return fmt.Sprintf("%s  error: %v  %s", took, o.Err, o.URL)
	}
}

// paths are the five URLs fetched, on the demo server.
var paths = []string{
	"/item?delay=300ms&size=2048",
	"/status?code=500",
	"/item?delay=50ms&size=512",
	"/hang",
	"/item?delay=1s&size=10000",
}

func main() {
	srv, err := demoserver.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	defer srv.Close()
	urls := make([]string, len(paths))
	for i, p := range paths {
		urls[i] = srv.URL + p
	}
	run(context.Background(), os.Stdout, http.DefaultClient, urls, 2*time.Second)
}
