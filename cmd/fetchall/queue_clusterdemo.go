//go:build clusterdemo

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/demoserver"
	"github.com/asyncgo/async/fetch/queue"
	"github.com/asyncgo/async/fetch/queue/embedded"
)

// runClusterDemo is "fetchall cluster-demo": a whole cluster in one
// process — an embedded NATS server with JetStream, the demo HTTP server,
// N workers — running one job from enqueue to collect. No network, nothing
// to install. It is built with -tags clusterdemo only: the embedded server
// (nats-server) is most of fetchall's build otherwise (see
// queue_noclusterdemo.go).
func runClusterDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetchall cluster-demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		n, workers, retries int
		output, format      string
		cfg                 fetch.Config
		j                   = &job{stderr: stderr, report: stderr}
	)
	fs.IntVar(&n, "n", 2000, "fetch `N` generated URLs")
	fs.IntVar(&workers, "workers", 4, "run `N` workers")
	fs.IntVar(&cfg.Concurrency, "c", 16, "each worker fetches at most `N` URLs at once")
	fs.DurationVar(&cfg.Timeout, "timeout", time.Second, "give up an attempt after `D` (the demo has URLs that never answer)")
	fs.IntVar(&retries, "retries", 1, "retry failed attempts up to `N` times")
	fs.StringVar(&output, "o", "", "write the records to `FILE` (by default they are not written)")
	fs.StringVar(&format, "f", "jsonl", "record `format` for -o: jsonl, csv or table")
	fs.BoolVar(&j.quiet, "q", false, "no progress bar")
	if status, ok := parseSubcommand(fs, args, stderr, "cluster-demo [flags]",
		"Run fetchall's cluster mode in one process: an embedded NATS server with JetStream,\n"+
			"the demo HTTP server and -workers workers; enqueue a generated list, collect\n"+
			"exactly one record per line, print the summary with the records per worker."); !ok {
		return status
	}
	if n < 1 || workers < 1 || cfg.Concurrency < 1 || cfg.Timeout <= 0 || retries < 0 {
		fmt.Fprintln(stderr, "fetchall cluster-demo: -n, -workers and -c must be at least 1, -timeout positive, -retries not negative")
		return exitUsage
	}
	cfg.Retries = retries
	if retries == 0 {
		cfg.Retries = -1
	}
	cfg.MaxRetryAfter = 5 * time.Second
	out := io.Discard
	if output != "" {
		f, _, err := openRecords(output, openedFile{}, openedFile{})
		if err != nil {
			fmt.Fprintf(stderr, "fetchall cluster-demo: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		out = f
	}
	if err := j.useOutput(out, false, format, 0); err != nil {
		fmt.Fprintf(stderr, "fetchall cluster-demo: %v\n", err)
		return exitUsage
	}
	defer j.close()

	// Two sites per worker, each a demo server on its own port, so that
	// the hosts spread over the workers: one host is served by one worker
	// at a time, which is how politeness holds across the cluster.
	var sites []*demoserver.Server
	for range 2 * workers {
		web, err := demoserver.Start()
		if err != nil {
			fmt.Fprintf(stderr, "fetchall cluster-demo: cannot start the demo server: %v\n", err)
			return exitFailures
		}
		defer web.Close()
		sites = append(sites, web)
	}
	nats, err := embedded.Start(embedded.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "fetchall cluster-demo: %v\n", err)
		return exitFailures
	}
	defer nats.Shutdown()
	nc, js, err := queue.Connect(nats.URL, "fetchall cluster-demo")
	if err != nil {
		fmt.Fprintf(stderr, "fetchall cluster-demo: %v\n", err)
		return exitFailures
	}
	defer nc.Close()
	opts := queue.Options{Partitions: 16, AckWait: 10 * time.Second, LeaseTTL: 2 * time.Second}
	qj, err := queue.Open(ctx, js, "demo", opts)
	if err == nil {
		var res queue.EnqueueResult
		res, err = queue.Enqueue(ctx, qj, fetch.Slice(demoList(sites, n)))
		fmt.Fprintf(stderr, "NATS JetStream at %s (embedded), %d demo sites from %s\nenqueued %s into job demo; starting %d workers, %d at a time each\n",
			nats.URL, len(sites), sites[0].URL, plural(int(res.New), "URL"), workers, cfg.Concurrency)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fetchall cluster-demo: %v\n", err)
		return exitFailures
	}

	// Workers run until the job is collected, each on its own connection
	// as on its own machine.
	workCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	for i := range workers {
		id := fmt.Sprintf("worker-%d", i+1)
		wnc, wjs, err := queue.Connect(nats.URL, id)
		if err != nil {
			fmt.Fprintf(stderr, "fetchall cluster-demo: %v\n", err)
			stopWorkers()
			wg.Wait()
			return exitFailures
		}
		wj, err := queue.Open(ctx, wjs, "demo", opts)
		if err != nil {
			wnc.Close()
			fmt.Fprintf(stderr, "fetchall cluster-demo: %v\n", err)
			stopWorkers()
			wg.Wait()
			return exitFailures
		}
		w := &queue.Worker{Job: wj, Config: cfg, ID: id, Logger: logger, DrainTimeout: 2 * time.Second}
		wg.Go(func() {
			defer wnc.Close()
			w.Run(workCtx)
		})
	}
	c, err := collectJob(ctx, qj, j, nil)
	stopWorkers()
	wg.Wait()
	status := reportCollected(c, err, j, stderr)
	if status == exitFailures && err == nil {
		fmt.Fprintln(stderr, "(the demo list has failing URLs on purpose; a list of your own with failures would exit 1)")
		status = exitOK
	}
	if status == exitOK {
		fmt.Fprintf(stderr, "\nnext, across machines: nats-server -js -sd DIR; %[1]s enqueue -i urls.txt; %[1]s worker (on each machine); %[1]s collect -o out.jsonl\n", selfCommand())
	}
	return status
}

// demoList interleaves the demo lists of the sites, n URLs in all.
func demoList(sites []*demoserver.Server, n int) []string {
	lists := make([][]string, len(sites))
	for i, s := range sites {
		lists[i] = s.List(n/len(sites) + 1)
	}
	urls := make([]string, 0, n)
	for i := 0; len(urls) < n; i++ {
		urls = append(urls, lists[i%len(sites)][i/len(sites)])
	}
	return urls
}
