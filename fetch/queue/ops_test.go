package queue

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/queue/embedded"
)

// A job opened for work that does not exist is an error naming the jobs
// there are, and nothing is created on the server.
func TestOpenExistingNamesTheJobs(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	js := connect(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := OpenExisting(ctx, js, "typo")
	if !errors.Is(err, ErrNoJob) || !strings.Contains(err.Error(), "the server has no job") {
		t.Errorf("OpenExisting on an empty server: %v; want ErrNoJob saying there is no job", err)
	}
	for _, name := range []string{"beta", "alpha"} {
		if _, err := Open(ctx, js, name, testOptions); err != nil {
			t.Fatal(err)
		}
	}
	streams := func() (n int) {
		for range js.StreamNames(ctx).Name() {
			n++
		}
		return n
	}
	before := streams()
	_, err = OpenExisting(ctx, js, "typo")
	if !errors.Is(err, ErrNoJob) || !strings.Contains(err.Error(), `"typo"; the jobs there are: alpha, beta`) {
		t.Errorf("OpenExisting(typo): %v; want ErrNoJob naming alpha, beta", err)
	}
	if after := streams(); after != before {
		t.Errorf("%d streams after OpenExisting(typo), %d before; want nothing created", after, before)
	}
	job, err := OpenExisting(ctx, js, "alpha")
	if err != nil || job.Partitions != testOptions.Partitions {
		t.Errorf("OpenExisting(alpha): %v, %+v; want the job as it was created", err, job)
	}
	if jobs, err := Jobs(ctx, js); err != nil || strings.Join(jobs, " ") != "alpha beta" {
		t.Errorf("Jobs: %v, %v; want alpha beta", jobs, err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                           "nats://127.0.0.1:4222",
		"nats://alice:s3cret@127.0.0.1:4222":              "nats://alice:xxxxx@127.0.0.1:4222",
		"nats://s3cret@h:4222":                            "nats://xxxxx@h:4222",
		"nats://a:s3cret@h1:4222, tls://b:s3cret@h2:4223": "nats://a:xxxxx@h1:4222,tls://b:xxxxx@h2:4223",
		"a:s3cret@h1:4222":                                "xxxxx@h1:4222",
		"nats://a:s3%cret@h:1":                            "xxxxx@h:1",
	} {
		if got := RedactURL(in); got != want || strings.Contains(got, "s3") {
			t.Errorf("RedactURL(%q) = %q; want %q", in, got, want)
		}
	}
}

// syncBuffer is a log destination safe for concurrent writers.
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

// At the info level a worker logs the leases it takes, hands over, loses
// and frees.
func TestWorkerLogsLeases(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	job := openJob(t, connect(t, srv.URL), testOptions)
	s := newSite(t, 20*time.Millisecond)
	ids := []string{"first", "late"}
	hosts := append(hostsOwnedBy("first", ids, job.Partitions, 2), hostsOwnedBy("late", ids, job.Partitions, 2)...)
	urls := s.list(40, hosts...)
	enqueue(t, job, urls)

	var log syncBuffer
	nc, js, err := Connect(srv.URL, "first")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	w := &Worker{Job: openJob(t, js, testOptions), Config: s.config(2), ID: "first", DrainTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	ws := newWorkers(t, srv.URL, s.config(2))
	lost := false
	collect(t, job, 40*time.Second, CollectOptions{Progress: func(n, _ int64) {
		switch {
		case n == 10:
			ws.start("late")
		case n >= 50 && !lost && strings.Contains(log.String(), "freed the lease"):
			// Someone else's hand: the lease of a partition the worker
			// holds disappears under it.
			lost = true
			for p := range job.Partitions {
				if e, err := job.leases.Get(context.Background(), leaseKey(p)); err == nil && string(e.Value()) == "first" {
					job.leases.Delete(context.Background(), leaseKey(p))
					break
				}
			}
		}
	}})
	cancel()
	<-done
	out := log.String()
	for _, want := range []string{
		"took the lease on a partition",
		"handing a partition over to its new owner",
		"to=late",
		"freed the lease on a partition",
		"lost the lease on a partition",
		"handing a partition over: the worker is stopping",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the worker's log has no %q:\n%s", want, out)
		}
	}
}
