package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/queue"
)

// runEnqueue is "fetchall enqueue": it streams a URL list into a job's
// work queue, one message per line, and says how many were new.
func runEnqueue(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetchall enqueue", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		q      queueFlags
		jf     jobFlags
		input  string
		resume string
	)
	q.add(fs)
	jf.add(fs)
	fs.StringVar(&input, "i", "", "read URLs from `FILE`, one per line (- for stdin)")
	fs.StringVar(&resume, "resume", "", "leave out URLs that have an ok record in the JSON Lines `FILE` of an earlier run")
	if status, ok := parseSubcommand(fs, args, stderr, "enqueue -i FILE [flags]",
		"Put a URL list into a job's work queue on NATS JetStream, one message per line,\nfor fetchall worker to fetch and fetchall collect to gather. Running it again\nadds nothing twice."); !ok {
		return status
	}
	if input == "" {
		fmt.Fprintln(stderr, "fetchall enqueue: no URLs: give -i FILE (-i - for stdin) (see fetchall enqueue -h)")
		return exitUsage
	}
	var src iter.Seq2[fetch.Input, error]
	if input == "-" {
		src = fetch.Lines(stdin)
	} else {
		f, err := os.Open(input)
		if err != nil {
			fmt.Fprintf(stderr, "fetchall enqueue: cannot read the URL list: %v\n", unwrapPath(err))
			return exitUsage
		}
		defer f.Close()
		src = fetch.Lines(f)
	}
	if resume != "" {
		rf, err := os.Open(resume)
		if err != nil {
			fmt.Fprintf(stderr, "fetchall enqueue: cannot read -resume file: %v\n", unwrapPath(err))
			return exitUsage
		}
		done, _, err := fetch.LoadSucceeded(rf)
		rf.Close()
		if err != nil {
			fmt.Fprintf(stderr, "fetchall enqueue: -resume %s: %v\n", resume, err)
			return exitUsage
		}
		src = skipDone(src, done)
	}
	nc, job, status, ok := q.open(ctx, "enqueue", stderr, true, &jf)
	if !ok {
		return status
	}
	defer nc.Close()
	res, err := queue.Enqueue(ctx, job, src)
	fmt.Fprintf(stderr, "job %s: %s read, %d new, %d already queued\n", q.job, plural(int(res.Lines), "URL"), res.New, res.Duplicates)
	switch {
	case errors.Is(err, fetch.ErrInput):
		fmt.Fprintf(stderr, "fetchall enqueue: %v\n", err)
		return exitUsage
	case err != nil && ctx.Err() != nil:
		fmt.Fprintln(stderr, "fetchall enqueue: interrupted: run the same command again to add the rest")
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "fetchall enqueue: %v\n", err)
		return exitFailures
	case res.Lines == 0:
		fmt.Fprintf(stderr, "fetchall enqueue: no URLs in %s\n", input)
		return exitUsage
	}
	return exitOK
}

// skipDone leaves out the inputs whose URL is in done.
func skipDone(src iter.Seq2[fetch.Input, error], done map[string]struct{}) iter.Seq2[fetch.Input, error] {
	return func(yield func(fetch.Input, error) bool) {
		for in, err := range src {
			if _, ok := done[in.URL]; ok && err == nil {
				continue
			}
			if !yield(in, err) {
				return
			}
		}
	}
}

// parseSubcommand parses a queue subcommand's flags, printing its usage on
// -h. It returns false, with the exit status, when the command should not
// go on.
func parseSubcommand(fs *flag.FlagSet, args []string, stderr io.Writer, usage, about string) (int, bool) {
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "Usage: fetchall %s\n\n%s\n\nFlags:\n", usage, about)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return exitOK, false
		}
		fmt.Fprintf(stderr, "%s: %v (see %s -h)\n", fs.Name(), err, fs.Name())
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q (see %s -h)\n", fs.Name(), fs.Arg(0), fs.Name())
		return exitUsage, false
	}
	return 0, true
}
