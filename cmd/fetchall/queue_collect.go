package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/queue"
	"github.com/asyncgo/async/fetch/report"
)

// runCollect is "fetchall collect": it writes the records of a job, one
// per input line, as the workers publish them, and the summary of the
// whole job once every line has its record.
func runCollect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetchall collect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		q                      queueFlags
		jf                     jobFlags
		output, format, resume string
		fsync                  time.Duration
		j                      = &job{stderr: stderr, report: stderr}
	)
	q.add(fs)
	jf.add(fs)
	jf.addCreate(fs)
	fs.StringVar(&output, "o", "", "write records to `FILE` instead of stdout")
	fs.StringVar(&format, "f", "jsonl", "record `format`: jsonl, csv or table")
	fs.StringVar(&resume, "resume", "", "continue the JSON Lines `FILE` of an interrupted collect: its lines are not written again (with -o FILE, appended to)")
	fs.DurationVar(&fsync, "fsync", 0, "sync the records file to disk at most `D` after records are written (0: leave it to the OS)")
	fs.BoolVar(&j.quiet, "q", false, "no progress bar and no summary")
	fs.BoolVar(&j.cfg.Ordered, "ordered", false, "write records in input order, not as they are stored (see -order-window)")
	fs.IntVar(&j.cfg.OrderWindow, "order-window", 4096, "with -ordered, hold back at most `N` records waiting for an earlier line's; when full, the oldest is written and the lines before it come late")
	if status, ok := parseSubcommand(fs, args, stderr, "collect [-nats URL] [-job NAME] [-o FILE] [flags]",
		"Write the records of a job as its workers publish them: exactly one per input line,\n"+
			"whatever workers died or fetched twice; then the summary of the whole job, with\n"+
			"the records per worker. It ends when every line has its record; Ctrl-C stops it,\n"+
			"and the same command with -resume FILE goes on where it stopped. It starts once\n"+
			"enqueue has finished, and takes only records of the job's own lines and URLs:\n"+
			"others are reported on stderr."); !ok {
		return status
	}

	if j.cfg.OrderWindow < 1 {
		fmt.Fprintln(stderr, "fetchall collect: -order-window must be at least 1")
		return exitUsage
	}

	// Output, with the local run's checks: a resumed file is appended to
	// after its torn last line is ended, never truncated.
	resumeFile := openedFile{flag: "-resume", name: resume}
	var done map[int]bool
	if resume != "" {
		rf, err := os.Open(resume)
		switch {
		case errors.Is(err, os.ErrNotExist) && output != "":
		case err != nil:
			fmt.Fprintf(stderr, "fetchall collect: cannot read -resume file: %v\n", unwrapPath(err))
			return exitUsage
		default:
			resumeFile = statFile("-resume", resume, rf)
			done, err = loadLines(rf)
			rf.Close()
			if err != nil {
				fmt.Fprintf(stderr, "fetchall collect: -resume %s: %v\n", resume, err)
				return exitUsage
			}
		}
	}
	var out io.Writer = stdout
	if output != "" {
		f, appending, err := openRecords(output, openedFile{}, resumeFile)
		if err != nil {
			fmt.Fprintf(stderr, "fetchall collect: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		if appending && format != "jsonl" && format != "json" {
			fmt.Fprintln(stderr, "fetchall collect: -resume with the same file as -o needs -f jsonl")
			return exitUsage
		}
		out = f
	}
	if err := j.useOutput(out, output == "" && isTerminal(stdout), format, fsync); err != nil {
		fmt.Fprintf(stderr, "fetchall collect: %v\n", err)
		return exitUsage
	}
	defer j.close()

	nc, qj, status, ok := q.open(ctx, "collect", stderr, jf.create, &jf)
	if !ok {
		return status
	}
	defer nc.Close()
	c, err := collectJob(ctx, qj, j, done)
	return reportCollected(c, err, j, stderr)
}

// collectJob runs queue.Collect into the job's sink, with a progress bar
// when stderr is a terminal.
func collectJob(ctx context.Context, qj *queue.Job, j *job, done map[int]bool) (*queue.Collected, error) {
	var (
		failed atomic.Int64
		bar    *progressBar
		total  int64
	)
	if !j.quiet && isTerminal(j.stderr) {
		// A bar over the job's total once enqueue has recorded it; a
		// counter until then.
		if info, ok, _ := qj.Info(ctx); ok {
			total = info.Total
		}
		bar = newProgressBar(j.stderr, total, &failed)
		if j.recordsOnTerm && j.records != nil {
			j.records.w = bar.p
		}
	}
	opts := queue.CollectOptions{
		Ordered:     j.cfg.Ordered,
		OrderWindow: j.cfg.OrderWindow,
		Progress: func(n, t int64) {
			if bar == nil {
				return
			}
			if t != total {
				total = t
				bar.bar.SetTotal(t, false)
			}
			bar.bar.SetCurrent(n)
		},
		BadMessage: func(rec *fetch.Record) {
			fmt.Fprintf(j.stderr, "fetchall collect: %s\n", rec.Error)
		},
	}
	if done != nil {
		opts.Skip = func(line int) bool { return done[line] }
	}
	sink := fetch.SinkFunc(func(rec *fetch.Record) error {
		if rec.Failed() {
			failed.Add(1)
		}
		return j.sink.Write(rec)
	})
	c, err := queue.Collect(ctx, qj, sink, opts)
	if bar != nil {
		bar.finish(err != nil)
	}
	if ferr := j.flushOut(); ferr != nil && err == nil {
		err = fmt.Errorf("%w: %w", fetch.ErrOutput, ferr)
	}
	return c, err
}

// reportCollected prints the summary of a collect and returns the exit
// status, as a local run would.
func reportCollected(c *queue.Collected, err error, j *job, stderr io.Writer) int {
	status := exitOK
	switch {
	case errors.Is(err, queue.ErrCollectInterrupted):
		status = exitInterrupted
		if sig := (*async.SignalError)(nil); errors.As(err, &sig) {
			status = sig.ExitCode()
		}
	case err != nil:
		fmt.Fprintf(stderr, "fetchall collect: %v\n", err)
		status = exitFailures
	case c.Summary.Failures() > 0:
		status = exitFailures
	}
	if c == nil || j.quiet {
		return status
	}
	fmt.Fprint(j.report, report.Summary(c.Summary))
	fmt.Fprintf(j.report, "  job: %d of %d lines have their record", c.Done, c.Total)
	if c.Resumed > 0 {
		fmt.Fprintf(j.report, " (%d written by an earlier collect)", c.Resumed)
	}
	if c.Duplicates > 0 {
		fmt.Fprintf(j.report, "; %d duplicate records dropped", c.Duplicates)
	}
	if c.BadMessages > 0 {
		fmt.Fprintf(j.report, "; %d malformed work messages", c.BadMessages)
	}
	if c.OutOfOrder > 0 {
		fmt.Fprintf(j.report, "; %d records written out of order (-order-window was full)", c.OutOfOrder)
	}
	if c.Rejected > 0 {
		fmt.Fprintf(j.report, "; %d records rejected (not of the job's lines, reported above)", c.Rejected)
	}
	fmt.Fprintln(j.report)
	if len(c.Workers) > 0 {
		fmt.Fprintf(j.report, "  records per worker:\n")
		for _, id := range slices.Sorted(maps.Keys(c.Workers)) {
			fmt.Fprintf(j.report, "    %-32s %8d\n", id, c.Workers[id])
		}
	}
	if status == exitInterrupted || status > 128 {
		fmt.Fprintln(j.report, "  interrupted: the same command with -resume FILE (the -o file) goes on")
	}
	return status
}

// loadLines returns the line numbers of the records in an earlier collect's
// JSON Lines output. A torn last line (a collect killed mid-write) is left
// out: its line is written again.
func loadLines(r io.Reader) (map[int]bool, error) {
	lines := map[int]bool{}
	br := bufio.NewReaderSize(r, 64<<10)
	bad := 0
	for {
		raw, err := br.ReadBytes('\n')
		if b := bytes.TrimSpace(raw); len(b) > 0 {
			var rec struct {
				Line int `json:"line"`
			}
			if json.Unmarshal(b, &rec) != nil || rec.Line < 1 {
				bad++
			} else {
				lines[rec.Line] = true
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if bad > 1 {
		return nil, fmt.Errorf("%d lines are not records of fetchall collect", bad)
	}
	return lines, nil
}
