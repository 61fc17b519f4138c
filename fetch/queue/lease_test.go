package queue

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/queue/embedded"
	"github.com/nats-io/nats.go/jetstream"
)

// slowKV is a lease bucket on a slow link: every write takes delay.
type slowKV struct {
	jetstream.KeyValue
	delay time.Duration
}

func (s *slowKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	time.Sleep(s.delay)
	return s.KeyValue.Create(ctx, key, value, opts...)
}

func (s *slowKV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	time.Sleep(s.delay)
	return s.KeyValue.Update(ctx, key, value, revision)
}

// lockedBuffer collects a worker's log.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A worker holding many partitions renews all their leases within the
// lease TTL even when each renewal takes a while: taken and renewed one
// after another, 64 leases at 50ms each outlast a 2s TTL, and the worker
// loses its partitions to itself over and over.
func TestWorkerKeepsManyLeases(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	// 64 renewals at 50ms each take 3.2s one after another, past the 2s
	// TTL; 32 at a time, 100ms. (A 1s TTL and 25ms left too little margin
	// on a loaded machine: renewals made concurrently were late as well.)
	opts := Options{Partitions: 64, AckWait: 4 * time.Second, LeaseTTL: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	job, err := Open(ctx, connect(t, srv.URL), "many", opts)
	if err != nil {
		t.Fatal(err)
	}
	s := newSite(t, time.Millisecond)
	var hosts []string
	for i := range 16 {
		hosts = append(hosts, "h"+string(rune('a'+i))+".test")
	}
	urls := s.list(5, hosts...)
	enqueue(t, job, urls)

	wjob, err := Open(ctx, connect(t, srv.URL), "many", opts)
	if err != nil {
		t.Fatal(err)
	}
	wjob.leases = &slowKV{KeyValue: wjob.leases, delay: 50 * time.Millisecond}
	var log lockedBuffer
	w := &Worker{Job: wjob, Config: s.config(8), ID: "w1", DrainTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	wctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := w.Run(wctx)
		done <- err
	}()
	_, recs := collect(t, job, 30*time.Second, CollectOptions{})
	// Hold on for a few more renewals, then stop.
	time.Sleep(2 * wjob.LeaseTTL)
	stop()
	if err := <-done; err != nil {
		t.Errorf("worker: %v", err)
	}
	checkExactlyOnce(t, urls, recs)
	if n := strings.Count(log.String(), "lost the lease"); n > 0 {
		t.Errorf("the worker lost %d leases:\n%s", n, shorten(log.String()))
	}
}
