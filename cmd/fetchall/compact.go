package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
	st, err := compactFile(name)
	if err != nil {
		fmt.Fprintf(stderr, "fetchall compact: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%s: %s\n", name, st)
	return exitOK
}

// compactFile compacts name in place, by temporary file and rename.
func compactFile(name string) (st fetch.CompactStats, err error) {
	in, err := os.Open(name)
	if err != nil {
		return st, unwrapPath(err)
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return st, unwrapPath(err)
	}
	if !info.Mode().IsRegular() {
		return st, fmt.Errorf("%s is not a regular file", name)
	}
	// Held until the rename: a run appending to the file meanwhile would
	// append to the old file, and its records would be lost.
	if err := fetch.LockFile(in); err != nil {
		return st, fmt.Errorf("%s: %w", name, err)
	}
	// Resolve a symbolic link, so that the link stays and its target is
	// compacted.
	target, err := filepath.EvalSymlinks(name)
	if err != nil {
		return st, unwrapPath(err)
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".compact-*")
	if err != nil {
		return st, unwrapPath(err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if st, err = fetch.Compact(in, tmp); err != nil {
		return st, fmt.Errorf("%s: %w", name, err)
	}
	if err = tmp.Chmod(info.Mode().Perm()); err != nil {
		return st, err
	}
	if err = tmp.Sync(); err != nil {
		return st, err
	}
	if err = tmp.Close(); err != nil {
		return st, err
	}
	if err = os.Rename(tmp.Name(), target); err != nil {
		return st, unwrapPath(err)
	}
	// The rename is durable once the directory is synced.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return st, nil
}
