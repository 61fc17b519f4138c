package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/queue"
	"github.com/asyncgo/async/fetch/report"
)

// workerOwnFlags are the worker's flags; every other flag is the local
// run's and means the same (see workerArgs).
var workerOwnFlags = map[string]bool{"nats": true, "job": true, "id": true, "batch": true, "drain": true, "q": false, "v": false,
	"partitions": true, "replicas": true, "memory": false, "dup-window": true, "ack-wait": true, "lease-ttl": true, "create": false,
	"creds": true, "nkey": true, "user": true, "password": true, "token": true, "tls-ca": true, "tls-cert": true, "tls-key": true, "connect-wait": true}

// flags of the local run that have no meaning for a worker, whose records
// go to the job's results stream.
var workerForeignFlags = []string{"i", "o", "f", "resume", "sorted", "timeline", "max-time", "fsync"}

// runWorker is "fetchall worker": it fetches the URLs of a job's queue with
// the engine and the options of a local run, and publishes their records,
// until Ctrl-C or SIGTERM, which drain it.
func runWorker(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	own, engineArgs := splitFlags(args, workerOwnFlags)
	fs := flag.NewFlagSet("fetchall worker", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		q       queueFlags
		jf      jobFlags
		w       queue.Worker
		quiet   bool
		verbose bool
	)
	q.addWait(fs, 5*time.Minute) // a worker started with its server, or before it, waits for it
	jf.add(fs)
	jf.addCreate(fs)
	fs.StringVar(&w.ID, "id", "", "name the worker `ID` in leases and records (default: host-pid-random)")
	fs.IntVar(&w.Batch, "batch", 0, "pull `N` messages at a time per partition (0: -c)")
	fs.DurationVar(&w.DrainTimeout, "drain", 10*time.Second, "on Ctrl-C or SIGTERM, let URLs in flight finish for up to `D`, then give them back")
	fs.BoolVar(&quiet, "q", false, "no summary when the worker stops")
	fs.BoolVar(&verbose, "v", false, "log leases and hand-overs")
	if isHelp(args) {
		fmt.Fprint(stderr, "Usage: fetchall worker [-nats URL] [-job NAME] [flags] [fetch flags]\n\n"+
			"Fetch the URLs of a job's queue and publish one record per URL, until Ctrl-C or\n"+
			"SIGTERM, which stop pulling, let URLs in flight finish (-drain) and give the rest\n"+
			"back. Run as many as you like, on any machines: each host is served by one\n"+
			"worker at a time, so -per-host, -host-rate and a Retry-After hold across them all.\n"+
			"Every flag of a local run that says how to fetch (-c, -per-host, -rate, -host-rate,\n"+
			"-timeout, -retries, -H, -X, -d, -max-body, -save, ...) works here and means the same;\n"+
			"-rate is per worker. -debug-addr ADDR serves the worker's task tree at /debug/tasks\n"+
			"and its metrics (Prometheus text format) at /metrics.\n\nFlags:\n")
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return exitOK
	}
	if status, ok := parseSubcommand(fs, own, stderr, "", ""); !ok {
		return status
	}
	cfg, debugAddr, err := workerArgs(engineArgs, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "fetchall worker: %v (see fetchall worker -h)\n", err)
		return exitUsage
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	w.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	w.Config = cfg

	nc, job, status, ok := q.open(ctx, "worker", stderr, jf.create, &jf)
	if !ok {
		return status
	}
	defer nc.Close()
	w.Job = job
	if !quiet {
		fmt.Fprintf(stderr, "worker serving job %s at %s, %d at a time; Ctrl-C or SIGTERM drains it\n", q.job, queue.RedactURL(q.url), cfg.Concurrency)
	}
	if debugAddr != "" {
		stop, err := serveWorker(debugAddr, &w, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "fetchall worker: -debug-addr: %v\n", err)
			return exitUsage
		}
		defer stop()
	}
	sum, err := w.Run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "fetchall worker: %v\n", err)
		return exitFailures
	}
	if !quiet && sum != nil {
		fmt.Fprintf(stderr, "worker %s stopped; what it fetched:\n", w.ID)
		fmt.Fprint(stderr, report.Summary(sum))
		st := w.Stats()
		fmt.Fprintf(stderr, "  records: %d stored", st.Stored)
		if st.Duplicates > 0 {
			fmt.Fprintf(stderr, ", %d dropped as duplicates (another worker had stored them: those fetches were repeats)", st.Duplicates)
		}
		if st.StoreRetries > 0 {
			fmt.Fprintf(stderr, ", %d stores retried", st.StoreRetries)
		}
		if st.Requeued > 0 {
			fmt.Fprintf(stderr, "; %d URLs given back to the queue", st.Requeued)
		}
		fmt.Fprintln(stderr)
	}
	// Stopping is how a worker ends: by a signal, drained.
	status = exitOK
	if sig := (*async.SignalError)(nil); errors.As(context.Cause(ctx), &sig) {
		status = sig.ExitCode()
	}
	return status
}

// workerArgs parses the local run's flags given to a worker into the
// engine's configuration, with the local run's own parser, so that the two
// always agree, and returns -debug-addr, which a worker serves its task
// tree and its metrics at.
func workerArgs(args []string, stderr io.Writer) (fetch.Config, string, error) {
	for _, a := range args {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		for _, f := range workerForeignFlags {
			if strings.HasPrefix(a, "-") && name == f {
				return fetch.Config{}, "", usagef("-%s has no meaning for a worker: its records go to the job (fetchall collect writes them)", f)
			}
		}
	}
	j, err := parseArgs(append(append([]string{}, args...), "--", "http://worker.invalid/"), strings.NewReader(""), io.Discard, stderr)
	if err != nil {
		return fetch.Config{}, "", err
	}
	j.close()
	if j.cfg.Total != 1 { // the URL given above, and arguments taken for URLs
		return fetch.Config{}, "", usagef("unexpected arguments: a worker's URLs come from the job (fetchall enqueue)")
	}
	return j.cfg, j.debugAddr, nil
}

func isHelp(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			return true
		}
		if a == "--" {
			break
		}
	}
	return false
}
