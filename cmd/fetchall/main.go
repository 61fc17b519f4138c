// Command fetchall fetches many URLs concurrently and writes one record per
// URL — JSON Lines, CSV or a table — with a summary of the run.
//
//	fetchall demo                               # try it: a built-in local server, no network
//	fetchall -i urls.txt -o out.jsonl           # fetch a list, 32 at a time
//	fetchall -i urls.txt -o out.jsonl --resume out.jsonl   # continue after Ctrl-C
//	seq 1 100 | sed 's|^|https://example.com/?p=|' | fetchall -i - -f table
//
// Exit status: 0 when every URL succeeded, 1 when some failed, 2 for a usage
// error (bad flags, unreadable or empty input), 130 when interrupted; the
// demo, whose list fails some URLs on purpose, exits 0 when it ran through. The
// first Ctrl-C stops dispatching, cancels requests in flight, writes their
// records and the summary; a second one exits at once.
//
// Run fetchall -h for every flag. The engine is package fetch.
//
// # Records
//
// One per input URL, written as each completes (JSON Lines by default; -f
// csv has the same columns, -f table is for reading):
//
//	{"line":12,"url":"https://a.example/x","final_url":"https://a.example/y","outcome":"ok",
//	 "status":200,"bytes":5120,"attempts":1,"start_ms":31.2,"duration_ms":84.6,"queued_ms":0.1,
//	 "dns_ms":1.9,"connect_ms":10.3,"tls_ms":22.4,"ttfb_ms":80.2}
//
// outcome is ok, http_error (status 400 and up), error (no usable response:
// see error_kind, such as timeout, connection_reset, dns, tls,
// too_many_redirects), invalid (not an http or https URL) or cancelled
// (interrupted). Durations are in milliseconds; duration_ms runs from the
// first attempt to the end of the body, retry waits included (retry_wait_ms),
// and time spent waiting for a slot, a host or a rate limit is queued_ms.
// Optional fields: truncated (body cut at -max-body), sha256, saved_as,
// reused (a kept-alive connection), error and error_kind.
//
// With -o FILE and -resume FILE, the output is also the checkpoint: run the
// same command again after Ctrl-C or a crash, and only URLs without an ok
// record are fetched.
//
// # Memory
//
// The list is streamed: memory depends on -c and -backlog, not on the
// length of the list (-sorted and -timeline excepted, which keep every
// record). To see it, serve the demo endpoints and compare peak RSS:
//
//	fetchall demo -serve > url.txt &                      # prints the base URL
//	awk -v u=$(cat url.txt) 'BEGIN{for(i=0;i<1000000;i++) print u "/item?size=100&i=" i}' > 1m.txt
//	head -1000 1m.txt > 1k.txt
//	/usr/bin/time -v fetchall -q -c 64 -i 1k.txt -o /dev/null   # Maximum resident set size
//	/usr/bin/time -v fetchall -q -c 64 -i 1m.txt -o /dev/null
//
// Measured 2026-11-24 on the project's 2-core machine (shared, load average
// about 10, so times are slow): 22.3 MB for 1,000 lines, 24.9 MB for
// 1,000,000 lines (+12%; the run took 4m43s).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// errInterrupted is the cause of the run's cancellation on Ctrl-C.
var errInterrupted = errors.New("interrupted")

func main() {
	// The first Ctrl-C (or SIGTERM) cancels the run, which then writes its
	// records and summary; the second exits at once. Exiting ourselves,
	// rather than restoring the default action, also works when the signal
	// was ignored on entry, as in background jobs of a script.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-sigs
		cancel(errInterrupted)
		<-sigs
		fmt.Fprintln(os.Stderr, "fetchall: interrupted again: exiting at once")
		os.Exit(exitInterrupted)
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
