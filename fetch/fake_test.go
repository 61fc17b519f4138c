package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeWeb is an in-memory http.RoundTripper for tests in synctest bubbles,
// where real sockets cannot be used: handlers see the request and how many
// times its URL was asked for, and may sleep (virtual time) to model latency.
type fakeWeb struct {
	handle func(req *http.Request, n int) (*http.Response, error)

	mu          sync.Mutex
	calls       map[string]int
	times       map[string][]time.Time
	inflight    int
	maxInflight int
	perHost     map[string]int
	maxPerHost  int
}

func newFakeWeb(handle func(req *http.Request, n int) (*http.Response, error)) *fakeWeb {
	return &fakeWeb{handle: handle, calls: map[string]int{}, times: map[string][]time.Time{}, perHost: map[string]int{}}
}

func (f *fakeWeb) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.String()
	f.mu.Lock()
	f.calls[u]++
	n := f.calls[u]
	f.times[u] = append(f.times[u], time.Now())
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.perHost[req.URL.Host]++
	f.maxPerHost = max(f.maxPerHost, f.perHost[req.URL.Host])
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.perHost[req.URL.Host]--
		f.mu.Unlock()
	}()
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	resp, err := f.handle(req, n)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

func (f *fakeWeb) attempts(u string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.times[u]...)
}

// respond makes a response with a body and header pairs.
func respond(status int, body string, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Status: fmt.Sprint(status), Header: h,
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), ProtoMajor: 1, ProtoMinor: 1}
}

// wait sleeps d (virtual time in a bubble) unless the request is cancelled.
func wait(req *http.Request, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-req.Context().Done():
		return req.Context().Err()
	}
}

// collector is a sink that keeps records.
type collector struct {
	mu   sync.Mutex
	recs []Record
}

func (c *collector) Write(rec *Record) error {
	c.mu.Lock()
	c.recs = append(c.recs, *rec)
	c.mu.Unlock()
	return nil
}

func (c *collector) byURL() map[string]Record {
	m := map[string]Record{}
	for _, r := range c.recs {
		m[r.URL] = r
	}
	return m
}

func urls(n int, format string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

func mustNew(t *testing.T, cfg Config) *Fetcher {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func runAll(t *testing.T, f *Fetcher, list []string) (*collector, *Summary) {
	t.Helper()
	c := &collector{}
	sum, err := f.Run(context.Background(), Slice(list), c)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return c, sum
}
