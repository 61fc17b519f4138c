package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/asyncgo/async/fetch/queue"
)

// runStatus is "fetchall status": a job's state for whoever runs it — what
// is queued, in flight, recorded and failed, who holds each partition and
// which hosts are paused, the workers alive, the rate and an estimate of
// the end.
func runStatus(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetchall status", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var q queueFlags
	q.add(fs)
	if status, ok := parseSubcommand(fs, args, stderr, "status [-nats URL] [-job NAME]",
		"Print a job's state: lines queued, in flight, recorded and failed; per partition\n"+
			"its lease holder and its hosts' Retry-After pauses; the workers alive, with\n"+
			"their counts; the rate so far and an estimate of the end."); !ok {
		return status
	}
	nc, job, status, ok := q.open(ctx, "status", stderr, false, nil)
	if !ok {
		return status
	}
	defer nc.Close()
	st, err := job.Status(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "fetchall status: %v\n", err)
		return exitFailures
	}
	printStatus(stdout, job.Name, st, time.Now())
	return exitOK
}

func printStatus(w io.Writer, name string, st *queue.Status, now time.Time) {
	total := "? (enqueue has not finished)"
	if st.Enqueued {
		total = fmt.Sprint(st.Total)
	}
	fmt.Fprintf(w, "job %s: %s lines\n", name, total)
	fmt.Fprintf(w, "  queued %d, in flight %d, recorded %d, failed %d\n", st.Queued, st.InFlight, st.Recorded, st.Failed)
	switch {
	case st.Rate > 0 && st.ETA > 0:
		fmt.Fprintf(w, "  rate %.1f records/s; at that rate the rest takes %v\n", st.Rate, st.ETA.Round(time.Second))
	case st.Rate > 0:
		fmt.Fprintf(w, "  rate %.1f records/s\n", st.Rate)
	}
	fmt.Fprintf(w, "  workers alive: %d\n", len(st.Workers))
	for _, wk := range st.Workers {
		fmt.Fprintf(w, "    %-32s %d stored, %d failed, %d in flight, %d leases", wk.ID, wk.Stored, wk.Failed, wk.InFlight, wk.Leases)
		if !wk.Reported.IsZero() {
			fmt.Fprintf(w, " (reported %v ago)", now.Sub(wk.Reported).Round(time.Second))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  partitions: %d\n", len(st.Partitions))
	for _, p := range st.Partitions {
		holder := p.Holder
		if holder == "" {
			holder = "(no holder)"
		}
		fmt.Fprintf(w, "    %3d  %-32s queued %d, in flight %d", p.Partition, holder, p.Queued, p.InFlight)
		for _, h := range slices.Sorted(maps.Keys(p.Paused)) {
			fmt.Fprintf(w, "; %s paused for %v more", h, p.Paused[h].Sub(now).Round(100*time.Millisecond))
		}
		fmt.Fprintln(w)
	}
}

// runJobs is "fetchall jobs": it lists the jobs on the server, and with
// "rm NAME" deletes one (its streams and buckets: what is queued and
// recorded is gone).
func runJobs(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetchall jobs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var q queueFlags
	q.add(fs)
	var rm []string
	if len(args) > 0 && args[0] == "rm" {
		rm, args = args[1:], nil
		// Flags may come before or after the names.
		var names []string
		for i := 0; i < len(rm); i++ {
			if strings.HasPrefix(rm[i], "-") {
				args = append(args, rm[i])
				if !strings.Contains(rm[i], "=") && i+1 < len(rm) {
					i++
					args = append(args, rm[i])
				}
				continue
			}
			names = append(names, rm[i])
		}
		rm = names
		if len(rm) == 0 {
			fmt.Fprintln(stderr, "fetchall jobs rm: name the job(s) to delete (see fetchall jobs -h)")
			return exitUsage
		}
	}
	if status, ok := parseSubcommand(fs, args, stderr, "jobs [-nats URL]   |   fetchall jobs rm [-nats URL] NAME...",
		"List the jobs on the NATS server, with their size and what is recorded; or delete\n"+
			"jobs (their queue, records, leases and pauses: collect what you need first)."); !ok {
		return status
	}
	nc, js, ok := q.connect(ctx, "jobs", stderr)
	if !ok {
		return exitFailures
	}
	defer nc.Close()
	if rm != nil {
		status := exitOK
		for _, name := range rm {
			job, err := queue.OpenExisting(ctx, js, name)
			if err == nil {
				err = job.Delete(ctx)
			}
			if err != nil {
				fmt.Fprintf(stderr, "fetchall jobs rm: %v\n", err)
				status = exitFailures
				continue
			}
			fmt.Fprintf(stderr, "deleted job %s\n", name)
		}
		return status
	}
	names, err := queue.Jobs(ctx, js)
	if err != nil {
		fmt.Fprintf(stderr, "fetchall jobs: %v\n", err)
		return exitFailures
	}
	for _, name := range names {
		job, err := queue.OpenExisting(ctx, js, name)
		if err != nil {
			fmt.Fprintf(stdout, "%s\t(%v)\n", name, err)
			continue
		}
		st, err := job.Status(ctx)
		if err != nil {
			fmt.Fprintf(stdout, "%s\t(%v)\n", name, err)
			continue
		}
		total := "enqueue not finished"
		if st.Enqueued {
			total = fmt.Sprintf("%d lines", st.Total)
		}
		fmt.Fprintf(stdout, "%s\t%s, %d queued, %d in flight, %d recorded, %d workers\n", name, total, st.Queued, st.InFlight, st.Recorded, len(st.Workers))
	}
	if len(names) == 0 {
		fmt.Fprintln(stderr, "no jobs")
	}
	return exitOK
}
