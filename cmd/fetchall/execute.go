package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/report"
)

// errMaxTime is the cause of a run stopped by -max-time.
var errMaxTime = errors.New("the -max-time limit was reached")

// execute runs the job: it fetches with the progress bar fed by the
// engine's record callback, then writes the listing, timeline and summary,
// and returns the exit status. With -debug-addr it serves the run's task
// tree while it runs.
func (j *job) execute(ctx context.Context) int {
	if j.maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, j.maxTime, errMaxTime)
		defer cancel()
	}
	var (
		failed atomic.Int64
		bar    *progressBar
	)
	j.cfg.OnRecord = func(r *fetch.Record) {
		if r.Failed() {
			failed.Add(1)
		}
		if bar != nil {
			bar.increment()
		}
		if j.observe != nil {
			j.observe(r)
		}
	}
	f, err := fetch.New(j.cfg)
	if err != nil {
		fmt.Fprintf(j.stderr, "fetchall: %v\n", err)
		return exitUsage
	}
	defer f.Close()
	if j.debugAddr != "" {
		stop, err := serveTasks(j.debugAddr, j.stderr)
		if err != nil {
			fmt.Fprintf(j.stderr, "fetchall: -debug-addr: %v\n", err)
			return exitUsage
		}
		defer stop()
	}
	if j.showBar {
		bar = newProgressBar(j.stderr, j.cfg.Total, &failed)
		if j.recordsOnTerm && j.records != nil {
			j.records.w = bar.p
		}
		if j.aboveBar != nil {
			j.aboveBar.w = bar.p
		}
	}
	sum, err := f.Run(ctx, j.src, j.sink)
	if bar != nil {
		bar.finish(ctx.Err() != nil)
	}
	if sum.Inputs > 0 && j.csv != nil {
		// Every input skipped: the file still has its columns.
		if herr := j.csv.WriteHeader(); herr != nil && err == nil {
			err = fmt.Errorf("%w: %w", fetch.ErrOutput, herr)
		}
	}
	if ferr := j.flushOut(); ferr != nil && err == nil {
		err = fmt.Errorf("%w: %w", fetch.ErrOutput, ferr)
	}
	if sum.Inputs > 0 && j.out != nil {
		// Nothing written (every input skipped): the file is still
		// replaced, or its torn tail cut, as asked.
		if perr := j.out.Prepare(); perr != nil && err == nil {
			err = fmt.Errorf("%w: %w", fetch.ErrOutput, perr)
		}
	}

	status := exitOK
	switch {
	case errors.Is(err, errMaxTime):
		fmt.Fprintf(j.stderr, "fetchall: stopped after -max-time %s: %s\n", j.maxTime, j.stopNote(sum))
		status = exitFailures
	case errors.Is(err, fetch.ErrFailFast):
		fmt.Fprintf(j.stderr, "fetchall: %v\n", err)
		if sum.Interrupted {
			fmt.Fprintf(j.stderr, "fetchall: stopped by -fail-fast: %s\n", j.stopNote(sum))
		}
		status = exitFailures
	case errors.Is(err, fetch.ErrInterrupted):
		status = exitInterrupted
		if sig := (*async.SignalError)(nil); errors.As(err, &sig) {
			status = sig.ExitCode() // 143 for SIGTERM
		}
	case errors.Is(err, fetch.ErrInput):
		fmt.Fprintf(j.stderr, "fetchall: %v\n", err)
		status = exitUsage
	case err != nil:
		fmt.Fprintf(j.stderr, "fetchall: %v\n", err)
		if note := j.writtenNote(sum, err); note != "" {
			fmt.Fprintf(j.stderr, "fetchall: %s\n", note)
		}
		status = exitFailures
	case sum.Inputs == 0:
		fmt.Fprintf(j.stderr, "fetchall: no URLs in %s\n", j.emptyHint)
		return exitUsage
	case sum.Failures() > 0:
		status = exitFailures
	}

	if j.timeline != "" {
		if err := writeTimeline(j.timeline, sum); err != nil {
			fmt.Fprintf(j.stderr, "fetchall: cannot write the timeline: %v\n", unwrapPath(err))
			status = max(status, exitFailures)
		}
	}
	if j.sorted {
		writeSorted(j.report, sum)
	}
	if j.summary {
		fmt.Fprint(j.report, report.Summary(sum))
		if note := j.writtenNote(sum, err); note != "" {
			fmt.Fprintf(j.report, "  written    %s\n", note)
		}
		if sum.Interrupted && !errors.Is(err, errMaxTime) && !errors.Is(err, fetch.ErrFailFast) {
			fmt.Fprintf(j.report, "  interrupted: %s\n", j.stopNote(sum))
		}
		if j.tornLines > 0 {
			fmt.Fprintf(j.report, "  resumed    the checkpoint had %s (cut short by a crash): their URLs were fetched again\n",
				report.Plural(int64(j.tornLines), "torn record"))
		}
	}
	return status
}

// writeTimeline writes the timeline to a temporary file in the directory
// of name, then renames it over name: name holds either its old content
// or the whole new page, never a part of it.
func writeTimeline(name string, sum *fetch.Summary) (err error) {
	target := timelineTarget(name)
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	// The title gives the summary's count: skipped URLs have no record
	// here, their requests being in an earlier run.
	title := "fetchall timeline: " + report.Plural(sum.Inputs, "URL")
	if n := sum.Outcomes[fetch.Skipped]; n > 0 {
		title += fmt.Sprintf(" (%d skipped: fetched by an earlier run)", n)
	}
	if err := report.WriteTimeline(f, title, sum.Records(), sum.Wall); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), target)
}

// writeSorted lists every URL from fastest to slowest, the output of the
// program this tool grew from.
func writeSorted(w interface{ Write([]byte) (int, error) }, sum *fetch.Summary) {
	recs := sum.Records()
	skipped := ""
	if n := sum.Outcomes[fetch.Skipped]; n > 0 {
		skipped = fmt.Sprintf(" (and %d skipped: fetched by an earlier run)", n)
	}
	fmt.Fprintf(w, "%s from fastest to slowest%s:\n", report.Plural(int64(len(recs)), "URL"), skipped)
	for _, r := range recs {
		what := fmt.Sprint(r.Status)
		if r.Error != "" {
			what = report.Printable(r.Error)
		}
		dur := "-"
		if r.Attempts > 0 && r.Outcome != fetch.Cancelled {
			dur = report.FormatDuration(r.Duration)
		}
		fmt.Fprintf(w, "  %9s  %s  %s\n", dur, report.ShortenURL(r.URL, 200), what)
	}
}

// writtenNote says, when writing the records failed (a full disk), how
// many of the run's records reached the output: the summary counts every
// record the run made, and this says which of them are in the file.
func (j *job) writtenNote(sum *fetch.Summary, err error) string {
	if !errors.Is(err, fetch.ErrOutput) || j.written == nil || sum == nil {
		return ""
	}
	n := j.written()
	if j.csv != nil && n > 0 {
		n-- // the header
	}
	where := "the output"
	if j.output != "" {
		where = j.output
	}
	return fmt.Sprintf("only %d of the %s reached %s before writing failed; -resume fetches the lines of the others again",
		n, report.Plural(sum.Inputs-sum.Outcomes[fetch.Skipped], "record"), where)
}
