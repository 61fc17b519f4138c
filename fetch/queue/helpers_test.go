package queue

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/queue/embedded"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// testOptions make a job react in test time: a killed worker's URLs come
// back after 2s, its partitions after 1s.
var testOptions = Options{Partitions: 8, AckWait: 2 * time.Second, LeaseTTL: time.Second}

func startNATS(t *testing.T, opts embedded.Options) *embedded.Server {
	t.Helper()
	s, err := embedded.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, js, err := Connect(url, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return js
}

func openJob(t *testing.T, js jetstream.JetStream, opts Options) *Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	job, err := Open(ctx, js, "test", opts)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// site is a test web server standing for many hosts: a URL's host name
// is only a name, the transport of siteConfig dials the site whatever it
// is. /p/N answers after delay; /busy answers 503 with Retry-After: 1 the
// first time. It counts the requests per URL and, per host, the most in
// flight at once and when each request came.
type site struct {
	*httptest.Server
	delay  time.Duration
	mu     sync.Mutex
	hits   map[string]int      // by host and path
	by     map[string][]string // user agents, by host and path
	in     map[string]int      // in flight, by host
	maxIn  map[string]int
	starts map[string][]time.Time
	busy   bool
	busyAt time.Time // when the 503 was sent
}

func newSite(t *testing.T, delay time.Duration) *site {
	s := &site{delay: delay, hits: map[string]int{}, by: map[string][]string{}, in: map[string]int{}, maxIn: map[string]int{}, starts: map[string][]time.Time{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.Host+r.URL.Path]++
		s.by[r.Host+r.URL.Path] = append(s.by[r.Host+r.URL.Path], r.UserAgent())
		s.in[r.Host]++
		s.maxIn[r.Host] = max(s.maxIn[r.Host], s.in[r.Host])
		s.starts[r.Host] = append(s.starts[r.Host], time.Now())
		busy := r.URL.Path == "/busy" && !s.busy
		s.busy = s.busy || busy
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.in[r.Host]--
			s.mu.Unlock()
		}()
		if busy {
			s.mu.Lock()
			s.busyAt = time.Now()
			s.mu.Unlock()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
		}
		fmt.Fprintf(w, "page %s", r.URL.Path)
	}))
	t.Cleanup(s.Close)
	return s
}

// config returns an engine configuration whose requests all go to the site.
func (s *site) config(concurrency int) fetch.Config {
	addr := s.Listener.Addr().String()
	d := &net.Dialer{}
	return fetch.Config{Concurrency: concurrency, Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		},
		MaxIdleConnsPerHost: concurrency,
	}}
}

// list returns n URLs on each of the hosts.
func (s *site) list(n int, hosts ...string) []string {
	var urls []string
	for i := range n {
		for _, h := range hosts {
			urls = append(urls, fmt.Sprintf("http://%s/p/%d", h, i+1))
		}
	}
	return urls
}

// hostsOwnedBy returns n host names whose partition the rendezvous hash
// gives to worker id among workers.
func hostsOwnedBy(id string, workers []string, partitions, n int) []string {
	owners := assign(partitions, workers)
	var hosts []string
	for i := 0; len(hosts) < n; i++ {
		h := fmt.Sprintf("h%d.test", i)
		if owners[partitionOf("http://"+h+"/", partitions)] == id {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

func enqueue(t *testing.T, job *Job, urls []string) EnqueueResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Enqueue(ctx, job, fetch.Slice(urls))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// workerSet runs in-process workers, each on its own connection.
type workerSet struct {
	t     *testing.T
	url   string
	cfg   fetch.Config
	drain time.Duration // the workers' DrainTimeout (default 5s)
	wg    sync.WaitGroup
	mu    sync.Mutex
	all   []*testWorker
}

type testWorker struct {
	id     string
	w      *Worker
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan struct{}
	killed atomic.Bool
}

// kill ends the worker as a crash would: its connection closes with every
// URL it holds unacknowledged, and its leases are left to expire.
func (w *testWorker) kill() {
	w.killed.Store(true)
	w.nc.Close()
	w.cancel()
}

func newWorkers(t *testing.T, url string, cfg fetch.Config) *workerSet {
	ws := &workerSet{t: t, url: url, cfg: cfg}
	t.Cleanup(ws.stopAll)
	return ws
}

func (ws *workerSet) start(id string) *testWorker {
	t := ws.t
	t.Helper()
	nc, js, err := Connect(ws.url, id)
	if err != nil {
		t.Fatal(err)
	}
	job := openJob(t, js, testOptions)
	ctx, cancel := context.WithCancel(context.Background())
	tw := &testWorker{id: id, nc: nc, cancel: cancel, done: make(chan struct{})}
	cfg := ws.cfg
	cfg.UserAgent = id
	drain := ws.drain
	if drain == 0 {
		drain = 5 * time.Second
	}
	w := &Worker{Job: job, Config: cfg, ID: id, DrainTimeout: drain,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	tw.w = w
	ws.wg.Add(1)
	go func() {
		defer ws.wg.Done()
		defer close(tw.done)
		defer nc.Close()
		if _, err := w.Run(ctx); err != nil && !tw.killed.Load() {
			t.Errorf("worker %s: %v", id, err)
		}
	}()
	ws.mu.Lock()
	ws.all = append(ws.all, tw)
	ws.mu.Unlock()
	return tw
}

func (ws *workerSet) stopAll() {
	ws.mu.Lock()
	for _, w := range ws.all {
		w.cancel()
	}
	ws.mu.Unlock()
	ws.wg.Wait()
}

// collected is a sink that keeps every record it is given.
type collected struct {
	mu   sync.Mutex
	recs []fetch.Record
}

func (c *collected) Write(rec *fetch.Record) error {
	c.mu.Lock()
	c.recs = append(c.recs, *rec)
	c.mu.Unlock()
	return nil
}

func collect(t *testing.T, job *Job, timeout time.Duration, opts CollectOptions) (*Collected, []fetch.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var sink collected
	c, err := Collect(ctx, job, &sink, opts)
	if err != nil {
		t.Fatalf("collect: %v (done %d of %d)", err, c.Done, c.Total)
	}
	return c, sink.recs
}

// checkExactlyOnce fails unless recs has one record per URL of urls, each
// under its line number, with the outcome ok.
func checkExactlyOnce(t *testing.T, urls []string, recs []fetch.Record) {
	t.Helper()
	if len(recs) != len(urls) {
		t.Errorf("%d records for %d URLs", len(recs), len(urls))
	}
	byLine := map[int]int{}
	for _, r := range recs {
		byLine[r.Line]++
		if r.Line < 1 || r.Line > len(urls) || r.URL != urls[r.Line-1] {
			t.Errorf("record for line %d has URL %q", r.Line, r.URL)
		} else if r.Outcome != fetch.OK {
			t.Errorf("line %d: %s %s", r.Line, r.Outcome, r.Error)
		}
	}
	var dups []int
	for line, n := range byLine {
		if n > 1 {
			dups = append(dups, line)
		}
	}
	slices.Sort(dups)
	if len(dups) > 0 {
		t.Errorf("lines with more than one record: %v", dups)
	}
}

func workerIDs(c *Collected) string {
	var ids []string
	for id, n := range c.Workers {
		ids = append(ids, fmt.Sprintf("%s=%d", id, n))
	}
	slices.Sort(ids)
	return strings.Join(ids, " ")
}

// after returns CollectOptions whose Progress calls fn once, when n lines
// are done.
func after(n int64, fn func()) CollectOptions {
	var once sync.Once
	return CollectOptions{Progress: func(done, _ int64) {
		if done >= n {
			once.Do(fn)
		}
	}}
}
