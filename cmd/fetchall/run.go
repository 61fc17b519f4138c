package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/report"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailures    = 1
	exitUsage       = 2
	exitInterrupted = 130 // SIGINT; an interrupt by another signal exits 128 plus its number
)

// userAgent is what fetchall's requests say they are, unless -H sets a
// User-Agent; the engine left alone sends net/http's.
const userAgent = "fetchall/1"

// usageError is a mistake on the command line or in the input files: it is
// reported in one line and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run is the whole command, with its environment passed in so that tests
// run it in-process. ctx ending is an interrupt (Ctrl-C).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if c, ok := lookupCommand(args); ok {
		return c.run(ctx, args[1:], stdin, stdout, stderr)
	}
	job, err := parseArgs(args, stdin, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "fetchall: %v (see fetchall -h)\n", err)
		return exitUsage
	}
	defer job.close()
	status := job.execute(ctx)
	if status == exitUsage {
		job.discardOutput()
	}
	return status
}

// job is a parsed command line, ready to execute.
type job struct {
	cfg      fetch.Config
	src      iter.Seq2[fetch.Input, error]
	sink     fetch.Sink
	quiet    bool // no progress bar
	summary  bool // print the summary
	sorted   bool
	timeline string
	stderr   io.Writer // progress and errors
	report   io.Writer // summary and sorted listing
	closers  []io.Closer
	flushOut func() error
	showBar  bool
	maxTime  time.Duration // the whole run's limit; 0 for none
	// records is where records go; when they go to the terminal that
	// shows the bar, execute points it at the bar, which prints them
	// above itself instead of through it.
	records       *switchWriter
	recordsOnTerm bool
	emptyHint     string
	debugAddr     string              // serve the task tree there; "" for not
	tornLines     int                 // torn records found in the -resume file
	output        string              // the -o file, if any
	jsonl         bool                // records are JSON Lines, a checkpoint
	resumeFrom    string              // the -resume file, when the output appends to it
	observe       func(*fetch.Record) // also called with every record, when set
	fields        []string            // -fields, or nil for every field
	aboveBar      *switchWriter       // lines to show above the bar, when set (the demo's live view)
	demo          bool                // the demo, which has no -resume
	// out is the records file, changed only once records are written, or
	// nil when records go elsewhere.
	out *fetch.RecordsFile
	// csv is the CSV writer, whose header is written with the first
	// record, or at the end of a run that had inputs; with lazyHeader
	// false, at once.
	csv        *fetch.CSVWriter
	lazyHeader bool
	// written counts the writes that reached the records' file (the CSV
	// header one of them), when they go through a group writer.
	written func() int64
}

// discardOutput removes the records file if the job created it and wrote
// nothing to it: a refused command leaves no empty file behind.
func (j *job) discardOutput() {
	if j.out != nil {
		j.out.RemoveIfUnused()
	}
}

func (j *job) close() {
	for _, c := range j.closers {
		c.Close()
	}
}

const usageText = `
Fetch many URLs concurrently; write one record per URL to stdout (or -o)
as each completes, then a summary on stderr. URLs come from the arguments or,
with -i, from a file or stdin: one per line; blank lines and # comments are
skipped. The list is streamed, so its length does not matter. A line may
carry options: "URL out=NAME" saves the body as NAME (aria2's out), and a JSON
line {"url":…, "method":…, "headers":{…}, "body":…, "out":…} sets its request
(a body without a method goes out as POST, as curl -d, unless -X says other
than GET).

In the summary a request is one URL fetched, with all its attempts: invalid,
skipped and cancelled lines are none (-rate and -host-rate count attempts).

Exit status: 0 all succeeded, 1 some failed, 2 usage error, 130 interrupted
by Ctrl-C, 143 by SIGTERM. Either stops dispatching and cancels requests in
flight (their records say so); a second Ctrl-C exits at once.

Flags:
`

// parseArgs turns the command line into a job; every problem is a
// *usageError (or flag.ErrHelp after printing the usage).
func parseArgs(args []string, stdin io.Reader, stdout, stderr io.Writer) (_ *job, err error) {
	fs := flag.NewFlagSet("fetchall", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		input, output, format, resume, timeline, data string
		maxBody                                       = sizeValue(0)
		headers                                       []string
		j                                             = &job{stderr: stderr, report: stderr, cfg: fetch.Config{UserAgent: userAgent}}
		cfg                                           = &j.cfg
		retries                                       int
		fsync                                         time.Duration
		fields                                        string
		maxRedirects                                  int
	)
	fs.StringVar(&input, "i", "", "read URLs from `FILE`, one per line (- for stdin)")
	fs.StringVar(&output, "o", "", "write records to `FILE` instead of stdout")
	fs.StringVar(&format, "f", "jsonl", "record `format`: jsonl, csv or table (in csv, a cell a spreadsheet would take for a formula starts with ', and control characters are escaped)")
	fs.StringVar(&fields, "fields", "", "write only these record `FIELDS`, comma-separated, in that order, each once (like url,status,duration_ms; jsonl and csv)")
	fs.BoolVar(&cfg.Ordered, "ordered", false, "write records in input order, not as they complete (see -order-window)")
	fs.IntVar(&cfg.OrderWindow, "order-window", fetch.DefaultOrderWindow, "with -ordered, read at most `N` URLs past the oldest one not yet written; when full, reading waits for it (bounds memory)")
	fs.BoolVar(&j.quiet, "q", false, "no progress bar and no summary (-sorted still lists)")
	fs.BoolVar(&j.sorted, "sorted", false, "after the run, list every URL from fastest to slowest on stderr, even with -q (keeps all records in memory)")
	fs.StringVar(&timeline, "timeline", "", "write an HTML timeline of every request to `FILE` (keeps all records in memory)")
	fs.StringVar(&resume, "resume", "", "skip the input lines whose last record in the JSON Lines `FILE` of an earlier run is ok (with -o FILE, the same file is appended to); lines are matched by number, so the list must be the same: one that changed is refused")
	fs.IntVar(&cfg.Concurrency, "c", fetch.DefaultConcurrency, "fetch at most `N` URLs at once")
	fs.IntVar(&cfg.Backlog, "backlog", 0, "let `N` more URLs than -c wait for their host, so other hosts go past it (0: 4×c); bounds memory with -c")
	fs.IntVar(&cfg.PerHost, "per-host", 0, "fetch at most `N` URLs of one host at once (0: no limit but -c)")
	fs.IntVar(&cfg.HostBacklog, "host-backlog", 0, "with -per-host, let `N` URLs wait for their busy host apart from -backlog, so that the URLs of other hosts behind them are read and fetched (0: max(16×c, 256))")
	fs.Float64Var(&cfg.Rate, "rate", 0, "make at most `R` attempts per second in all, each retry one (0: no limit)")
	fs.Float64Var(&cfg.HostRate, "host-rate", 0, "make at most `R` attempts per second to each host, each retry one (0: no limit)")
	fs.StringVar(&cfg.Method, "X", "GET", "request `method`")
	fs.Func("H", "add a request `header` \"Name: value\" (repeatable)", func(v string) error {
		headers = append(headers, v)
		return nil
	})
	fs.StringVar(&data, "d", "", "send `BODY` with every request, by POST unless -X says otherwise (@FILE reads it from FILE)")
	fs.DurationVar(&cfg.Timeout, "timeout", fetch.DefaultTimeout, "give up an attempt after `D`, body included")
	fs.DurationVar(&fsync, "fsync", 0, "sync the records file to disk at most `D` after records are written, for durability against power loss and OS crashes, at some cost in throughput (0, the default: never sync; a record is written as soon as it is done, so it survives fetchall being killed, but one written in the last seconds before a power loss may be lost, and -resume fetches its line again)")
	fs.DurationVar(&j.maxTime, "max-time", 0, "stop the whole run after `D` as Ctrl-C would, but exit 1 (0: no limit)")
	fs.IntVar(&retries, "retries", fetch.DefaultRetries, "retry network errors, timeouts, 429 and 5xx up to `N` times, with backoff and Retry-After")
	fs.BoolVar(&cfg.RetryAllMethods, "retry-all-methods", false, "retry POST, PATCH and other methods that are not idempotent like the others (without it they are retried only if never sent: connection refused, DNS)")
	fs.Func("retry-on", "retry these `STATUSES`, comma-separated codes or classes like 429,503,5xx (default 408,429 and 5xx but 501,505)", func(v string) error {
		codes, err := parseStatuses(v)
		cfg.RetryOn = codes
		return err
	})
	fs.BoolVar(&cfg.FailFast, "fail-fast", false, "stop the run at the first URL that fails, as Ctrl-C would, and exit 1")
	fs.DurationVar(&cfg.MaxRetryAfter, "max-retry-after", fetch.DefaultMaxRetryAfter, "honour a Retry-After of at most `D`; a longer one fails the URL")
	fs.IntVar(&maxRedirects, "max-redirects", fetch.DefaultMaxRedirects, "follow at most `N` redirects (0: report the 3xx itself)")
	fs.Var(&maxBody, "max-body", "read at most `SIZE` of each body (like 10MB or 512KiB; 0: no cap); longer bodies are marked truncated")
	fs.StringVar(&cfg.SaveDir, "save", "", "save each body in `DIR` under a safe name (line number and URL)")
	fs.BoolVar(&cfg.SHA256, "sha256", false, "record the SHA-256 of each body")
	fs.StringVar(&j.debugAddr, "debug-addr", "", debugAddrUsage)
	tf := addTransportFlags(fs)
	defer func() {
		if err != nil {
			j.discardOutput()
			j.close()
		}
	}()
	fs.Usage = func() {} // errors are reported in one line, the usage only on -h
	urlArgs, perr := parseInterleaved(fs, args)
	err = perr
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, "Usage: fetchall [flags] [URL ...]\n"+commandsUsage()+usageText)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, flagError(fs, err)
	}

	switch {
	case cfg.Concurrency < 1:
		return nil, usagef("-c must be at least 1")
	case cfg.PerHost < 0 || cfg.Backlog < 0 || cfg.HostBacklog < 0:
		return nil, usagef("-per-host, -backlog and -host-backlog must not be negative")
	case !finite(cfg.Rate) || !finite(cfg.HostRate):
		// NaN compares false with everything: test for what is wanted.
		return nil, usagef("-rate and -host-rate must be finite numbers, 0 or more")
	case cfg.Timeout <= 0:
		return nil, usagef("-timeout must be positive")
	case j.maxTime < 0:
		return nil, usagef("-max-time must not be negative")
	case fsync < 0:
		return nil, usagef("-fsync must not be negative")
	case cfg.OrderWindow < 1:
		return nil, usagef("-order-window must be at least 1")
	case retries < 0:
		return nil, usagef("-retries must not be negative")
	case maxRedirects < 0:
		return nil, usagef("-max-redirects must not be negative")
	case cfg.MaxRetryAfter <= 0:
		return nil, usagef("-max-retry-after must be positive")
	}
	// In fetch.Config zero means the default and a negative value none.
	cfg.Retries, cfg.MaxRedirects = retries, maxRedirects
	if retries == 0 {
		cfg.Retries = -1
	}
	if maxRedirects == 0 {
		cfg.MaxRedirects = -1
	}
	cfg.MaxBody = int64(maxBody)
	cfg.Method = strings.ToUpper(cfg.Method)
	if !validToken(cfg.Method) {
		return nil, usagef("-X %q is not a valid method", cfg.Method)
	}
	if len(headers) > 0 {
		cfg.Header = http.Header{}
		for _, h := range headers {
			name, value, ok := strings.Cut(h, ":")
			name = strings.TrimSpace(name)
			if !ok || !validToken(name) {
				return nil, usagef("-H %q: want \"Name: value\"", h)
			}
			cfg.Header.Add(name, strings.TrimSpace(value))
		}
	}
	if err := tf.apply(cfg); err != nil {
		return nil, err
	}
	if data != "" {
		methodSet := false
		fs.Visit(func(f *flag.Flag) { methodSet = methodSet || f.Name == "X" })
		if !methodSet {
			cfg.Method = http.MethodPost
		}
		if name, ok := strings.CutPrefix(data, "@"); ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, usagef("cannot read the request body: %v", err)
			}
			cfg.Body = b
		} else {
			cfg.Body = []byte(data)
		}
	}
	if cfg.SaveDir != "" {
		switch st, err := os.Stat(cfg.SaveDir); {
		case errors.Is(err, os.ErrNotExist):
			return nil, usagef("-save %s: the directory does not exist (create it first)", cfg.SaveDir)
		case err != nil:
			return nil, usagef("-save: %v", unwrapPath(err))
		case !st.IsDir():
			return nil, usagef("-save %s: not a directory", cfg.SaveDir)
		}
	} else if cfg.Continue {
		fmt.Fprintln(stderr, "fetchall: -continue without -save applies only to lines with out=NAME: other bodies are not saved")
	}
	j.summary = !j.quiet
	j.timeline = timeline
	cfg.KeepRecords = j.sorted || timeline != ""

	// Input.
	var inFile openedFile
	switch {
	case input != "" && len(urlArgs) > 0:
		return nil, usagef("give URLs as arguments or with -i, not both")
	case input == "" && len(urlArgs) == 0:
		return nil, usagef("no URLs: give them as arguments, or with -i FILE (-i - for stdin)")
	case input == "-":
		j.src = fetch.Lines(stdin)
		j.emptyHint = "stdin"
		if f, ok := stdin.(*os.File); ok {
			inFile = statFile("-i", "stdin", f)
		}
	case input != "":
		f, err := os.Open(input)
		if err != nil {
			return nil, usagef("cannot read the URL list: %v", unwrapPath(err))
		}
		j.closers = append(j.closers, f)
		inFile = statFile("-i", input, f)
		if inFile.info != nil && inFile.info.IsDir() {
			return nil, usagef("cannot read the URL list: %s is a directory", input)
		}
		j.src = fetch.Lines(f)
		j.emptyHint = input
		if inFile.info != nil && inFile.info.Mode().IsRegular() {
			cfg.Total = -1 // counted once we know a bar is shown
		}
	default:
		j.src = fetch.Slice(urlArgs)
		cfg.Total = int64(len(urlArgs))
		j.emptyHint = "the arguments"
	}

	// Everything that can be refused is checked before any output is
	// changed: outputs are opened, never truncated, until records are
	// written (see fetch.RecordsFile), and a refused command removes the files
	// it created.
	if !validFormat(format) {
		return nil, usagef("-f %q: want jsonl, csv or table", format)
	}
	if fields != "" {
		j.fields = strings.Split(fields, ",")
		for i := range j.fields {
			j.fields[i] = strings.TrimSpace(j.fields[i])
		}
		if err := checkFields(format, j.fields); err != nil {
			return nil, err
		}
	}

	// Resume.
	resumeFile := openedFile{flag: "-resume", name: resume}
	if resume != "" {
		rf, err := os.Open(resume)
		switch {
		case errors.Is(err, os.ErrNotExist) && output != "":
			// Maybe the first run of a resumable command line, where -o
			// names the checkpoint: openRecordsFile tells.
		case err != nil:
			return nil, usagef("cannot read -resume file: %v", unwrapPath(err))
		default:
			resumeFile = statFile("-resume", resume, rf)
			cp, err := fetch.LoadCheckpoint(rf)
			rf.Close()
			if err != nil {
				return nil, usagef("-resume %s: %v", resume, err)
			}
			// A list in a file or in the arguments is checked whole, before
			// anything is fetched; one on stdin as it is read.
			var whole iter.Seq2[fetch.Input, error]
			switch {
			case input == "" || input == "-":
				if input == "" {
					whole = fetch.Slice(urlArgs)
				}
			case inFile.info != nil && inFile.info.Mode().IsRegular():
				if lf, err := os.Open(input); err == nil {
					defer lf.Close()
					whole = fetch.Lines(lf)
				}
			}
			if whole != nil {
				if err := cp.CheckInput(whole); err != nil {
					return nil, usagef("-resume %s: %v", resume, err)
				}
			}
			j.tornLines = cp.Torn
			cfg.Skip = cp.Skip
		}
	}
	var tlFile openedFile
	if timeline != "" {
		var err error
		if tlFile, err = checkTimeline(timeline, inFile, resumeFile); err != nil {
			return nil, err
		}
	}

	// Output.
	var out io.Writer = stdout
	appendOut := false
	if output != "" {
		var others []openedFile
		if tlFile.info != nil {
			others = append(others, tlFile)
		}
		rf, err := openRecordsFile(output, inFile, resumeFile, others...)
		if err != nil {
			return nil, err
		}
		j.closers = append(j.closers, rf)
		j.out = rf
		out, appendOut = rf, rf.Appending()
	} else if f, ok := stdout.(*os.File); ok {
		o := statFile("-o", "stdout", f)
		switch {
		case o.info != nil && o.info.Mode().IsRegular() && o.same(inFile):
			return nil, usagef("stdout is the URL list (-i %s): refusing to overwrite it", input)
		case o.info != nil && o.info.Mode().IsRegular() && o.same(tlFile):
			return nil, usagef("stdout is the same file as -timeline %s", timeline)
		case o.info != nil && o.info.Mode().IsRegular() && o.same(resumeFile):
			j.out = fetch.AppendTo(f, "stdout")
			out, appendOut = j.out, true
		}
	}
	j.output, j.jsonl = output, format == "jsonl" || format == "json"
	if appendOut {
		j.resumeFrom = resume
	}
	if appendOut && format != "jsonl" && format != "json" {
		return nil, usagef("-resume with the same file as the output needs -f jsonl")
	}
	if fields != "" && appendOut {
		for _, need := range []string{"line", "url", "outcome"} {
			if !slices.Contains(j.fields, need) {
				return nil, usagef("-fields without %s: the output would no longer be a checkpoint for -resume (keep line, url and outcome)", need)
			}
		}
	}
	// No body is saved over the URL list or the records (out= names).
	var protected []os.FileInfo
	for _, o := range []openedFile{inFile, resumeFile, statOut(out)} {
		if o.info != nil && o.info.Mode().IsRegular() {
			protected = append(protected, o.info)
		}
	}
	if len(protected) > 0 {
		cfg.Protected = sameFileAs(protected)
	}
	j.lazyHeader = true
	if err := j.useOutput(out, output == "" && isTerminal(stdout), format, fsync); err != nil {
		return nil, err
	}
	j.showBar = !j.quiet && isTerminal(stderr)
	if cfg.Total < 0 {
		cfg.Total = 0
		if j.showBar {
			cfg.Total = countLines(input)
		}
	}
	return j, nil
}

// flagError turns the flag package's error into a usage error that says
// what was wanted: a duration given as a bare number ("-timeout 30") is
// told to add its unit.
func flagError(fs *flag.FlagSet, err error) error {
	var value, name string
	if n, _ := fmt.Sscanf(err.Error(), "invalid value %q for flag -%s", &value, &name); n == 2 {
		name = strings.TrimSuffix(name, ":")
		if f := fs.Lookup(name); f != nil {
			if g, ok := f.Value.(flag.Getter); ok {
				if _, ok := g.Get().(time.Duration); ok {
					return usagef("-%s %q: want a duration like 5s, 500ms or 1m30s", name, value)
				}
			}
		}
	}
	return &usageError{err.Error()}
}

// parseInterleaved parses flags wherever they are among the URLs, as
// curl does: "fetchall URL -max-body 1MiB" caps the body rather than
// fetching a URL named "-max-body". After "--" every argument is a URL.
// It returns the URLs in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var urls []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return urls, nil
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(urls, rest...), nil
		}
		urls = append(urls, rest[0])
		args = rest[1:]
	}
}

// useOutput makes the job write records in format to out. Records on a
// terminal are shown one by one as they come; elsewhere they are written
// by group commit, as soon as the writer is free (see fetch.GroupWriter),
// and synced every fsync if that is positive.
func (j *job) useOutput(out io.Writer, toTerminal bool, format string, fsync time.Duration) (err error) {
	if !validFormat(format) {
		return usagef("-f %q: want jsonl, csv or table", format)
	}
	j.records = &switchWriter{w: out}
	j.recordsOnTerm = toTerminal
	var w io.Writer
	if toTerminal {
		bw := bufio.NewWriterSize(j.records, 64<<10)
		w, j.flushOut = flushingWriter{bw}, bw.Flush
	} else {
		g := fetch.NewGroupWriter(j.records, fsync)
		defer func() {
			if err != nil {
				g.Close() // the job is not run: stop its writer
			}
		}()
		w, j.flushOut, j.written = g, g.Close, g.Written
		j.closers = append([]io.Closer{g}, j.closers...) // before the file it writes to
	}
	switch format {
	case "jsonl", "json":
		jw := fetch.NewJSONLWriter(w)
		if j.fields != nil {
			if err := jw.SetFields(j.fields); err != nil {
				return usagef("-fields: %v", err)
			}
		}
		j.sink = jw
	case "csv":
		cw := fetch.NewCSVWriter(w)
		if j.fields != nil {
			if err := cw.SetFields(j.fields); err != nil {
				return usagef("-fields: %v", err)
			}
		}
		if !j.lazyHeader {
			if err := cw.WriteHeader(); err != nil {
				return usagef("cannot write records: %v", err)
			}
		}
		j.sink, j.csv = cw, cw
	case "table":
		if j.fields != nil {
			return usagef("-fields works with -f jsonl and csv; the table has its own columns")
		}
		j.sink = report.NewTableWriter(w)
	}
	return nil
}

// flushingWriter flushes after every write: records on a terminal are
// shown as they come.
type flushingWriter struct{ bw *bufio.Writer }

func (f flushingWriter) Write(p []byte) (int, error) {
	n, err := f.bw.Write(p)
	if err == nil {
		err = f.bw.Flush()
	}
	return n, err
}

func validFormat(f string) bool { return f == "jsonl" || f == "json" || f == "csv" || f == "table" }

// switchWriter is an io.Writer whose destination can be changed.
type switchWriter struct{ w io.Writer }

func (s *switchWriter) Write(p []byte) (int, error) { return s.w.Write(p) }

// Sync syncs the destination when it can be synced (a file), so that the
// group writer's -fsync reaches it; a destination that cannot (a pipe, a
// terminal) has nothing to make durable.
func (s *switchWriter) Sync() error {
	sy, ok := s.w.(interface{ Sync() error })
	if !ok {
		return nil
	}
	if err := sy.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}

// countLines counts the URLs in a file for the progress bar's total, in a
// quick pass that holds one line at a time. It returns 0 (unknown) if the
// file cannot be read.
func countLines(name string) int64 {
	f, err := os.Open(name)
	if err != nil {
		return 0
	}
	defer f.Close()
	var n int64
	for _, err := range fetch.Lines(f) {
		if err != nil {
			return 0
		}
		n++
	}
	return n
}

// unwrapPath drops the "open" verb from a path error: "x: no such file or
// directory" reads better in a one-line message.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// statOut returns what the records' writer is, when it is a file.
func statOut(w io.Writer) openedFile {
	switch f := w.(type) {
	case *os.File:
		return statFile("-o", f.Name(), f)
	case *fetch.RecordsFile:
		return statFile("-o", f.Name(), f.File())
	}
	return openedFile{}
}

// checkFields checks -fields for the format before any output is opened.
func checkFields(format string, fields []string) error {
	var err error
	switch format {
	case "table":
		return usagef("-fields works with -f jsonl and csv; the table has its own columns")
	case "csv":
		err = fetch.NewCSVWriter(io.Discard).SetFields(fields)
	default:
		err = fetch.NewJSONLWriter(io.Discard).SetFields(fields)
	}
	if err != nil {
		return usagef("-fields: %v", err)
	}
	return nil
}

// parseStatuses parses a -retry-on list: status codes and classes (5xx).
func parseStatuses(v string) ([]int, error) {
	codes := []int{}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(strings.ToLower(part))
		if class, ok := strings.CutSuffix(part, "xx"); ok && len(class) == 1 && class[0] >= '1' && class[0] <= '5' {
			base := int(class[0]-'0') * 100
			for c := base; c < base+100; c++ {
				codes = append(codes, c)
			}
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 100 || n > 599 {
			return nil, fmt.Errorf("%q is not a status (100-599) or a class like 5xx", part)
		}
		codes = append(codes, n)
	}
	return codes, nil
}

// finite reports whether f is a number of 0 or more, not NaN or infinite.
func finite(f float64) bool { return f >= 0 && !math.IsInf(f, 1) }

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// sizeValue is a byte count flag that accepts units: 10MB, 512KiB, 1G.
type sizeValue int64

func (s *sizeValue) String() string { return strconv.FormatInt(int64(*s), 10) }

func (s *sizeValue) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*s = sizeValue(n)
	return nil
}

func parseSize(v string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(v))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("want a size like 1048576, 512KiB or 10MB")
	}
	return n * mult, nil
}
