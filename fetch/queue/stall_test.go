package queue

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/queue/embedded"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// stallingJS is a JetStream context whose asynchronous publishes fail now
// and then with ErrTooManyStalledMsgs, as the real one does when the server
// leaves more publishes unacknowledged than its bound for longer than the
// stall wait: a busy disk, a leader election.
type stallingJS struct {
	jetstream.JetStream
	calls, stalls atomic.Int64
}

func (s *stallingJS) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	if s.calls.Add(1)%7 == 0 {
		s.stalls.Add(1)
		return nil, jetstream.ErrTooManyStalledMsgs
	}
	return s.JetStream.PublishMsgAsync(m, opts...)
}

// A server slow to acknowledge slows enqueue down; it does not make it
// fail half-way through the list.
func TestEnqueueWaitsOutAStalledServer(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	job := openJob(t, connect(t, srv.URL), testOptions)
	stalling := &stallingJS{JetStream: job.js}
	job.js = stalling
	urls := newSite(t, 0).list(100, "a.test", "b.test")
	res := enqueue(t, job, urls)
	if res.New != 200 || res.Duplicates != 0 || res.Lines != 200 {
		t.Fatalf("enqueue: %+v; want 200 new", res)
	}
	if stalling.stalls.Load() == 0 {
		t.Fatal("no publish stalled: the test tests nothing")
	}
	if in, ok, err := job.Info(context.Background()); err != nil || !ok || in.Total != 200 {
		t.Fatalf("job info %+v, %v, %v; want a total of 200", in, ok, err)
	}
}

// A worker whose record publish stalls waits for the server: it neither
// loses the record nor gives the URL back to be fetched a second time.
func TestWorkerWaitsOutAStalledServer(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	job := openJob(t, connect(t, srv.URL), testOptions)
	s := newSite(t, time.Millisecond)
	urls := s.list(60, "a.test", "b.test")
	enqueue(t, job, urls)

	nc, js, err := Connect(srv.URL, "stalling worker")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	wjob := openJob(t, js, testOptions)
	stalling := &stallingJS{JetStream: wjob.js}
	wjob.js = stalling
	w := &Worker{Job: wjob, Config: s.config(8), ID: "w1", DrainTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := w.Run(ctx)
		done <- err
	}()
	_, recs := collect(t, job, 30*time.Second, CollectOptions{})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("worker: %v", err)
	}
	checkExactlyOnce(t, urls, recs)
	if stalling.stalls.Load() == 0 {
		t.Fatal("no publish stalled: the test tests nothing")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range urls {
		if n := s.hits[u[len("http://"):]]; n != 1 {
			t.Errorf("%s fetched %d times; want once", u, n)
		}
	}
}
