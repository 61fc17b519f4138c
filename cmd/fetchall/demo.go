package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/demoserver"
)

// runDemo is "fetchall demo": it starts the built-in server on 127.0.0.1,
// fetches a generated list from it and prints the summary on stdout. It
// needs no network and ends by itself in a few seconds: the hanging URL is
// cut by the per-request timeout.
func runDemo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetchall demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		n        int
		output   string
		format   string
		j        = &job{stderr: stderr, report: stdout, summary: true}
		cfg      = &j.cfg
		retries  int
		timeline string
	)
	fs.IntVar(&n, "n", 200, "fetch `N` generated URLs")
	fs.IntVar(&cfg.Concurrency, "c", 32, "fetch at most `N` URLs at once")
	fs.DurationVar(&cfg.Timeout, "timeout", time.Second, "give up an attempt after `D` (the demo has a URL that never answers)")
	fs.IntVar(&retries, "retries", 1, "retry failed attempts up to `N` times")
	fs.StringVar(&output, "o", "", "write the records to `FILE` (by default they are not written)")
	fs.StringVar(&format, "f", "jsonl", "record `format` for -o: jsonl, csv or table")
	fs.StringVar(&timeline, "timeline", "", "write an HTML timeline to `FILE`")
	fs.BoolVar(&j.sorted, "sorted", false, "list every URL from fastest to slowest")
	fs.BoolVar(&j.quiet, "q", false, "no progress bar")
	serve := fs.Bool("serve", false, "only run the server, until Ctrl-C, and print its URL: for trying fetchall on lists of your own")
	fs.Usage = func() {} // errors are reported in one line, the usage only on -h
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, "Usage: fetchall demo [flags]\n\nStart a built-in HTTP server on 127.0.0.1 with varied latency and sizes, errors,\nflaky, slow and hanging URLs; fetch a generated list from it; print the summary.\n\nFlags:\n")
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "fetchall demo: %v (see fetchall demo -h)\n", err)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "fetchall demo: unexpected argument %q (see fetchall demo -h)\n", fs.Arg(0))
		return exitUsage
	case n < 1 || cfg.Concurrency < 1 || cfg.Timeout <= 0 || retries < 0:
		fmt.Fprintln(stderr, "fetchall demo: -n and -c must be at least 1, -timeout positive, -retries not negative")
		return exitUsage
	}
	cfg.Retries = retries
	if retries == 0 {
		cfg.Retries = -1
	}
	cfg.MaxRetryAfter = 5 * time.Second
	cfg.Total = int64(n)
	cfg.KeepRecords = j.sorted || timeline != ""
	j.timeline = timeline

	srv, err := demoserver.Start()
	if err != nil {
		fmt.Fprintf(stderr, "fetchall demo: cannot start the server: %v\n", err)
		return exitFailures
	}
	defer srv.Close()
	if *serve {
		fmt.Fprintf(stdout, "%s\n", srv.URL)
		fmt.Fprintf(stderr, "demo server at %s until Ctrl-C; try %s/item?delay=50ms&size=1000\n", srv.URL, srv.URL)
		<-ctx.Done()
		return exitOK
	}
	j.src = fetch.Slice(srv.List(n))
	j.emptyHint = "the demo list"
	j.flushOut = func() error { return nil }
	j.sink = fetch.SinkFunc(func(*fetch.Record) error { return nil })
	if output != "" {
		f, err := os.Create(output)
		if err != nil {
			fmt.Fprintf(stderr, "fetchall demo: cannot write records: %v\n", unwrapPath(err))
			return exitUsage
		}
		defer f.Close()
		switch format {
		case "jsonl", "json":
			j.sink = fetch.NewJSONLWriter(f)
		case "csv":
			j.sink = fetch.NewCSVWriter(f)
		case "table":
			j.sink = fetch.NewTableWriter(f)
		default:
			fmt.Fprintf(stderr, "fetchall demo: -f %q: want jsonl, csv or table\n", format)
			return exitUsage
		}
	}
	j.showBar = !j.quiet && isTerminal(stderr)
	fmt.Fprintf(stdout, "demo server at %s: fetching %d URLs, %d at a time, %s timeout, %d retries\n",
		srv.URL, n, cfg.Concurrency, cfg.Timeout, retries)
	status := j.execute(ctx)
	if status == exitFailures {
		// The failures are the demo's point, not a fault: the demo succeeded.
		fmt.Fprintln(stdout, "(the demo list has failing URLs on purpose; a list of your own with failures would exit 1)")
		status = exitOK
	}
	if status != exitInterrupted && !j.sorted && timeline == "" && output == "" {
		fmt.Fprintln(stdout, "next: fetchall demo -sorted · -timeline demo.html · -o demo.jsonl; fetchall -h for your own lists")
	}
	return status
}
