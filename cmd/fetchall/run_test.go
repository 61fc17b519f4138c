package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/demoserver"
	"go.uber.org/goleak"
)

// TestMain lets the signal tests run this test binary as the command
// itself: with FETCHALL_MAIN=1 it is fetchall. Otherwise it runs the tests
// and fails them if a goroutine outlives them, then removes the fetchall
// that buildFetchall built for the process tests.
func TestMain(m *testing.M) {
	if os.Getenv("FETCHALL_MAIN") == "1" {
		main()
		return
	}
	// goleak calls Cleanup in place of os.Exit.
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if built.dir != "" {
			os.RemoveAll(built.dir)
		}
		os.Exit(code)
	}))
}

type result struct {
	code           int
	stdout, stderr string
}

func cli(t *testing.T, ctx context.Context, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func records(t *testing.T, jsonl string) []fetch.Record {
	t.Helper()
	var recs []fetch.Record
	sc := bufio.NewScanner(strings.NewReader(jsonl))
	for sc.Scan() {
		var r fetch.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

func demo(t *testing.T) *demoserver.Server {
	t.Helper()
	s, err := demoserver.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// hangCounter serves the demo endpoints and counts the /hang requests in
// flight, so that tests interrupt a run at a known point, not after a sleep.
func hangCounter(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var hanging atomic.Int32
	h := demo(t).Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			hanging.Add(1)
			defer hanging.Add(-1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL, &hanging
}

// waitFor polls cond until it holds, failing the test after 20s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsageErrorsAreOneLineAndExit2(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	empty := writeFile(t, "empty.txt", "# nothing here\n\n")
	cases := []struct {
		args []string
		want string
	}{
		{nil, "no URLs: give them as arguments, or with -i FILE"},
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
		{[]string{"-c", "x", "http://a.test/"}, `invalid value "x" for flag -c`},
		{[]string{"-c", "0", "http://a.test/"}, "-c must be at least 1"},
		{[]string{"-max-time", "-1s", "http://a.test/"}, "-max-time must not be negative"},
		{[]string{"-f", "xml", "http://a.test/"}, `-f "xml": want jsonl, csv or table`},
		{[]string{"-timeout", "-1s", "http://a.test/"}, "-timeout must be positive"},
		{[]string{"-max-body", "lots", "http://a.test/"}, "want a size like"},
		{[]string{"-H", "NoColon", "http://a.test/"}, `-H "NoColon": want "Name: value"`},
		{[]string{"-X", "GE T", "http://a.test/"}, "not a valid method"},
		{[]string{"-i", filepath.Join(dir, "missing.txt")}, "cannot read the URL list: " + filepath.Join(dir, "missing.txt") + ": no such file or directory"},
		{[]string{"-i", dir}, "is a directory"},
		{[]string{"-i", empty}, "no URLs in " + empty},
		{[]string{"-i", "-"}, "no URLs in stdin"},
		{[]string{"-i", empty, "http://a.test/"}, "not both"},
		{[]string{"-resume", filepath.Join(dir, "nope.jsonl"), "http://a.test/"}, "cannot read -resume file"},
		{[]string{"-save", filepath.Join(dir, "nodir"), "http://a.test/"}, "the directory does not exist"},
		{[]string{"demo", "-n", "0"}, "-n and -c must be at least 1"},
		{[]string{"demo", "extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		r := cli(t, ctx, "", c.args...)
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if r.code != exitUsage || len(lines) != 1 || !strings.Contains(r.stderr, c.want) || !strings.HasPrefix(r.stderr, "fetchall") {
			t.Errorf("fetchall %q: exit %d, stderr %q; want 2 and one line with %q", c.args, r.code, r.stderr, c.want)
		}
		if strings.Contains(r.stderr, "goroutine") || r.stdout != "" {
			t.Errorf("fetchall %q: stdout %q", c.args, r.stdout)
		}
	}
	if r := cli(t, ctx, "", "-h"); r.code != 0 || !strings.Contains(r.stderr, "Usage: fetchall") || !strings.Contains(r.stderr, "-per-host") {
		t.Errorf("-h: %d %q", r.code, r.stderr)
	}
}

func TestExitStatusAndRecords(t *testing.T) {
	s := demo(t)
	ctx := context.Background()
	r := cli(t, ctx, "", "-q", s.URL+"/item?size=10", s.URL+"/item?size=20")
	if r.code != exitOK || r.stderr != "" || len(records(t, r.stdout)) != 2 {
		t.Errorf("all ok: exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
	}
	list := fmt.Sprintf("# list\n%s/item\nnot-a-url\n\n%s/status?code=404\n", s.URL, s.URL)
	r = cli(t, ctx, list, "-i", "-")
	recs := records(t, r.stdout)
	if r.code != exitFailures || len(recs) != 3 {
		t.Fatalf("some failed: exit %d, %d records:\n%s", r.code, len(recs), r.stdout)
	}
	byLine := map[int]fetch.Record{}
	for _, rec := range recs {
		byLine[rec.Line] = rec
	}
	if byLine[2].Outcome != fetch.OK || byLine[3].Outcome != fetch.Invalid || byLine[5].Status != 404 {
		t.Errorf("records by line: %+v", byLine)
	}
	// Without a terminal, stderr has the summary and no control characters.
	if !strings.Contains(r.stderr, "3 URLs in") || strings.ContainsAny(r.stderr, "\r\x1b") {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestEveryOptionReachesTheEngine(t *testing.T) {
	s := demo(t)
	ctx := context.Background()
	dir := t.TempDir()
	bodyFile := writeFile(t, "body.json", `{"k":1}`)
	out := filepath.Join(dir, "out.csv")
	timeline := filepath.Join(dir, "t.html")
	r := cli(t, ctx, "", "-o", out, "-f", "csv", "-c", "2", "-per-host", "1", "-rate", "1000", "-host-rate", "1000",
		"-X", "post", "-H", "X-A: 1", "-H", "X-A: 2", "-d", "@"+bodyFile, "-timeout", "2s", "-retries", "0",
		"-max-redirects", "0", "-max-body", "1KiB", "-save", dir, "-sha256", "-timeline", timeline, "-sorted",
		s.URL+"/item?size=5000", s.URL+"/redirect?n=1", s.URL+"/status?code=503")
	if r.code != exitFailures {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	data, _ := os.ReadFile(out)
	csvText := string(data)
	for _, want := range []string{"line,url,final_url,outcome", ",ok,200,1024,true,1,", ",ok,302,", ",http_error,503,", "000001_127.0.0.1"} {
		if !strings.Contains(csvText, want) {
			t.Errorf("CSV lacks %q:\n%s", want, csvText)
		}
	}
	if strings.Count(csvText, ",http_error,503,") != 1 || !strings.Contains(csvText, ",1,http_status,") {
		t.Errorf("503 retried although -retries 0:\n%s", csvText)
	}
	page, err := os.ReadFile(timeline)
	if err != nil || !bytes.Contains(page, []byte("<svg")) || bytes.Count(page, []byte(`<g class="b `)) != 3 {
		t.Errorf("timeline: %v", err)
	}
	if !strings.Contains(r.stderr, "3 URLs from fastest to slowest:") {
		t.Errorf("no sorted listing: %s", r.stderr)
	}

	// Method, headers and body as the server sees them.
	var seen []string
	echo := echoServer(t, &seen)
	r = cli(t, ctx, "", "-q", "-X", "PUT", "-H", "X-A: 1", "-H", "X-A: 2", "-d", "hello", echo)
	if r.code != 0 || len(seen) != 1 || seen[0] != "PUT [1 2] hello" {
		t.Errorf("echo: exit %d, seen %q", r.code, seen)
	}

	// -d alone means POST, as in curl.
	seen = nil
	if r = cli(t, ctx, "", "-q", "-d", "x=1", echo); r.code != 0 || len(seen) != 1 || seen[0] != "POST [] x=1" {
		t.Errorf("-d without -X: exit %d, seen %q", r.code, seen)
	}

	// Table format.
	r = cli(t, ctx, "", "-q", "-f", "table", s.URL+"/item")
	if !strings.Contains(r.stdout, "LINE  OUTCOME") || !strings.Contains(r.stdout, " ok ") {
		t.Errorf("table: %q", r.stdout)
	}
}

func TestResumeSkipsWhatSucceededAndFetchesTheRest(t *testing.T) {
	s := demo(t)
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "out.jsonl")
	list := writeFile(t, "list.txt", fmt.Sprintf("%s/item?a\n%s/flaky?id=r&code=500&fails=1\n%s/item?b\n", s.URL, s.URL, s.URL))
	r := cli(t, ctx, "", "-q", "-retries", "0", "-i", list, "-o", out, "-resume", out)
	if r.code != exitFailures {
		t.Fatalf("first run: exit %d %s", r.code, r.stderr)
	}
	r = cli(t, ctx, "", "-retries", "0", "-i", list, "-o", out, "-resume", out)
	if r.code != exitOK || !strings.Contains(r.stderr, "skipped 2") || !strings.Contains(r.stderr, "ok 1") {
		t.Fatalf("second run: exit %d %s", r.code, r.stderr)
	}
	data, _ := os.ReadFile(out)
	recs := records(t, string(data))
	if len(recs) != 4 || recs[3].Line != 2 || recs[3].Outcome != fetch.OK {
		t.Errorf("output after resume:\n%s", data)
	}
}

func TestInterruptedRunWritesARecordPerURLReadAndExits130(t *testing.T) {
	base, hanging := hangCounter(t)
	feed := &lineFeed{}
	for i := range 50 {
		if i%5 == 0 {
			feed.lines = append(feed.lines, fmt.Sprintf("%s/hang?i=%d\n", base, i))
		} else {
			feed.lines = append(feed.lines, fmt.Sprintf("%s/item?delay=%dms&i=%d\n", base, i, i))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// The fourth /hang request (i=15) holds the last of the four
		// slots; i=16 and i=17 fill the backlog, and i=18, once read,
		// waits for room. A line read is handed on before the next is
		// asked for, so a 19th line served means i=18 is in the run's
		// hands.
		waitFor(t, "four hanging requests and 19 lines read", func() bool {
			return hanging.Load() == 4 && feed.served.Load() >= 19
		})
		cancel()
	}()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"-i", "-", "-c", "4", "-backlog", "2"}, feed, &out, &errb)
	r := result{code, out.String(), errb.String()}
	recs := records(t, r.stdout)
	if r.code != exitInterrupted {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	cancelled := 0
	for _, rec := range recs {
		if rec.Outcome == fetch.Cancelled {
			cancelled++
		}
	}
	// Four /hang requests hold the four slots; two more wait in the backlog
	// and one was read while waiting for room: all seven are cancelled.
	if cancelled != 7 || len(recs) != 19 || !strings.Contains(r.stderr, "interrupted: partial") || !strings.Contains(r.stderr, "19 URLs in") {
		t.Errorf("%d records, %d cancelled, %d lines served; stderr %s", len(recs), cancelled, feed.served.Load(), r.stderr)
	}
}

// lineFeed is a standard input that hands out one line per Read and counts
// the lines it has handed out, so that a test knows how far the run has
// read: fetch.Lines asks for more only once it has handed on every line it
// holds.
type lineFeed struct {
	lines  []string
	served atomic.Int32
}

func (f *lineFeed) Read(p []byte) (int, error) {
	i := int(f.served.Load())
	if i >= len(f.lines) {
		return 0, io.EOF
	}
	if len(p) < len(f.lines[i]) {
		return 0, io.ErrShortBuffer
	}
	f.served.Add(1)
	return copy(p, f.lines[i]), nil
}

func TestDemoCommand(t *testing.T) {
	dir := t.TempDir()
	r := cli(t, context.Background(), "", "demo", "-n", "60", "-timeout", "300ms", "-sorted", "-o", filepath.Join(dir, "d.jsonl"), "-timeline", filepath.Join(dir, "d.html"))
	if r.code != exitOK || r.stdout != "" || !strings.Contains(r.stderr, "\n60 URLs in") || !strings.Contains(r.stderr, "60 URLs from fastest to slowest") || !strings.Contains(r.stderr, "on purpose") {
		t.Fatalf("demo: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "d.jsonl"))
	if n := len(records(t, string(data))); n != 60 {
		t.Errorf("demo wrote %d records, want 60", n)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "10": 10, "1KiB": 1024, "1kb": 1000, "2M": 2 << 20, "3 MB": 3e6, "1GiB": 1 << 30, "7B": 7} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "x", "1.5MB", "99999999999GiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

// The signal tests run the command as a real process (this test binary in
// the role of fetchall) and interrupt it with SIGINT.

func startCommand(t *testing.T, stdin *os.File, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "FETCHALL_MAIN=1")
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out, &errb
}

func TestSignalFirstCtrlCFinishesWith130(t *testing.T) {
	base, hanging := hangCounter(t)
	var list strings.Builder
	for i := range 20 {
		fmt.Fprintf(&list, "%s/hang?i=%d\n", base, i)
	}
	file := writeFile(t, "hang.txt", list.String())
	cmd, out, errb := startCommand(t, nil, "-i", file, "-c", "3", "-backlog", "1")
	waitFor(t, "three hanging requests", func() bool { return hanging.Load() == 3 })
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if cmd.ProcessState.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v, stderr %s", err, errb)
	}
	recs := records(t, out.String())
	// Three in flight, one in the backlog, one read and waiting for room.
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5:\n%s", len(recs), out)
	}
	for _, r := range recs {
		if r.Outcome != fetch.Cancelled {
			t.Errorf("record %+v", r)
		}
	}
}

func TestSignalSecondCtrlCExitsAtOnce(t *testing.T) {
	// Reading from a pipe that never ends blocks the dispatcher in a read
	// that no cancellation can interrupt; the second Ctrl-C must still end
	// the process.
	base, hanging := hangCounter(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	defer pr.Close()
	cmd, _, errb := startCommand(t, pr, "-i", "-")
	fmt.Fprintf(pw, "%s/hang\n", base)
	waitFor(t, "the first request", func() bool { return hanging.Load() == 1 })
	cmd.Process.Signal(syscall.SIGINT)
	waitFor(t, "the cancellation of the first request", func() bool { return hanging.Load() == 0 })
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("a second SIGINT did not end the process")
	}
	if cmd.ProcessState.ExitCode() != exitInterrupted || !strings.Contains(errb.String(), "interrupted again") {
		t.Errorf("process ended with %v, stderr %q; want exit 130", cmd.ProcessState, errb)
	}
}

func TestResumeAfterInterruptLosesNothingAndRefetchesNoSuccess(t *testing.T) {
	// /u/N answers at once, except that during the first run N >= 30
	// hangs: that run is interrupted with those in flight.
	var mu sync.Mutex
	hits := map[string]int{}
	var hanging atomic.Int32
	var firstRun atomic.Bool
	firstRun.Store(true)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		var n int
		fmt.Sscanf(r.URL.Path, "/u/%d", &n)
		if n >= 30 && firstRun.Load() {
			hanging.Add(1)
			defer hanging.Add(-1)
			<-r.Context().Done()
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer ts.Close()
	var list strings.Builder
	for i := range 40 {
		fmt.Fprintf(&list, "%s/u/%d\n", ts.URL, i)
	}
	in := writeFile(t, "list.txt", list.String())
	out := filepath.Join(filepath.Dir(in), "out.jsonl")
	args := []string{"-q", "-c", "4", "-i", in, "-o", out, "-resume", out}

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		waitFor(t, "four hanging requests", func() bool { return hanging.Load() == 4 })
		cancel()
	}()
	if r := cli(t, ctx, "", args...); r.code != exitInterrupted {
		t.Fatalf("first run: exit %d %s", r.code, r.stderr)
	}
	firstRun.Store(false)
	if r := cli(t, context.Background(), "", args...); r.code != exitOK {
		t.Fatalf("second run: exit %d %s", r.code, r.stderr)
	}
	data, _ := os.ReadFile(out)
	ok := map[string]int{}
	for _, rec := range records(t, string(data)) {
		if rec.Outcome == fetch.OK {
			ok[rec.URL]++
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range 40 {
		u := fmt.Sprintf("%s/u/%d", ts.URL, i)
		if ok[u] != 1 {
			t.Errorf("%s has %d ok records, want 1", u, ok[u])
		}
		if p := fmt.Sprintf("/u/%d", i); i < 30 && hits[p] != 1 {
			t.Errorf("%s fetched %d times, want once", p, hits[p])
		}
	}
}

func TestMaxTimeStopsTheRunAndExits1(t *testing.T) {
	base, _ := hangCounter(t)
	r := cli(t, context.Background(), "", "-max-time", "200ms", "-c", "2", base+"/item", base+"/hang", base+"/hang?2", base+"/hang?3")
	recs := records(t, r.stdout)
	if r.code != exitFailures || len(recs) != 4 || !strings.Contains(r.stderr, "stopped after -max-time 200ms") {
		t.Fatalf("exit %d, %d records, stderr %s", r.code, len(recs), r.stderr)
	}
	for _, rec := range recs {
		hangs := strings.Contains(rec.URL, "/hang")
		// /item may finish within the 200ms or be cut with the rest,
		// depending on how busy the machine is; the hanging URLs never finish.
		if hangs && rec.Outcome != fetch.Cancelled {
			t.Errorf("%s: outcome %v, want cancelled by -max-time", rec.URL, rec.Outcome)
		}
		if rec.Outcome == fetch.Cancelled && !strings.Contains(rec.Error, "max-time") {
			t.Errorf("cancelled record does not say why: %q", rec.Error)
		}
	}
}

// TestRequestsSayTheyAreFetchall: fetchall's requests carry fetchall/1
// (the engine alone sends net/http's User-Agent), a worker's too, and -H
// User-Agent replaces it.
func TestRequestsSayTheyAreFetchall(t *testing.T) {
	var mu sync.Mutex
	var agents []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.UserAgent())
		mu.Unlock()
	}))
	defer ts.Close()
	if r := cli(t, context.Background(), "", "-q", ts.URL+"/a"); r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r := cli(t, context.Background(), "", "-q", "-H", "User-Agent: mine/2", ts.URL+"/b"); r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(agents, []string{"fetchall/1", "mine/2"}) {
		t.Errorf("User-Agents %q, want fetchall/1, then the one -H set", agents)
	}
	cfg, _, err := workerArgs(nil, io.Discard)
	if err != nil || cfg.UserAgent != "fetchall/1" {
		t.Errorf("a worker's User-Agent %q (%v), want fetchall/1", cfg.UserAgent, err)
	}
}
