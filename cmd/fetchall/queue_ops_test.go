package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/fetch/queue"
	"github.com/asyncgo/async/fetch/queue/embedded"
)

// A worker or collect given a job that does not exist fails at once,
// naming the jobs there are, and creates nothing.
func TestWorkerAndCollectOfNoJob(t *testing.T) {
	srv := startNATS(t)
	list, _ := sites(t, 1, 2, time.Millisecond)
	base := []string{"-nats", srv.URL}
	if r := cli(t, context.Background(), "", append([]string{"enqueue", "-i", list, "-job", "crawl"}, base...)...); r.code != exitOK {
		t.Fatalf("enqueue: %d %q", r.code, r.stderr)
	}
	for _, cmd := range []string{"worker", "collect"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		start := time.Now()
		r := cli(t, ctx, "", append([]string{cmd, "-job", "crwal"}, base...)...)
		cancel()
		if r.code != exitFailures || time.Since(start) > 10*time.Second ||
			!strings.Contains(r.stderr, `fetchall `+cmd+`: queue: no such job (run enqueue first): "crwal"; the jobs there are: crawl`) {
			t.Errorf("%s -job crwal: %d after %v, %q; want exit 1 at once naming job crawl", cmd, r.code, time.Since(start), r.stderr)
		}
	}
	nc, js, err := queue.Connect(srv.URL, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if jobs, err := queue.Jobs(context.Background(), js); err != nil || strings.Join(jobs, " ") != "crawl" {
		t.Errorf("jobs on the server: %v, %v; want crawl alone", jobs, err)
	}
}

// The NATS password is never printed: not in the worker's banner, not in a
// connection error.
func TestQueueCommandsHideThePassword(t *testing.T) {
	srv := startNATS(t)
	list, _ := sites(t, 1, 2, time.Millisecond)
	withPassword := strings.Replace(srv.URL, "nats://", "nats://alice:s3cret@", 1)
	if r := cli(t, context.Background(), "", "enqueue", "-i", list, "-nats", withPassword); r.code != exitOK || strings.Contains(r.stderr, "s3cret") {
		t.Fatalf("enqueue: %d %q", r.code, r.stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r := cli(t, ctx, "", "worker", "-nats", withPassword)
	if strings.Contains(r.stderr, "s3cret") || !strings.Contains(r.stderr, "at nats://alice:xxxxx@127.0.0.1") {
		t.Errorf("worker: %q; want the URL with its password hidden", r.stderr)
	}
	for _, args := range [][]string{{"enqueue", "-i", list}, {"worker"}, {"collect"}} {
		cmd := args[0]
		r := cli(t, context.Background(), "", append(args, "-nats", "nats://alice:s3cret@127.0.0.1:1")...)
		if r.code != exitFailures || strings.Contains(r.stderr, "s3cret") || !strings.Contains(r.stderr, "alice:xxxxx@") {
			t.Errorf("%s with an unreachable server: %d %q; want exit 1, the password hidden", cmd, r.code, r.stderr)
		}
	}
}

// status prints a job's state; jobs lists the jobs; jobs rm deletes one.
func TestStatusAndJobs(t *testing.T) {
	srv := startNATS(t)
	list, _ := sites(t, 2, 5, time.Millisecond)
	base := []string{"-nats", srv.URL}
	ctx := context.Background()
	for _, job := range []string{"one", "two"} {
		if r := cli(t, ctx, "", append([]string{"enqueue", "-i", list, "-job", job, "-partitions", "4"}, base...)...); r.code != exitOK {
			t.Fatalf("enqueue: %d %q", r.code, r.stderr)
		}
	}
	r := cli(t, ctx, "", append([]string{"status", "-job", "one"}, base...)...)
	for _, want := range []string{"job one: 10 lines", "queued 10, in flight 0, recorded 0, failed 0", "workers alive: 0", "partitions: 4", "  0  (no holder)"} {
		if r.code != exitOK || !strings.Contains(r.stdout, want) {
			t.Errorf("status: %d %q %q; want %q", r.code, r.stdout, r.stderr, want)
		}
	}
	if r := cli(t, ctx, "", append([]string{"status", "-job", "three"}, base...)...); r.code != exitFailures || !strings.Contains(r.stderr, "the jobs there are: one, two") {
		t.Errorf("status of no job: %d %q", r.code, r.stderr)
	}
	r = cli(t, ctx, "", append([]string{"jobs"}, base...)...)
	if r.code != exitOK || !strings.Contains(r.stdout, "one\t10 lines, 10 queued, 0 in flight, 0 recorded, 0 workers") || !strings.Contains(r.stdout, "two\t") {
		t.Errorf("jobs: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := cli(t, ctx, "", append([]string{"jobs", "rm", "one"}, base...)...); r.code != exitOK || !strings.Contains(r.stderr, "deleted job one") {
		t.Errorf("jobs rm one: %d %q", r.code, r.stderr)
	}
	if r := cli(t, ctx, "", append([]string{"jobs", "rm", "one"}, base...)...); r.code != exitFailures || !strings.Contains(r.stderr, "no such job") {
		t.Errorf("jobs rm one again: %d %q", r.code, r.stderr)
	}
	r = cli(t, ctx, "", append([]string{"jobs"}, base...)...)
	if r.code != exitOK || strings.Contains(r.stdout, "one\t") || !strings.Contains(r.stdout, "two\t") {
		t.Errorf("jobs after rm: %d %q", r.code, r.stdout)
	}
}

// The queue commands authenticate with -user and -password, or the
// environment ($NATS_USER, $NATS_PASSWORD); without them the server
// refuses them, and the error says so.
func TestQueueCommandsAuthenticate(t *testing.T) {
	srv, err := embedded.Start(embedded.Options{Users: map[string]string{"alice": "s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	list, _ := sites(t, 1, 2, time.Millisecond)
	ctx := context.Background()
	if r := cli(t, ctx, "", "enqueue", "-i", list, "-nats", srv.URL); r.code != exitFailures || !strings.Contains(strings.ToLower(r.stderr), "authorization violation") {
		t.Errorf("enqueue without credentials: %d %q; want refused", r.code, r.stderr)
	}
	if r := cli(t, ctx, "", "enqueue", "-i", list, "-nats", srv.URL, "-user", "alice", "-password", "s3cret"); r.code != exitOK {
		t.Errorf("enqueue -user -password: %d %q", r.code, r.stderr)
	}
	t.Setenv("NATS_USER", "alice")
	t.Setenv("NATS_PASSWORD", "s3cret")
	if r := cli(t, ctx, "", "status", "-nats", srv.URL); r.code != exitOK || !strings.Contains(r.stdout, "job fetchall: 2 lines") || strings.Contains(r.stdout+r.stderr, "s3cret") {
		t.Errorf("status with $NATS_USER and $NATS_PASSWORD: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// A worker's -debug-addr serves its metrics, in the Prometheus text
// format, next to its task tree.
func TestWorkerMetrics(t *testing.T) {
	srv := startNATS(t)
	list, _ := sites(t, 2, 5, time.Millisecond)
	base := []string{"-nats", srv.URL, "-job", "m"}
	ctx := context.Background()
	if r := cli(t, ctx, "", append([]string{"enqueue", "-i", list}, base...)...); r.code != exitOK {
		t.Fatalf("enqueue: %d %q", r.code, r.stderr)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan result, 1)
	go func() {
		// As main runs it, under async.Run, so that the task tree is there.
		var out, errb bytes.Buffer
		code := runMain(wctx, append([]string{"worker", "-id", "mw", "-debug-addr", addr}, base...), strings.NewReader(""), &out, &errb, async.WithSignals(nil))
		done <- result{code, out.String(), errb.String()}
	}()
	if r := cli(t, ctx, "", append([]string{"collect", "-q", "-o", filepath.Join(t.TempDir(), "out.jsonl")}, base...)...); r.code != exitOK {
		t.Fatalf("collect: %d %q", r.code, r.stderr)
	}
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(body, `fetchall_worker_stored_total{job="m",worker="mw"} 10`) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
		}
	}
	for _, want := range []string{
		`# TYPE fetchall_worker_stored_total counter`,
		`fetchall_worker_stored_total{job="m",worker="mw"} 10`,
		`fetchall_worker_fetched_total{job="m",worker="mw"} 10`,
		`fetchall_worker_failed_total{job="m",worker="mw"} 0`,
		`fetchall_worker_in_flight{job="m",worker="mw"} 0`,
		`fetchall_worker_leases{job="m",worker="mw"} 16`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics have no %q:\n%s", want, body)
		}
	}
	// The worker's loops and pulls are named tasks of its group.
	resp, err := http.Get("http://" + addr + "/debug/tasks")
	if err != nil {
		t.Fatalf("/debug/tasks: %v", err)
	}
	tree, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"worker mw", "leases", "acknowledge stored records", "extend ack waits", "engine", "pull partition 0"} {
		if !strings.Contains(string(tree), want) {
			t.Errorf("/debug/tasks has no %q:\n%s", want, tree)
		}
	}
	stop()
	if r := <-done; !strings.Contains(r.stderr, "metrics at http://"+addr+"/metrics") {
		t.Errorf("worker: %q; want the metrics' URL", r.stderr)
	}
}

// Job flags that cannot make a job are a usage error.
func TestEnqueueBadJobFlags(t *testing.T) {
	r := cli(t, context.Background(), "http://a.example/\n", "enqueue", "-i", "-", "-nats", "nats://127.0.0.1:1", "-partitions", "5000")
	if r.code != exitUsage || !strings.Contains(r.stderr, "partitions must be 1 to 1024") {
		t.Errorf("enqueue -partitions 5000: %d %q; want a usage error", r.code, r.stderr)
	}
}
