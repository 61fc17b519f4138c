// Coroutines: a function that waits and returns data.
//
// In Python, `async def fetch_data()` defines a coroutine function. Calling it
// runs nothing: it returns a coroutine object, and the body runs only when
// something awaits it (or wraps it in a task).
//
// Go has no coroutine objects. The Go form of a coroutine is an ordinary
// function that takes a context.Context first and returns (value, error):
// calling it runs it, right away, in the calling goroutine, and the call
// blocks until it returns. Waiting inside it (a timer, a network read) parks
// only this goroutine; the runtime keeps everything else going.
//
// Like awaiting two coroutines one after the other in Python, calling two
// such functions one after the other takes the sum of their times: a
// coroutine alone is not concurrency. The tasks example adds that.
//
// Run it: go run ./examples/coroutines
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/asyncgo/async"
)

// Data is what fetchData returns.
type Data struct {
	ID    int
	Value string
}

// fetchData pretends to fetch a record over a slow network: it waits one
// second and returns the record. The context lets the caller stop the wait;
// this is where a Python coroutine would say `await asyncio.sleep(1)`.
func fetchData(ctx context.Context, id int) (Data, error) {
	if err := async.Sleep(ctx, time.Second); err != nil {
		return Data{}, err
	}
	return Data{ID: id, Value: fmt.Sprintf("record-%d", id)}, nil
}

// run calls fetchData twice, one call after the other, and reports how long
// that took. It returns what it fetched and the elapsed time, so that a test
// can check both.
func run(ctx context.Context, w io.Writer) ([]Data, time.Duration, error) {
	start := time.Now()
	var got []Data
	for id := 1; id <= 2; id++ {
		d, err := fetchData(ctx, id) // Python: d = await fetch_data(id)
		if err != nil {
			return got, time.Since(start), err
		}
		fmt.Fprintf(w, "%4.1fs  fetched %+v\n", time.Since(start).Seconds(), d)
		got = append(got, d)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(w, "two sequential calls took %v: one after the other, no overlap\n", elapsed.Round(100*time.Millisecond))
	return got, elapsed, nil
}

func main() {
	if _, _, err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
