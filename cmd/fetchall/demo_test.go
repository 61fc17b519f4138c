package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/demoserver"
)

// TestDemoWritesLikeARunAndShowsTheTaskTree runs the demo as main does,
// under async.Run, with stdout and stderr not terminals: records go to
// stdout and everything else to stderr, as in a normal run. Above the
// summary, a line per URL that failed or was retried; after it, the task
// tree of the run when the most URLs awaited the host's Retry-After: main
// awaiting the engine's group, which holds a task and a group for the demo
// server's host, whose group holds the URL tasks, several of them awaiting
// the pause, and a last line that says what it folded. The hints follow.
func TestDemoWritesLikeARunAndShowsTheTaskTree(t *testing.T) {
	var out, errb bytes.Buffer
	code := runMain(context.Background(), []string{"demo", "-n", "40", "-timeout", "300ms"}, nil, &out, &errb, async.WithSignals(nil))
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
	}
	if n := len(records(t, out.String())); n != 40 {
		t.Errorf("%d records on stdout, want 40", n)
	}
	stderr := errb.String()
	for _, want := range []string{
		`fetching 40 URLs, 32 at a time, 300ms timeout, 1 retry\n`,
		`failed or retried:\n  \S+( → \S+| ×2)? +\d\S+  /\S+\n`,
		`\n40 URLs in`,
		`The task tree \S+ into the run, while a Retry-After paused the host`,
		`scope "fetchall": \d+ tasks, 2 groups\n`,
		`└─ task \d+ "main" waiting .*\n`,
		`   └─ group \d+ "fetch.Run" \d+ tasks \[\d+/(\d\d|[2-9])\d* \d+%\]\n`, // its subgroups' tasks and progress, not 0/1
		`      └─ task \d+ "host (127.0.0.1:\d+)" waiting .*\n`,
		`         └─ group \d+ "127.0.0.1:\d+" \d+ tasks \[\d+/\d+ \d+%\]\n`,
		`demo -hold 30s -debug-addr :6060 +# 30s to watch http://localhost:6060/debug/tasks\n`,
		`go run ./examples/readme`,
	} {
		if !regexp.MustCompile(want).MatchString(stderr) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// How many URL tasks the pause holds at the chosen moment depends on
	// how fast the machine ran: from FoldAt on, they are one line that
	// says what it folds.
	if regexp.MustCompile(`tasks like task .*awaiting sleep "Retry-After `).MatchString(stderr) {
		const folded = `            [├└]─ \d+ tasks like task \d+ "/\S+" waiting .*, awaiting sleep "Retry-After 127.0.0.1:\d+" (?:for \S+ )?\(wakes in [^)]+\) \(tasks \d+–\d+ "/\S+": same origin, state and wait\)\n`
		if !regexp.MustCompile(folded).MatchString(stderr) {
			t.Errorf("stderr lacks %q:\n%s", folded, stderr)
		}
	}
	paused := len(regexp.MustCompile(`(?m)^ +[├└]─ task \d+ "/\S+" waiting .*, awaiting sleep "Retry-After `).FindAllStringIndex(stderr, -1))
	for _, m := range regexp.MustCompile(`(?m)^ +[├└]─ (\d+) tasks like task \d+ "/\S+" waiting .*, awaiting sleep "Retry-After `).FindAllStringSubmatch(stderr, -1) {
		n, _ := strconv.Atoi(m[1])
		paused += n
	}
	if paused < 3 {
		t.Errorf("the tree shows %d tasks awaiting the Retry-After, want several:\n%s", paused, stderr)
	}
	if m := regexp.MustCompile(`(\d+) tasks, 2 groups`).FindStringSubmatch(stderr); m == nil || m[1] < "10" && len(m[1]) < 3 {
		t.Errorf("the tree's scope line does not count the folded tasks:\n%s", stderr)
	}
}

// TestDemoQuietIsTheRunsQuiet: -q means the same in the demo as in a
// normal run (no progress bar and no summary): the records and nothing
// else, and both -h say it in the same words.
func TestDemoQuietIsTheRunsQuiet(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runMain(context.Background(), []string{"demo", "-q", "-n", "20", "-timeout", "200ms"}, nil, &out, &errb, async.WithSignals(nil)); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
	}
	if n := len(records(t, out.String())); n != 20 {
		t.Errorf("%d records on stdout, want 20", n)
	}
	if errb.Len() != 0 {
		t.Errorf("demo -q wrote on stderr:\n%s", errb.String())
	}
	for _, args := range [][]string{{"-h"}, {"demo", "-h"}} {
		var help bytes.Buffer
		run(context.Background(), args, nil, io.Discard, &help)
		if !strings.Contains(help.String(), "  -q\t"+quietUsage+"\n") {
			t.Errorf("fetchall %s does not describe -q as %q:\n%s", strings.Join(args, " "), quietUsage, help.String())
		}
	}
}

// TestDemoHintsWorkWhenPasted parses every command the demo suggests as
// fetchall would: each is accepted (no "no URLs"), the live page's hint
// runs the demo, and the example it names exists.
func TestDemoHintsWorkWhenPasted(t *testing.T) {
	self := "fetchall"
	for _, h := range demoHints(self) {
		args := strings.Fields(h[0])
		switch {
		case args[0] == self && len(args) > 1 && args[1] == "demo":
			var errb bytes.Buffer
			if _, err := parseDemo(args[2:], &job{stderr: &errb}); err != nil {
				t.Errorf("%q: %v", h[0], err)
			}
		case args[0] == self:
			var errb bytes.Buffer
			if _, err := parseArgs(args[1:], nil, io.Discard, &errb); !errors.Is(err, flag.ErrHelp) {
				t.Errorf("%q: %v", h[0], err)
			}
		case h[0] == "go run ./examples/readme":
			if _, err := os.Stat("../../examples/readme/main.go"); err != nil {
				t.Errorf("%q: %v", h[0], err)
			}
		default:
			t.Errorf("hint %q is not a command this test knows", h[0])
		}
		if strings.Contains(h[0], "-debug-addr") && !strings.Contains(h[0], " demo ") {
			t.Errorf("%q: -debug-addr without demo says no URLs", h[0])
		}
	}
}

// TestDemoInterruptedDoesNotSuggestResume: the demo has no -resume, so
// after Ctrl-C it says that it starts over, even with -o, and never asks
// for the -o that was given.
func TestDemoInterruptedDoesNotSuggestResume(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	file := filepath.Join(t.TempDir(), "demo.jsonl")
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, []string{"demo", "-o", file, "-hold", "20s"}, nil, &out, &errb, async.WithSignals(nil))
	}()
	waitFor(t, "a failed URL", func() bool { return strings.Contains(errb.String(), "failed or retried:") })
	cancel()
	if code := <-done; code != exitInterrupted {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, errb.String())
	}
	stderr := errb.String()
	if !strings.Contains(stderr, "interrupted: ") || !strings.Contains(stderr, "the demo starts over when run again") || strings.Contains(stderr, "-o FILE") {
		t.Errorf("stderr after Ctrl-C:\n%s", stderr)
	}
}

// TestStopNoteForOutputThatIsNoCheckpoint: a run whose -o is CSV is told
// to write JSON Lines, not to give the -o it gave.
func TestStopNoteForOutputThatIsNoCheckpoint(t *testing.T) {
	j := &job{output: "out.csv"}
	note := j.stopNote(&fetch.Summary{Inputs: 3, AllRead: true})
	if strings.Contains(note, "-o FILE") || !strings.Contains(note, "(-f jsonl) to be able to -resume") {
		t.Errorf("stop note %q", note)
	}
}

// TestStretchHoldsTheListAboutD: -hold's list, 32 at a time, lasts about
// D (its delays add up to D×32 within a few percent), with no delay over
// the limit, and other URLs unchanged.
func TestStretchHoldsTheListAboutD(t *testing.T) {
	urls := demoserverList(t, 200)
	for _, c := range []struct {
		d, limit time.Duration
		lo, hi   float64
	}{{10 * time.Second, time.Hour, 0.98, 1.02}, {30 * time.Second, 12 * time.Second, 0.8, 1.02}} {
		got := stretch(urls, 32, c.d, c.limit)
		var sum time.Duration
		for i, u := range got {
			d := itemDelay(u)
			sum += d
			if d > c.limit {
				t.Errorf("%s: delay over the limit %s", u, c.limit)
			}
			if d == 0 && u != urls[i] {
				t.Errorf("%s became %s", urls[i], u)
			}
		}
		if r := float64(sum/32) / float64(c.d); r < c.lo || r > c.hi {
			t.Errorf("hold %s: the stretched list lasts %s at 32 at a time", c.d, sum/32)
		}
	}
	if got := stretch(urls, 32, time.Millisecond, time.Hour); !slices.Equal(got, urls) {
		t.Error("a hold shorter than the list changed it")
	}
}

func demoserverList(t *testing.T, n int) []string {
	srv, err := demoserver.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	return srv.List(n)
}

// TestDemoOnATerminal runs the demo with stdout and stderr on a pseudo-
// terminal, as a person sees it: no raw record reaches the screen, which
// shows the bar with its ETA labelled, the failed or retried URLs, the
// summary, the task tree and the hints; the records are in the file it
// names.
func TestDemoOnATerminal(t *testing.T) {
	t.Setenv("TERM", "xterm")
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	var screen syncBuffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		io.Copy(&screen, ptmx) // until the tty is closed
	}()
	code := runMain(context.Background(), []string{"demo", "-n", "60", "-timeout", "300ms"}, nil, tty, tty, async.WithSignals(nil))
	tty.Close()
	<-read
	text := screen.String()
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, text)
	}
	if strings.Contains(text, `{"line"`) {
		t.Errorf("raw records on the terminal:\n%s", text)
	}
	for _, want := range []string{`\d+ / 60 \[.*ETA +\d`, `failed or retried:`, `60 URLs in`, `The task tree`, `\d+ tasks like task \d+ .*: same origin, state and wait\)`, `next, to paste:`} {
		if !regexp.MustCompile(want).MatchString(text) {
			t.Errorf("the terminal lacks %q:\n%s", want, text)
		}
	}
	m := regexp.MustCompile(`records to (\S+fetchall-demo-\S+\.jsonl)\r?\n`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no records file named:\n%s", text)
	}
	defer os.Remove(m[1])
	b, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if n := len(records(t, string(b))); n != 60 {
		t.Errorf("%d records in %s, want 60", n, m[1])
	}
	if !strings.Contains(text, "records: 60 lines in "+m[1]) {
		t.Errorf("the end does not name the records file again:\n%s", text)
	}
}

func TestCommandNameIsWhatTheUserCanRun(t *testing.T) {
	installed, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", filepath.Dir(installed))
	for _, c := range []struct{ exe, arg0, want string }{
		{"/tmp/go-build123/b001/exe/fetchall", "/tmp/go-build123/b001/exe/fetchall", "go run ./cmd/fetchall"},
		{installed, filepath.Base(installed), filepath.Base(installed)}, // typed as found in PATH
		{installed, installed, filepath.Base(installed)},                // the installed one, by its path
		{"/elsewhere/fetchall", "./fetchall", "./fetchall"},             // a local build
	} {
		if got := commandName(c.exe, c.arg0); got != c.want {
			t.Errorf("commandName(%q, %q) = %q, want %q", c.exe, c.arg0, got, c.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDebugAddrServesTheRunsTaskTree starts a run with -debug-addr and
// reads /debug/tasks at the printed URL while requests hang: the tree holds
// main, the engine's group, the host's task and group and a task per URL in
// flight.
func TestDebugAddrServesTheRunsTaskTree(t *testing.T) {
	base, hanging := hangCounter(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, []string{"-debug-addr", "127.0.0.1:0", "-q", base + "/hang?a", base + "/hang?b"}, nil, &out, &errb, async.WithSignals(nil))
	}()
	waitFor(t, "two hanging requests", func() bool { return hanging.Load() == 2 })
	m := regexp.MustCompile(`task tree at (http://\S+/debug/tasks)`).FindStringSubmatch(errb.String())
	if m == nil {
		cancel()
		<-done
		t.Fatalf("no URL printed; stderr:\n%s", errb.String())
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cancel()
	if code := <-done; code != exitInterrupted {
		t.Errorf("exit %d after the cancellation, want %d", code, exitInterrupted)
	}
	for _, want := range []string{`scope "fetchall": 4 tasks, 2 groups\n`, `"main" waiting .*, awaiting group \d+ "fetch.Run" for \S+\n`, `group \d+ "fetch.Run" 3 tasks \[0/3 0%\]\n`, `group \d+ "127.0.0.1:\d+" 2 tasks \[0/2 0%\]\n`, `/hang\?a" running`, `/hang\?b" running`} {
		if !regexp.MustCompile(want).Match(body) {
			t.Errorf("/debug/tasks lacks %q:\n%s", want, body)
		}
	}
	if _, err := http.Get(m[1]); err == nil {
		t.Error("the debug server still answers after the run")
	}
}

// TestExitStatusReportsLeaks checks what main makes of async.Run's error:
// the run's own status, and a leak report (a bug in fetchall, not the
// user's problem) printed and counted as a failure.
func TestExitStatusReportsLeaks(t *testing.T) {
	var errb bytes.Buffer
	if got := exitStatus(nil, &errb); got != exitOK || errb.Len() != 0 {
		t.Errorf("exitStatus(nil) = %d, %q", got, errb.String())
	}
	if got := exitStatus(&exitError{143}, &errb); got != 143 || errb.Len() != 0 {
		t.Errorf("exitStatus(exit 143) = %d, %q", got, errb.String())
	}
	leak := &async.LeakError{Grace: time.Second, Tasks: []async.TaskInfo{{Kind: async.KindTask, ID: 9, Name: "stuck", State: async.Running}}}
	if got := exitStatus(errors.Join(&exitError{130}, leak), &errb); got != 130 || !strings.Contains(errb.String(), `fetchall: internal error: async: 1 task(s) still running`) || !strings.Contains(errb.String(), `"stuck"`) {
		t.Errorf("exitStatus(exit 130 + leak) = %d, %q", got, errb.String())
	}
	errb.Reset()
	if got := exitStatus(leak, &errb); got != exitFailures || errb.Len() == 0 {
		t.Errorf("exitStatus(leak) = %d, %q", got, errb.String())
	}
}
