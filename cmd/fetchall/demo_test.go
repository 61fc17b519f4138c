package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

// TestDemoWritesLikeARunAndShowsTheTaskTree runs the demo as main does,
// under async.Run: records go to stdout and everything else to stderr, as
// in a normal run; the task tree of the run is shown: main awaiting the
// engine's group, which holds a task and a group for the demo server's
// host, whose group holds the URL tasks; the list's flaky URLs answer with
// Retry-After, and the tree shows URL tasks awaiting the host's pause. The
// hints end with the example to read.
func TestDemoWritesLikeARunAndShowsTheTaskTree(t *testing.T) {
	var out, errb bytes.Buffer
	code := runMain(context.Background(), []string{"demo", "-n", "40", "-q", "-timeout", "300ms"}, nil, &out, &errb, async.WithSignals(nil))
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
	}
	if n := len(records(t, out.String())); n != 40 {
		t.Errorf("%d records on stdout, want 40", n)
	}
	stderr := errb.String()
	for _, want := range []string{
		`fetching 40 URLs, 32 at a time, 300ms timeout, 1 retry\n`,
		`\n40 URLs in`,
		`The task tree while a Retry-After paused the host`,
		`scope "fetchall": \d+ tasks, 2 groups\n`,
		`└─ task \d+ "main" running .*, awaiting group \d+ "fetch.Run"\n`,
		`   └─ group \d+ "fetch.Run" 1 task \[0/1 0%\]\n`,
		`      └─ task \d+ "host (127.0.0.1:\d+)" running .*, awaiting group \d+ "127.0.0.1:\d+"\n`,
		`         └─ group \d+ "127.0.0.1:\d+" \d+ tasks \[\d+/40 \d+%\]\n`,
		`            [├└]─ task \d+ "http://127.0.0.1:\d+/\S+" running .*, awaiting sleep "Retry-After 127.0.0.1:\d+" \(wakes in [^)]+\)\n`,
		`-debug-addr :6060`,
		`read: go run ./examples/readme`,
	} {
		if !regexp.MustCompile(want).MatchString(stderr) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
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
	for _, want := range []string{`scope "fetchall": 4 tasks, 2 groups\n`, `"main" running .*, awaiting group \d+ "fetch.Run"\n`, `group \d+ "fetch.Run" 1 task \[0/1 0%\]\n`, `group \d+ "127.0.0.1:\d+" 2 tasks \[0/2 0%\]\n`, `/hang\?a" running`, `/hang\?b" running`} {
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
