package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/asyncgo/async/fetch"
)

// runCompact is "fetchall compact FILE": it rewrites a checkpoint to one
// record per input line, the last (see fetch.Compact). The file is
// replaced only once its new content is complete and synced: it is written
// to a temporary file in the same directory, which is then renamed over
// it, so that at every moment FILE holds either all its old records or the
// compacted ones.
func runCompact(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetchall compact", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stderr, "Usage: fetchall compact FILE\n\nRewrite the JSON Lines checkpoint FILE with one record per input line: the\nlast one, which is the one that counts after repeated -resume runs. Torn\nrecords are dropped. FILE is replaced at once, by rename, once the new\ncontent is on disk.\n")
			return exitOK
		}
		fmt.Fprintf(stderr, "fetchall compact: %v (see fetchall compact -h)\n", err)
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "fetchall compact: want one FILE (see fetchall compact -h)")
		return exitUsage
	}
	name := fs.Arg(0)
	st, err := fetch.CompactFile(name)
	if err != nil {
		fmt.Fprintf(stderr, "fetchall compact: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%s: %s\n", name, st)
	return exitOK
}
