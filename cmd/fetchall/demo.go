package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/tasktree"
	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/demoserver"
)

// runDemo is "fetchall demo": it starts the built-in server on 127.0.0.1,
// fetches a generated list from it and writes as a normal run does: records
// on stdout (or -o), progress and summary on stderr. It then shows the task
// tree of its own run, as async.Run saw it while a server's Retry-After held
// a host (or halfway through, if none did), and names what to try and read
// next. It needs no network and ends by itself in a few
// seconds: the hanging URL is cut by the per-request timeout.
func runDemo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetchall demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		n        int
		output   string
		format   string
		j        = &job{stderr: stderr, report: stderr, summary: true}
		cfg      = &j.cfg
		retries  int
		timeline string
	)
	fs.IntVar(&n, "n", 200, "fetch `N` generated URLs")
	fs.IntVar(&cfg.Concurrency, "c", 32, "fetch at most `N` URLs at once")
	fs.DurationVar(&cfg.Timeout, "timeout", time.Second, "give up an attempt after `D` (the demo has a URL that never answers)")
	fs.IntVar(&retries, "retries", 1, "retry failed attempts up to `N` times")
	fs.StringVar(&output, "o", "", "write the records to `FILE` instead of stdout")
	fs.StringVar(&format, "f", "jsonl", "record `format`: jsonl, csv or table")
	fs.StringVar(&timeline, "timeline", "", "write an HTML timeline to `FILE`")
	fs.BoolVar(&j.sorted, "sorted", false, "list every URL from fastest to slowest")
	fs.BoolVar(&j.quiet, "q", false, "no progress bar")
	fs.StringVar(&j.debugAddr, "debug-addr", "", "serve the run's live task tree at http://`ADDR`/debug/tasks while it runs (like :6060)")
	serve := fs.Bool("serve", false, "only run the server, until Ctrl-C, and print its URL: for trying fetchall on lists of your own")
	fs.Usage = func() {} // errors are reported in one line, the usage only on -h
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, "Usage: fetchall demo [flags]\n\nStart a built-in HTTP server on 127.0.0.1 with varied latency and sizes, errors,\nflaky, slow and hanging URLs; fetch a generated list from it as a normal run\nwould; print the summary and the task tree of the run.\n\nFlags:\n")
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "fetchall demo: %v (see fetchall demo -h)\n", err)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "fetchall demo: unexpected argument %q (see fetchall demo -h)\n", fs.Arg(0))
		return exitUsage
	case n < 1 || cfg.Concurrency < 1 || cfg.Timeout <= 0 || retries < 0:
		fmt.Fprintln(stderr, "fetchall demo: -n and -c must be at least 1, -timeout positive, -retries not negative")
		return exitUsage
	}
	cfg.Retries = retries
	if retries == 0 {
		cfg.Retries = -1
	}
	cfg.MaxRetryAfter = 5 * time.Second
	cfg.Total = int64(n)
	cfg.KeepRecords = j.sorted || timeline != ""
	j.timeline = timeline

	var out io.Writer = stdout
	if output != "" && !*serve {
		f, err := os.Create(output)
		if err != nil {
			fmt.Fprintf(stderr, "fetchall demo: cannot write records: %v\n", unwrapPath(err))
			return exitUsage
		}
		defer f.Close()
		out = f
	}
	if err := j.useOutput(out, output == "" && isTerminal(stdout), format, 0); err != nil {
		fmt.Fprintf(stderr, "fetchall demo: %v\n", err)
		return exitUsage
	}
	defer j.close()

	srv, err := demoserver.Start()
	if err != nil {
		fmt.Fprintf(stderr, "fetchall demo: cannot start the server: %v\n", err)
		return exitFailures
	}
	defer srv.Close()
	if *serve {
		fmt.Fprintf(stdout, "%s\n", srv.URL)
		fmt.Fprintf(stderr, "demo server at %s until Ctrl-C; try %s/item?delay=50ms&size=1000\n", srv.URL, srv.URL)
		<-ctx.Done()
		return exitOK
	}
	j.src = fetch.Slice(srv.List(n))
	j.emptyHint = "the demo list"

	// A snapshot of the run's task tree, the library at work inside the
	// tool: the first one, taken as records arrive, that shows a task held
	// by a Retry-After, else the one taken halfway. Snapshots of a few
	// hundred tasks cost little next to the requests.
	var (
		snap   *async.Snapshot
		paused bool
		done   int
	)
	scope := async.ScopeOf(ctx)
	j.observe = func(*fetch.Record) {
		done++
		if scope == nil || paused {
			return
		}
		s := scope.Snapshot()
		if paused = heldByRetryAfter(s); paused || done == n/2 {
			snap = s
		}
	}
	j.showBar = !j.quiet && isTerminal(stderr)
	fmt.Fprintf(stderr, "demo server at %s: fetching %s, %d at a time, %s timeout, %s\n",
		srv.URL, plural(n, "URL"), cfg.Concurrency, cfg.Timeout, plural(retries, "retry"))
	status := j.execute(ctx)
	if status == exitFailures {
		// The failures are the demo's point, not a fault: the demo succeeded.
		fmt.Fprintln(stderr, "(the demo list has failing URLs on purpose; a list of your own with failures would exit 1)")
		status = exitOK
	}
	if status != exitOK {
		return status
	}
	self := selfCommand()
	if snap != nil {
		when := "halfway through the run"
		if paused {
			when = "while a Retry-After paused the host"
		}
		fmt.Fprintf(stderr, "\nThe task tree %s: async.Run's main, the engine's group, a task and a group per host,\na task per URL in flight, those held by the pause awaiting its end\n(%s -debug-addr :6060 serves it live at http://localhost:6060/debug/tasks):\n", when, self)
		writeTreeHead(stderr, snap, 12)
	}
	fmt.Fprintf(stderr, "\nnext: %s demo -sorted · -timeline demo.html · -o demo.jsonl; %s -h for your own lists\n", self, self)
	fmt.Fprintln(stderr, "read: go run ./examples/readme, the library behind it: tasks, gather, groups, timeouts")
	return status
}

// heldByRetryAfter reports whether a task of the snapshot sleeps for a
// host's Retry-After (fetch names the sleep "Retry-After host:port").
func heldByRetryAfter(s *async.Snapshot) bool {
	for i := range s.Nodes {
		if a := s.Nodes[i].Awaiting; a != nil && a.Sleep && strings.HasPrefix(a.Name, "Retry-After ") {
			return true
		}
	}
	return false
}

// writeTreeHead writes the first lines of the snapshot's tree and says how
// many it left out. If none of those shows a task held by a Retry-After,
// the last of them gives way to the first that does: the pause is what the
// demo shows.
func writeTreeHead(w io.Writer, snap *async.Snapshot, lines int) {
	var b bytes.Buffer
	_ = tasktree.WriteTree(&b, snap)
	all := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(all) <= lines {
		for _, line := range all {
			fmt.Fprintln(w, line)
		}
		return
	}
	head := slices.Clone(all[:lines])
	asleep := func(line string) bool { return strings.Contains(line, `awaiting sleep "Retry-After `) }
	if !slices.ContainsFunc(head, asleep) {
		if i := slices.IndexFunc(all[lines:], asleep); i >= 0 {
			head[lines-1] = all[lines+i]
		}
	}
	for _, line := range head {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "   … and %d more\n", len(all)-lines)
}

// plural returns "1 retry", "2 retries", "3 URLs".
func plural(n int, word string) string { return fetch.Plural(int64(n), word) }

// selfCommand is how the user ran this program, for hints they can paste.
func selfCommand() string {
	exe, _ := os.Executable()
	return commandName(exe, os.Args[0])
}

// commandName is "go run ./cmd/fetchall" for a binary that go run built
// (in a go-build directory), the bare name arg0 when PATH finds exe by it
// (an installed fetchall), else arg0, the path the user typed.
func commandName(exe, arg0 string) string {
	slashed := filepath.ToSlash(exe)
	if strings.Contains(slashed, "/go-build") && strings.Contains(slashed, "/exe/") {
		return "go run ./cmd/fetchall"
	}
	if !strings.ContainsRune(arg0, filepath.Separator) {
		return arg0 // found through PATH
	}
	if p, err := exec.LookPath(filepath.Base(arg0)); err == nil && sameFile(p, exe) {
		return filepath.Base(arg0)
	}
	return arg0
}

func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
