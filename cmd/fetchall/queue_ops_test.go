package main

import (
	"context"
	"strings"
	"testing"
	"time"

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
