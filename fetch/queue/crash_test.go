package queue

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/queue/embedded"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// crashAfterStore is a JetStream context that crashes its worker (closes
// its connection) right after the server has stored the worker's n-th
// record, before the worker can acknowledge the URL: the one window in
// which a crash makes a URL fetched twice.
type crashAfterStore struct {
	jetstream.JetStream
	n     int64
	calls atomic.Int64
	crash func(line int)
}

func (c *crashAfterStore) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	f, err := c.JetStream.PublishMsgAsync(m, opts...)
	if err != nil || c.calls.Add(1) != c.n {
		return f, err
	}
	select {
	case ack := <-f.Ok():
		line, _ := strconv.Atoi(m.Header.Get(hdrLine))
		c.crash(line)
		ok := make(chan *jetstream.PubAck, 1)
		ok <- ack
		return storedFuture{f, ok}, nil
	case err := <-f.Err():
		return nil, err
	}
}

// storedFuture is a PubAckFuture whose acknowledgement was read already.
type storedFuture struct {
	jetstream.PubAckFuture
	ok chan *jetstream.PubAck
}

func (s storedFuture) Ok() <-chan *jetstream.PubAck { return s.ok }

// A worker that dies after its record is stored but before it acknowledges
// the URL makes the URL fetched twice, by the next worker, and no more: the
// second record has the same id and JetStream drops it, so the output has
// exactly one record per line.
func TestWorkerCrashedBetweenStoreAndAck(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	job := openJob(t, connect(t, srv.URL), testOptions)
	s := newSite(t, 5*time.Millisecond)
	urls := s.list(30, "a.test", "b.test")
	enqueue(t, job, urls)

	nc, js, err := Connect(srv.URL, "victim")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	vjob := openJob(t, js, testOptions)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	crashed := make(chan int, 1)
	vjob.js = &crashAfterStore{JetStream: vjob.js, n: 10, crash: func(line int) {
		nc.Close()
		cancel()
		crashed <- line
	}}
	victim := &Worker{Job: vjob, Config: s.config(4), ID: "victim", DrainTimeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))}
	done := make(chan struct{})
	go func() {
		defer close(done)
		victim.Run(ctx) // fails: its connection is gone
	}()
	var line int
	select {
	case line = <-crashed:
	case <-time.After(20 * time.Second):
		t.Fatal("the victim never published its 10th record")
	}
	<-done
	ws := newWorkers(t, srv.URL, s.config(4))
	survivor := ws.start("survivor")
	c, recs := collect(t, job, 30*time.Second, CollectOptions{})
	ws.stopAll()
	// The survivor's duplicates: line's record, and any other the victim's
	// server stored as it crashed.
	if st := survivor.w.Stats(); st.Duplicates < 1 || st.Stored != c.Workers["survivor"] {
		t.Errorf("the survivor's stats: %+v; want %d stored (its records in the output) and at least 1 duplicate (line %d, stored by the victim)", st, c.Workers["survivor"], line)
	}
	checkExactlyOnce(t, urls, recs)
	u := urls[line-1]
	s.mu.Lock()
	hits := s.hits[strings.TrimPrefix(u, "http://")]
	s.mu.Unlock()
	if hits != 2 {
		t.Errorf("%s (line %d, stored then not acknowledged) fetched %d times; want twice", u, line, hits)
	}
	if c.Duplicates != 0 {
		t.Errorf("%d duplicate records reached collect; want the second record of line %d dropped by JetStream as a duplicate id", c.Duplicates, line)
	}
	kept := 0
	for _, r := range recs {
		if r.Line == line {
			kept++
		}
	}
	t.Logf("line %d stored, then its worker crashed before acknowledging it: fetched %d times, %d record in the output; per worker: %s",
		line, hits, kept, workerIDs(c))
}

// failingStores is a JetStream context whose first n asynchronous
// publishes fail to be stored, as during the election of the results
// stream's new leader.
type failingStores struct {
	jetstream.JetStream
	n     int64
	calls atomic.Int64
}

func (f *failingStores) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	if f.calls.Add(1) > f.n {
		return f.JetStream.PublishMsgAsync(m, opts...)
	}
	errc := make(chan error, 1)
	errc <- jetstream.ErrNoStreamResponse
	return failedFuture{m, errc}, nil
}

type failedFuture struct {
	msg *nats.Msg
	err chan error
}

func (f failedFuture) Ok() <-chan *jetstream.PubAck { return nil }
func (f failedFuture) Err() <-chan error            { return f.err }
func (f failedFuture) Msg() *nats.Msg               { return f.msg }

// A record whose store fails is published again, with backoff, rather than
// its URL given back to be fetched again.
func TestFailedStoreIsRetried(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	job := openJob(t, connect(t, srv.URL), testOptions)
	s := newSite(t, time.Millisecond)
	urls := s.list(10, "a.test", "b.test")
	enqueue(t, job, urls)
	nc, js, err := Connect(srv.URL, "w1")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	wjob := openJob(t, js, testOptions)
	wjob.js = &failingStores{JetStream: wjob.js, n: 5}
	w := &Worker{Job: wjob, Config: s.config(4), ID: "w1", DrainTimeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	_, recs := collect(t, job, 30*time.Second, CollectOptions{})
	cancel()
	<-done
	checkExactlyOnce(t, urls, recs)
	s.mu.Lock()
	defer s.mu.Unlock()
	for u, n := range s.hits {
		if n != 1 {
			t.Errorf("%s fetched %d times; want once, its record stored on a retry", u, n)
		}
	}
	if st := w.Stats(); st.StoreRetries != 5 || st.Stored != int64(len(urls)) || st.Requeued != 0 {
		t.Errorf("stats %+v; want 5 store retries, %d stored, none requeued", st, len(urls))
	}
}
