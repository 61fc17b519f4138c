package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/queue"
	"github.com/asyncgo/async/fetch/queue/embedded"
)

// queueTestFlags make a job react in test time: a killed worker's URLs
// come back after 2s, its hosts after 1s.
var queueTestFlags = []string{"-partitions", "8", "-ack-wait", "2s", "-lease-ttl", "1s"}

func startNATS(t *testing.T) *embedded.Server {
	t.Helper()
	s, err := embedded.Start(embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// sites starts n web servers (n hosts) answering every path after delay,
// and returns a list file of per URLs on each, interleaved.
func sites(t *testing.T, n, per int, delay time.Duration) (file string, urls []string) {
	t.Helper()
	var bases []string
	for range n {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
			}
			fmt.Fprintln(w, r.URL.Path)
		}))
		t.Cleanup(ts.Close)
		bases = append(bases, ts.URL)
	}
	for i := range per {
		for _, b := range bases {
			urls = append(urls, fmt.Sprintf("%s/p/%d", b, i+1))
		}
	}
	file = filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(file, []byte(strings.Join(urls, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, urls
}

// checkOnePerLine fails unless the JSON Lines hold exactly one ok record
// per URL, under its line number.
func checkOnePerLine(t *testing.T, jsonl string, urls []string) {
	t.Helper()
	recs := records(t, jsonl)
	seen := map[int]int{}
	for _, r := range recs {
		seen[r.Line]++
		if r.Line < 1 || r.Line > len(urls) || r.URL != urls[r.Line-1] || r.Outcome != fetch.OK {
			t.Errorf("record %+v does not match line %d", r, r.Line)
		}
	}
	for line, n := range seen {
		if n != 1 {
			t.Errorf("line %d has %d records", line, n)
		}
	}
	if len(recs) != len(urls) || len(seen) != len(urls) {
		t.Errorf("%d records for %d lines (%d distinct); want one per line", len(recs), len(urls), len(seen))
	}
}

// The subcommands end to end, in-process: enqueue twice adds nothing the
// second time; a worker fetches; collect writes one record per line and
// the summary with the records per worker; -resume of a complete file
// writes nothing more.
func TestQueueSubcommands(t *testing.T) {
	srv := startNATS(t)
	list, urls := sites(t, 3, 10, time.Millisecond)
	base := []string{"-nats", srv.URL, "-job", "cli"}
	ctx := context.Background()

	r := cli(t, ctx, "", append(append([]string{"enqueue", "-i", list}, base...), queueTestFlags...)...)
	if r.code != exitOK || !strings.Contains(r.stderr, "job cli: 30 URLs read, 30 new, 0 already queued") {
		t.Fatalf("enqueue: %d %q", r.code, r.stderr)
	}
	r = cli(t, ctx, "", append([]string{"enqueue", "-i", list}, base...)...)
	if r.code != exitOK || !strings.Contains(r.stderr, "30 URLs read, 0 new, 30 already queued") {
		t.Fatalf("enqueue again: %d %q", r.code, r.stderr)
	}

	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var wr result
	wg.Go(func() { wr = cli(t, wctx, "", append([]string{"worker", "-id", "solo", "-c", "4"}, base...)...) })
	out := filepath.Join(t.TempDir(), "out.jsonl")
	r = cli(t, ctx, "", append([]string{"collect", "-o", out}, base...)...)
	stop()
	wg.Wait()
	if r.code != exitOK || !strings.Contains(r.stderr, "job: 30 of 30 lines have their record") || !strings.Contains(r.stderr, "solo") {
		t.Errorf("collect: %d %q", r.code, r.stderr)
	}
	if wr.code != exitOK || !strings.Contains(wr.stderr, "worker solo stopped") || !strings.Contains(wr.stderr, "records: 30 stored") {
		t.Errorf("worker: %d %q", wr.code, wr.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkOnePerLine(t, string(b), urls)

	ordered := filepath.Join(t.TempDir(), "ordered.jsonl")
	if r := cli(t, ctx, "", append([]string{"collect", "-q", "-ordered", "-o", ordered}, base...)...); r.code != exitOK {
		t.Errorf("collect -ordered: %d %q", r.code, r.stderr)
	}
	ob, _ := os.ReadFile(ordered)
	for i, rec := range records(t, string(ob)) {
		if rec.Line != i+1 {
			t.Errorf("collect -ordered: record %d is line %d", i+1, rec.Line)
		}
	}
	if r := cli(t, ctx, "", append([]string{"collect", "-ordered", "-order-window", "0"}, base...)...); r.code != exitUsage {
		t.Errorf("collect -order-window 0: %d %q; want a usage error", r.code, r.stderr)
	}

	r = cli(t, ctx, "", append([]string{"collect", "-o", out, "-resume", out}, base...)...)
	if after, _ := os.ReadFile(out); r.code != exitOK || !bytes.Equal(after, b) || !strings.Contains(r.stderr, "(30 written by an earlier collect)") {
		t.Errorf("collect -resume of a complete file: %d %q; the file changed: %v", r.code, r.stderr, !bytes.Equal(after, b))
	}
}

// A worker is told when a flag of the local run has no meaning for it.
func TestWorkerRejectsOutputFlags(t *testing.T) {
	for _, args := range [][]string{{"-o", "x.jsonl"}, {"-c", "4", "-i", "urls.txt"}, {"http://a.example/"}} {
		r := cli(t, context.Background(), "", append([]string{"worker", "-nats", "nats://127.0.0.1:1"}, args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "fetchall worker:") {
			t.Errorf("worker %v: %d %q; want a usage error", args, r.code, r.stderr)
		}
	}
}

// A real worker process killed with SIGKILL mid-run loses nothing: its
// URLs go to the other worker process after the ack wait, and collect
// writes exactly one record per line. The other worker, stopped by
// SIGTERM, drains and exits 143.
func TestWorkerProcessKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fetchall")
	}
	bin := buildFetchall(t)
	srv := startNATS(t)
	list, urls := sites(t, 8, 30, 20*time.Millisecond)
	base := []string{"-nats", srv.URL, "-job", "kill"}
	if r := cli(t, context.Background(), "", append(append([]string{"enqueue", "-i", list}, base...), queueTestFlags...)...); r.code != exitOK {
		t.Fatalf("enqueue: %d %q", r.code, r.stderr)
	}
	start := func(id string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, append([]string{"worker", "-id", id, "-c", "4"}, base...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, &stderr
	}
	// The survivor starts only once the victim has written a record: a
	// survivor that came up first on a loaded machine could take every
	// partition before the victim connected, and the victim would hold
	// nothing to lose when it is killed.
	victim, _ := start("victim")

	nc, js, err := queue.Connect(srv.URL, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	job, err := queue.Open(context.Background(), js, "kill", queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Killed once it has published a few records, so that it is known to
	// be serving partitions, and holds more URLs unacknowledged.
	killed, victimRecords, done := false, 0, 0
	victimWrote := make(chan struct{})
	type collected struct {
		c   *queue.Collected
		err error
	}
	result := make(chan collected, 1)
	go func() {
		c, err := queue.Collect(ctx, job, fetch.NewJSONLWriter(&out), queue.CollectOptions{OnRecord: func(_ *fetch.Record, worker string) {
			done++
			if worker == "victim" {
				victimRecords++
				if victimRecords == 1 {
					close(victimWrote)
				}
			}
			if victimRecords >= 5 && done >= 40 && !killed {
				killed = true
				victim.Process.Signal(syscall.SIGKILL)
			}
		}})
		result <- collected{c, err}
	}()
	select {
	case <-victimWrote:
	case r := <-result:
		t.Fatalf("collect ended before the victim wrote a record: %v", r.err)
	}
	survivor, survivorErr := start("survivor")
	r := <-result
	c, err := r.c, r.err
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	if !killed {
		t.Fatalf("the victim was never killed: records per worker %v", c.Workers)
	}
	checkOnePerLine(t, out.String(), urls)
	t.Logf("SIGKILLed worker process mid-run (at least 40 of %d records written, 5 of them its own): %d records written, %d lines, %d duplicates dropped; per worker %v",
		len(urls), strings.Count(out.String(), "\n"), c.Done, c.Duplicates, c.Workers)

	survivor.Process.Signal(syscall.SIGTERM)
	err = survivor.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 143 || !strings.Contains(survivorErr.String(), "worker survivor stopped") {
		t.Errorf("the survivor after SIGTERM: %v; want exit 143 and its summary; stderr:\n%s", err, survivorErr.String())
	}
}

var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildFetchall builds fetchall once for the tests that run it as a
// process, with -tags clusterdemo, so that the same binary runs
// cluster-demo; the build reuses the packages this test binary was built
// from (the embedded server among them).
func buildFetchall(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		// TestMain removes the directory once the package's tests are done.
		if built.dir, built.err = os.MkdirTemp("", "fetchall-test-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "fetchall")
		args := []string{"build", "-tags", "clusterdemo", "-o", built.bin}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// The cluster demo runs, one command away, in a fetchall built with
// -tags clusterdemo: one record per line of its generated list. Built
// without it (as this test binary is), it says which command runs it.
func TestClusterDemo(t *testing.T) {
	r := cli(t, context.Background(), "", "cluster-demo")
	if r.code != exitUsage || !strings.Contains(r.stderr, "go run -tags clusterdemo ./cmd/fetchall cluster-demo") {
		t.Errorf("cluster-demo without the tag: %d %q; want exit 2 and the command that runs it", r.code, r.stderr)
	}
	if testing.Short() {
		t.Skip("builds fetchall")
	}
	bin := buildFetchall(t)
	out := filepath.Join(t.TempDir(), "demo.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "cluster-demo", "-n", "60", "-workers", "2", "-q", "-o", out)
	stderr, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cluster-demo: %v\n%s", err, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[int]int{}
	for _, r := range records(t, string(b)) {
		lines[r.Line]++
	}
	for l := 1; l <= 60; l++ {
		if lines[l] != 1 {
			t.Errorf("line %d has %d records; want 1", l, lines[l])
		}
	}
	if len(lines) != 60 {
		t.Errorf("%d lines have records; want 60\n%s", len(lines), stderr)
	}
}
