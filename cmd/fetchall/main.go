// Command fetchall fetches many URLs concurrently and writes one record per
// URL — JSON Lines, CSV or a table — with a summary of the run.
//
//	fetchall demo                               # try it: a built-in local server, no network
//	fetchall -i urls.txt -o out.jsonl           # fetch a list, 32 at a time
//	fetchall -i urls.txt -o out.jsonl --resume out.jsonl   # continue after Ctrl-C
//	seq 1 100 | sed 's|^|https://example.com/?p=|' | fetchall -i - -f table
//
// Exit status: 0 when every URL succeeded, 1 when some failed, 2 for a usage
// error (bad flags, unreadable or empty input), 130 when stopped by Ctrl-C
// (SIGINT) and 143 by SIGTERM; the demo, whose list fails some URLs on
// purpose, exits 0 when it ran through. Either signal stops dispatching,
// cancels requests in flight, writes their records and the summary. A second
// Ctrl-C exits at once; a second SIGTERM does not, since supervisors such as
// coreutils timeout send it to the program and to its process group.
//
// -debug-addr serves the run's live task tree at /debug/tasks (package
// debug/taskhttp): the groups and tasks of the engine as they run. A port
// alone (-debug-addr :6060) listens on loopback only.
//
// A password in a URL (https://user:password@host/) is sent, but never
// shown: records, the summary, the listing, the timeline, error messages and
// the task tree show user:xxxxx@ instead, as curl -v does.
//
// Run fetchall -h for every flag. The engine is package fetch.
//
// # Records
//
// One per input URL, written as each completes (JSON Lines by default; -f
// csv has the same columns, -f table is for reading):
//
//	{"line":12,"url":"https://a.example/x","final_url":"https://a.example/y","outcome":"ok",
//	 "status":200,"bytes":5120,"attempts":1,"start_ms":31.2,"duration_ms":84.6,"queued_ms":0.1,
//	 "dns_ms":1.9,"connect_ms":10.3,"tls_ms":22.4,"ttfb_ms":80.2}
//
// outcome is ok, http_error (status 400 and up), error (no usable response:
// see error_kind, such as timeout, connection_reset, dns, tls,
// too_many_redirects, bad_redirect, bad_content_encoding), invalid (not an http or https URL) or cancelled
// (interrupted). Durations are in milliseconds; duration_ms runs from the
// first attempt to the end of the body, retry waits included (retry_wait_ms),
// and time spent waiting for a slot, a host or a rate limit is queued_ms.
// Optional fields: truncated (body cut at -max-body), sha256, saved_as,
// reused (a kept-alive connection), error and error_kind; http_version
// ("1.1", "2"), redirects (how many were followed), redirect_url (where a
// 3xx that was not followed pointed, as with -max-redirects 0, made
// absolute), content_encoding (as the response came); resumed_from (the
// bytes of a saved file that -continue did not fetch again); attempt_times
// (for a URL tried more than once, or whose Retry-After paused its host:
// each attempt's queued_ms, start_ms, dns_ms, connect_ms, tls_ms, ttfb_ms,
// end_ms, backoff_ms, pause_ms, status and error_kind).
//
// With -o FILE and -resume FILE, the output is also the checkpoint: run the
// same command again after Ctrl-C or a crash, and only the lines whose last
// record is not ok are fetched (a URL on several lines is fetched for each;
// a list that changed since is refused). A record torn by a crash is cut
// before records are appended, so the file stays JSON Lines.
//
// # Memory
//
// The list is streamed: memory depends on -c and -backlog, not on the
// length of the list (-sorted and -timeline excepted, which keep every
// record). To see it, serve the demo endpoints and compare peak RSS:
//
//	fetchall demo -serve > url.txt &                      # prints the base URL
//	awk -v u=$(cat url.txt) 'BEGIN{for(i=0;i<1000000;i++) print u "/item?size=100&i=" i}' > 1m.txt
//	head -1000 1m.txt > 1k.txt
//	/usr/bin/time -v fetchall -q -c 64 -i 1k.txt -o /dev/null   # Maximum resident set size
//	/usr/bin/time -v fetchall -q -c 64 -i 1m.txt -o /dev/null
//
// Measured 2026-11-24 on the project's 2-core machine (shared, load average
// about 10, so times are slow): 22.3 MB for 1,000 lines, 24.9 MB for
// 1,000,000 lines (+12%; the run took 4m43s).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/asyncgo/async"
)

// command is a subcommand: a word that, first on the command line, selects
// something other than fetching a list. Adding one is an entry in commands
// and a file of its own.
type command struct {
	name    string
	args    string // what follows the name in the usage line
	summary string // one line for fetchall -h
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = []command{
	{"demo", "[flags]", "fetch a generated list from a built-in server on 127.0.0.1: no network needed", runDemo},
	{"compact", "FILE", "rewrite a checkpoint with one record per input line, the last, after repeated -resume runs", runCompact},
}

// The subcommands of a job across machines (fetch/queue). They are added
// at init because the worker parses its fetch flags with the local run's
// parser, whose usage lists the commands: in the literal above, that would
// be an initialization cycle.
func init() {
	commands = append(commands,
		command{"enqueue", "-i FILE [-nats URL] [-job NAME]", "put a list into a job's work queue on NATS JetStream, for workers on any machines", runEnqueue},
		command{"worker", "[-nats URL] [-job NAME] [fetch flags]", "fetch a job's URLs and publish their records; run as many as you like", runWorker},
		command{"collect", "[-nats URL] [-job NAME] [-o FILE]", "write a job's records, exactly one per line, and its summary", runCollect},
		command{"status", "[-nats URL] [-job NAME]", "a job's state: queued, in flight, recorded, failed; partitions, pauses, workers, rate and end", runStatus},
		command{"jobs", "[rm NAME...] [-nats URL]", "list the jobs on the NATS server, or delete some", runJobs},
		command{"cluster-demo", "[flags]", "a job on an embedded NATS server with in-process workers and the demo server: no network needed (in a fetchall built with -tags clusterdemo)", runClusterDemo},
	)
}

// lookupCommand returns the subcommand args name, if they name one.
func lookupCommand(args []string) (command, bool) {
	if len(args) == 0 {
		return command{}, false
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c, true
		}
	}
	return command{}, false
}

// commandsUsage lists the subcommands for fetchall -h.
func commandsUsage() string {
	var s string
	for _, c := range commands {
		s += fmt.Sprintf("       fetchall %s %s\n", c.name, c.args)
	}
	s += "\n"
	for _, c := range commands {
		s += fmt.Sprintf("%q: %s.\n", "fetchall "+c.name, c.summary)
	}
	return s
}

// exitError carries the exit status out of async.Run's main.
type exitError struct{ status int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.status) }

// main runs the command as the main task of async.Run, which turns SIGINT
// and SIGTERM into the cancellation of its context (one graceful stop), exits
// at once on a second Ctrl-C, tracks every task for -debug-addr, and reports
// any task the run would leave behind.
func main() {
	os.Exit(runMain(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr,
		async.WithExit(func(code int) {
			fmt.Fprintln(os.Stderr, "fetchall: interrupted again: exiting at once")
			os.Exit(code)
		})))
}

// runMain runs the command as async.Run's main task and returns its exit
// status.
func runMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, opts ...async.RunOption) int {
	err := async.Run(ctx, func(ctx context.Context) error {
		if status := run(ctx, args, stdin, stdout, stderr); status != exitOK {
			return &exitError{status}
		}
		return nil
	}, append([]async.RunOption{async.WithName("fetchall")}, opts...)...)
	return exitStatus(err, stderr)
}

// exitStatus is the status main's error stands for; it reports a leak, a
// bug rather than the user's problem, on stderr.
func exitStatus(err error, stderr io.Writer) int {
	status := exitOK
	if e := (*exitError)(nil); errors.As(err, &e) {
		status = e.status
	}
	if leak := (*async.LeakError)(nil); errors.As(err, &leak) {
		fmt.Fprintf(stderr, "fetchall: internal error: %v\n", leak)
		status = max(status, exitFailures)
	}
	return status
}
