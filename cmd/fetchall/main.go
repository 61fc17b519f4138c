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
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default action, so that a
		// second Ctrl-C kills the process at once.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
