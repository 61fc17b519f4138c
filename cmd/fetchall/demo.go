package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/tasktree"
	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/demoserver"
	"github.com/asyncgo/async/fetch/report"
)

// demoOptions is the demo's command line beyond the job it runs.
type demoOptions struct {
	n        int
	output   string
	format   string
	timeline string
	retries  int
	hold     time.Duration
	serve    bool
	// timeoutSet is whether -timeout was given: -hold raises the default
	// above the stretched latencies.
	timeoutSet bool
}

const demoUsage = `Usage: fetchall demo [flags]

Start a built-in HTTP server on 127.0.0.1 with varied latency and sizes, errors,
flaky, slow and hanging URLs; fetch a generated list from it as a normal run
would; print the summary and the task tree of the run. On a terminal the
records go to a file it names (-o to choose it, -f table to see them here);
elsewhere to stdout.

Flags:
`

// parseDemo parses the demo's flags into j and the returned options; every
// problem is a *usageError (or flag.ErrHelp after printing the usage).
func parseDemo(args []string, j *job) (demoOptions, error) {
	fs := flag.NewFlagSet("fetchall demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o demoOptions
	cfg := &j.cfg
	fs.IntVar(&o.n, "n", 200, "fetch `N` generated URLs")
	fs.IntVar(&cfg.Concurrency, "c", 32, "fetch at most `N` URLs at once")
	fs.DurationVar(&cfg.Timeout, "timeout", time.Second, "give up an attempt after `D` (the demo has a URL that never answers)")
	fs.IntVar(&o.retries, "retries", 1, "retry failed attempts up to `N` times")
	fs.StringVar(&o.output, "o", "", "write the records to `FILE` (default: stdout, or a file in the temporary directory when stdout is a terminal)")
	fs.StringVar(&o.format, "f", "jsonl", "record `format`: jsonl, csv or table")
	fs.StringVar(&o.timeline, "timeline", "", "write an HTML timeline to `FILE`")
	fs.BoolVar(&j.sorted, "sorted", false, "list every URL from fastest to slowest")
	fs.BoolVar(&j.quiet, "q", false, quietUsage)
	fs.DurationVar(&o.hold, "hold", 0, "stretch the list's latencies so that the run lasts about `D`, long enough to watch it live with -debug-addr (without -timeout, the timeout becomes 2/5 of D, so that the hanging URL's two attempts last most of it)")
	fs.StringVar(&j.debugAddr, "debug-addr", "", debugAddrUsage)
	fs.BoolVar(&o.serve, "serve", false, "only run the server, until Ctrl-C, and print its URL: for trying fetchall on lists of your own")
	fs.Usage = func() {} // errors are reported in one line, the usage only on -h
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(j.stderr, demoUsage)
			fs.SetOutput(j.stderr)
			fs.PrintDefaults()
			return o, err
		}
		return o, &usageError{err.Error()}
	}
	fs.Visit(func(f *flag.Flag) { o.timeoutSet = o.timeoutSet || f.Name == "timeout" })
	switch {
	case fs.NArg() > 0:
		return o, usagef("unexpected argument %q", fs.Arg(0))
	case o.n < 1 || cfg.Concurrency < 1 || cfg.Timeout <= 0 || o.retries < 0 || o.hold < 0:
		return o, usagef("-n and -c must be at least 1, -timeout positive, -retries and -hold not negative")
	case !validFormat(o.format):
		return o, usagef("-f %q: want jsonl, csv or table", o.format)
	}
	return o, nil
}

// runDemo is "fetchall demo": it starts the built-in server on 127.0.0.1,
// fetches a generated list from it and reports as a normal run does:
// progress and summary on stderr, records on stdout or -o, or, when stdout
// is a terminal, in a file it names, so that the terminal shows the run
// rather than its raw records. Above the bar it lists the URLs that failed
// or were retried. It then shows the task tree of its own run, as async.Run
// saw it when the most URLs awaited a server's Retry-After, and commands
// to try next. It needs no network and ends by itself in a few seconds (the
// hanging URL is cut by the per-request timeout), or in about -hold.
func runDemo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	j := &job{stderr: stderr, report: stderr}
	o, err := parseDemo(args, j)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "fetchall demo: %v (see fetchall demo -h)\n", err)
		return exitUsage
	}
	cfg := &j.cfg
	j.summary = !j.quiet
	cfg.Retries = o.retries
	if o.retries == 0 {
		cfg.Retries = -1
	}
	cfg.MaxRetryAfter = 5 * time.Second
	cfg.Total = int64(o.n)
	cfg.KeepRecords = j.sorted || o.timeline != ""
	j.timeline = o.timeline
	j.demo = true

	srv, err := demoserver.Start()
	if err != nil {
		fmt.Fprintf(stderr, "fetchall demo: cannot start the server: %v\n", err)
		return exitFailures
	}
	defer srv.Close()
	if o.serve {
		fmt.Fprintf(stdout, "%s\n", srv.URL)
		fmt.Fprintf(stderr, "demo server at %s until Ctrl-C; try %s/item?delay=50ms&size=1000\n", srv.URL, srv.URL)
		<-ctx.Done()
		return exitOK
	}

	// Where the records go: -o, else stdout, unless stdout is a terminal
	// that would drown the run in raw records: then a file, named below.
	var out io.Writer = stdout
	toTerminal := o.output == "" && isTerminal(stdout)
	name := o.output
	switch {
	case o.output != "":
		f, err := os.Create(o.output)
		if err != nil {
			fmt.Fprintf(stderr, "fetchall demo: cannot write records: %v\n", unwrapPath(err))
			return exitUsage
		}
		defer f.Close()
		out = f
	case toTerminal && o.format != "table":
		f, err := os.CreateTemp("", "fetchall-demo-*."+map[string]string{"jsonl": "jsonl", "json": "jsonl", "csv": "csv"}[o.format])
		if err != nil {
			fmt.Fprintf(stderr, "fetchall demo: cannot write records: %v\n", unwrapPath(err))
			return exitFailures
		}
		defer f.Close()
		out, name, toTerminal = f, f.Name(), false
	}
	j.output, j.jsonl = name, o.format == "jsonl" || o.format == "json"
	if err := j.useOutput(out, toTerminal, o.format, 0); err != nil {
		fmt.Fprintf(stderr, "fetchall demo: %v\n", err)
		return exitUsage
	}
	defer j.close()

	urls := srv.List(o.n)
	if o.hold > 0 {
		// The hanging URL lasts two timeouts: without -timeout, that
		// is most of d, and no stretched URL times out.
		if !o.timeoutSet {
			cfg.Timeout = max(cfg.Timeout, o.hold*2/5)
		}
		urls = stretch(urls, cfg.Concurrency, o.hold, cfg.Timeout*9/10)
	}
	j.src = fetch.Slice(urls)
	j.emptyHint = "the demo list"

	// The live view: above the bar, a line for each URL that failed or was
	// retried (the rest only count), unless the records are shown here.
	var live *liveView
	if !j.quiet && !toTerminal {
		j.aboveBar = &switchWriter{w: stderr}
		live = &liveView{w: j.aboveBar, base: srv.URL, records: name, max: 12}
	}
	// The snapshot of the run's task tree to show, the library at work
	// inside the tool: the one that had the most tasks awaiting a
	// Retry-After, else the one taken halfway through. A snapshot is taken
	// every 2ms while the run lasts, and as the middle record arrives:
	// taken only as records arrived, the pause, during which the URLs it
	// holds finish nothing, was seen only while fetches begun before it
	// still ended, which on a busy machine may be none.
	var (
		mu         sync.Mutex
		best       *async.Snapshot
		bestPaused int
		bestAt     time.Duration
		done       int
		start      = time.Now()
	)
	scope := async.ScopeOf(ctx)
	consider := func(halfway bool) {
		s := scope.Snapshot()
		p := countPaused(s)
		mu.Lock()
		defer mu.Unlock()
		if p > bestPaused || best == nil && halfway {
			best, bestPaused, bestAt = s, p, time.Since(start)
		}
	}
	j.observe = func(r *fetch.Record) {
		done++
		if live != nil {
			live.add(r)
		}
		if scope != nil && !j.quiet && done == o.n/2 {
			consider(true)
		}
	}
	stopSampling := func() {}
	if scope != nil && !j.quiet {
		stop, sampled := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(sampled)
			wait := time.NewTimer(2 * time.Millisecond)
			defer wait.Stop()
			for {
				select {
				case <-wait.C:
				case <-stop:
					return
				}
				began := time.Now()
				consider(false)
				// A tree of many URLs takes longer to snapshot: sampling
				// then backs off, so that it stays a small part of the
				// run's CPU.
				wait.Reset(max(2*time.Millisecond, 20*time.Since(began)))
			}
		}()
		stopSampling = func() { close(stop); <-sampled }
	}
	j.showBar = !j.quiet && isTerminal(stderr)
	if !j.quiet {
		fmt.Fprintf(stderr, "demo server at %s: fetching %s, %d at a time, %s timeout, %s\n",
			srv.URL, plural(o.n, "URL"), cfg.Concurrency, cfg.Timeout, plural(o.retries, "retry"))
		if name != "" {
			fmt.Fprintf(stderr, "records to %s\n", name)
		}
	}
	status := j.execute(ctx)
	stopSampling()
	if status == exitFailures {
		// The failures are the demo's point, not a fault: the demo succeeded.
		if !j.quiet {
			fmt.Fprintln(stderr, "(the demo list has failing URLs on purpose; a list of your own with failures would exit 1)")
		}
		status = exitOK
	}
	if status != exitOK || j.quiet {
		return status
	}
	if live != nil && name != "" {
		fmt.Fprintf(stderr, "records: %s in %s\n", plural(o.n, "line"), name)
	}
	self := selfCommand()
	if best != nil {
		when := "halfway through"
		if bestPaused > 0 {
			when = "while a Retry-After paused the host"
		}
		fmt.Fprintf(stderr, "\nThe task tree %s into the run, %s: async.Run's main,\n"+
			"the engine's group, a task and a group per host, a task per URL (named by\n"+
			"its path here); those held by the pause await its end:\n", report.FormatDuration(bestAt.Round(time.Millisecond)), when)
		writeTree(stderr, best, srv.URL)
	}
	fmt.Fprintf(stderr, "\nnext, to paste:\n")
	for _, h := range demoHints(self) {
		fmt.Fprintf(stderr, "  %-48s # %s\n", h[0], h[1])
	}
	return status
}

// quietUsage is -q's help, the same in the demo and in a normal run.
const quietUsage = "no progress bar and no summary (-sorted still lists)"

// demoHints are the commands the demo suggests, each with what it shows.
func demoHints(self string) [][2]string {
	return [][2]string{
		{self + " demo -timeline demo.html", "every request on a timeline, for a browser"},
		{self + " demo -hold 30s -debug-addr :6060", "30s to watch http://localhost:6060/debug/tasks"},
		{self + " demo -sorted -f table", "every URL, fastest to slowest, and records here"},
		{self + " -h", "for lists of your own"},
		{"go run ./examples/readme", "the library behind it: tasks, gather, groups"},
	}
}

// liveView writes a line for each record that failed or took more than
// one attempt, up to max of them; the others are only counted by the bar.
type liveView struct {
	w       io.Writer
	base    string // the server's URL, left out of the lines
	records string // where every record is, for the line that ends the list
	max     int
	shown   int
}

func (v *liveView) add(r *fetch.Record) {
	if !r.Failed() && r.Attempts <= 1 {
		return
	}
	if v.shown == 0 {
		fmt.Fprintln(v.w, "failed or retried:")
	}
	v.shown++
	switch {
	case v.shown < v.max:
	case v.shown == v.max:
		where := "every record"
		if v.records != "" {
			where = "in " + v.records
		}
		fmt.Fprintf(v.w, "  … more: %s\n", where)
		return
	default:
		return
	}
	path := strings.TrimPrefix(r.URL, v.base)
	fmt.Fprintf(v.w, "  %-18s %8s  %s\n", attemptsChain(r), report.FormatDuration(r.Duration.Round(100*time.Microsecond)), report.ShortenURL(path, 60))
}

// attemptsChain is what each attempt of r got: "503 → 200", "timeout ×2",
// "404".
func attemptsChain(r *fetch.Record) string {
	what := func(status int, kind string) string {
		if status > 0 {
			return strconv.Itoa(status)
		}
		if kind == "" {
			return "?"
		}
		return kind
	}
	if r.AttemptTimes == nil || len(*r.AttemptTimes) < 2 {
		return what(r.Status, r.ErrorKind)
	}
	var parts []string
	same := true
	for _, a := range *r.AttemptTimes {
		parts = append(parts, what(a.Status, a.ErrorKind))
		same = same && parts[len(parts)-1] == parts[0]
	}
	if same {
		return fmt.Sprintf("%s ×%d", parts[0], len(parts))
	}
	return strings.Join(parts, " → ")
}

// stretch returns urls with the delay of every /item URL multiplied so
// that the list's delays, c at a time, last about d, none longer than
// limit: -hold's slower list. A list that already lasts d or more is
// returned as it is.
func stretch(urls []string, c int, d, limit time.Duration) []string {
	var sum time.Duration
	for _, u := range urls {
		sum += itemDelay(u)
	}
	if sum == 0 || sum/time.Duration(c) >= d {
		return urls
	}
	factor := float64(d) / float64(sum/time.Duration(c))
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = u
		if delay := itemDelay(u); delay > 0 {
			p, _ := url.Parse(u)
			q := p.Query()
			q.Set("delay", min(time.Duration(float64(delay)*factor), limit).Round(time.Millisecond).String())
			p.RawQuery = q.Encode()
			out[i] = p.String()
		}
	}
	return out
}

// itemDelay is the delay of a demo /item URL, or 0.
func itemDelay(u string) time.Duration {
	p, err := url.Parse(u)
	if err != nil || p.Path != "/item" {
		return 0
	}
	d, _ := time.ParseDuration(p.Query().Get("delay"))
	return d
}

// countPaused counts the tasks of s asleep for a host's Retry-After (fetch
// names the sleep "Retry-After host:port").
func countPaused(s *async.Snapshot) int {
	n := 0
	for i := range s.Nodes {
		if pausedTask(&s.Nodes[i]) {
			n++
		}
	}
	return n
}

func pausedTask(t *async.TaskInfo) bool {
	a := t.Awaiting
	return a != nil && a.Sleep && strings.HasPrefix(a.Name, "Retry-After ")
}

func urlTask(t *async.TaskInfo) bool {
	return t.Kind == async.KindTask && (strings.HasPrefix(t.Name, "http://") || strings.HasPrefix(t.Name, "https://"))
}

// writeTree writes the snapshot's tree with the URL tasks named by what
// follows base in their name. The tree folds identical siblings (the URL
// tasks awaiting the same pause) into one line that says what it folds,
// and its groups count every task.
func writeTree(w io.Writer, snap *async.Snapshot, base string) {
	named := *snap
	named.Nodes = slices.Clone(snap.Nodes)
	for i := range named.Nodes {
		if t := &named.Nodes[i]; urlTask(t) {
			t.Name = strings.TrimPrefix(t.Name, base)
		}
	}
	_ = tasktree.WriteTree(w, &named)
}

// plural returns "1 retry", "2 retries", "3 URLs".
func plural(n int, word string) string { return report.Plural(int64(n), word) }

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
