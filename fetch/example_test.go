package fetch_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/demoserver"
)

// Fetch three inputs — a page, a missing page and a URL that cannot be
// fetched — and get exactly one record for each, in completion order.
func ExampleFetcher_Run() {
	s, err := demoserver.Start()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	f, err := fetch.New(fetch.Config{Concurrency: 8})
	if err != nil {
		panic(err)
	}
	defer f.Close()

	urls := []string{s.URL + "/item?size=100", s.URL + "/status?code=404", "ftp://example.com/file"}
	var lines []string
	sum, err := f.Run(context.Background(), fetch.Slice(urls), fetch.SinkFunc(func(r *fetch.Record) error {
		line := fmt.Sprintf("line %d: %s %d %d bytes", r.Line, r.Outcome, r.Status, r.Bytes)
		if r.ErrorKind != "" {
			line += " " + r.ErrorKind
		}
		lines = append(lines, line)
		return nil
	}))
	if err != nil {
		panic(err)
	}
	slices.Sort(lines) // records come in completion order
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Println("ok:", sum.Outcomes[fetch.OK], "failed:", sum.Failures())
	// Output:
	// line 1: ok 200 100 bytes
	// line 2: http_error 404 10 bytes http_status
	// line 3: invalid 0 0 bytes unsupported_scheme
	// ok: 1 failed: 2
}
