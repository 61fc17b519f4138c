// Command fetchall fetches many URLs concurrently and writes one record per
// URL — JSON Lines, CSV or a table — with a summary of the run.
//
//	fetchall demo                               # try it: a built-in local server, no network
//	fetchall -i urls.txt -o out.jsonl           # fetch a list, 32 at a time
//	fetchall -i urls.txt -o out.jsonl --resume out.jsonl   # continue after Ctrl-C
//	seq 1 100 | sed 's|^|https://example.com/?p=|' | fetchall -i - -f table
//
// Exit status: 0 when every URL succeeded, 1 when some failed, 2 for a usage
// error (bad flags, unreadable or empty input), 130 when interrupted. The
// first Ctrl-C stops dispatching, cancels requests in flight, writes their
// records and the summary; a second one exits at once.
//
// Run fetchall -h for every flag. The engine is package fetch.
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
