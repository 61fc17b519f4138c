package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/queue"
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
