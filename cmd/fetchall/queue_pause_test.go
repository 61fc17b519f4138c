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
)

// A worker process SIGKILLed during a host's Retry-After pause: the worker
// process that takes the host's partition next sends nothing to the host
// before the pause ends.
func TestPauseSurvivesWorkerProcessKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fetchall")
	}
	bin := buildFetchall(t)
	srv := startNATS(t)
	const pause = 4 * time.Second
	// The times are read from the wall clock (Round(0) drops the monotonic
	// reading), the clock a handed-over pause is written in: a step or slew
	// of the wall clock then moves the worker's wait and this test's view of
	// it alike (docs/cluster.md: the pause's end is a wall-clock time).
	type arrival struct {
		at   time.Time
		path string
	}
	var (
		mu     sync.Mutex
		starts []arrival
		busyAt time.Time
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now := time.Now().Round(0)
		starts = append(starts, arrival{now, r.URL.Path})
		first := r.URL.Path == "/busy" && busyAt.IsZero()
		if first {
			busyAt = now
		}
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", fmt.Sprint(int(pause/time.Second)))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}))
	defer ts.Close()
	urls := []string{ts.URL + "/busy"}
	for i := range 300 {
		urls = append(urls, fmt.Sprintf("%s/p/%d", ts.URL, i))
	}
	list := filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(list, []byte(strings.Join(urls, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"-nats", srv.URL, "-job", "pause"}
	if r := cli(t, context.Background(), "", append(append([]string{"enqueue", "-i", list}, base...), queueTestFlags...)...); r.code != exitOK {
		t.Fatalf("enqueue: %d %q", r.code, r.stderr)
	}
	start := func(id string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, append([]string{"worker", "-v", "-id", id, "-c", "4", "-per-host", "1", "-max-retry-after", "10s"}, base...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, &stderr
	}
	first, firstLog := start("first")
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		at := busyAt
		mu.Unlock()
		if !at.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first worker never asked for /busy")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // into the pause, its record written
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	next, nextLog := start("next")
	out := filepath.Join(t.TempDir(), "out.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if r := cli(t, ctx, "", append([]string{"collect", "-q", "-o", out}, base...)...); r.code != exitOK && r.code != exitFailures {
		t.Fatalf("collect: %d %q", r.code, r.stderr)
	}
	next.Process.Signal(syscall.SIGTERM)
	next.Wait()
	b, _ := os.ReadFile(out)
	if n := strings.Count(string(b), "\n"); n != len(urls) {
		t.Errorf("%d records for %d URLs", n, len(urls))
	}
	mu.Lock()
	defer mu.Unlock()
	inPause := 0
	var early strings.Builder
	for _, st := range starts {
		if st.at.After(busyAt) && st.at.Before(busyAt.Add(pause)) {
			inPause++
			fmt.Fprintf(&early, "\t%s at %s, %v into the pause\n", st.path, st.at.UTC().Format(time.RFC3339Nano), st.at.Sub(busyAt))
		}
	}
	if inPause > 0 {
		t.Errorf("%d requests reached the host during its %v pause (from %s) after its worker was SIGKILLed:\n%sfirst:\n%s\nnext:\n%s", inPause, pause, busyAt.UTC().Format(time.RFC3339Nano), &early, firstLog, nextLog)
	}
	if !strings.Contains(nextLog.String(), "inherited a Retry-After pause") {
		t.Errorf("the next worker's log (-v) does not tell of the pause it inherited:\n%s", nextLog)
	}
	t.Logf("worker SIGKILLed 0.5s into a %v pause: %d requests, %d of them inside the pause", pause, len(starts), inPause)
}
