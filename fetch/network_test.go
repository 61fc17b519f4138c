package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/demoserver"
)

// These tests use real sockets on 127.0.0.1, so they run outside synctest
// bubbles; each is bounded by short timeouts and asserts no wall-clock time.

func startDemo(t *testing.T) *demoserver.Server {
	t.Helper()
	s, err := demoserver.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fetchOne(t *testing.T, cfg Config, u string) Record {
	t.Helper()
	f := mustNew(t, cfg)
	defer f.Close()
	c, _ := runAll(t, f, []string{u})
	if len(c.recs) != 1 {
		t.Fatalf("%d records for one URL", len(c.recs))
	}
	return c.recs[0]
}

func TestRealFaults(t *testing.T) {
	s := startDemo(t)
	fast := Config{Timeout: 300 * time.Millisecond, RetryBase: time.Millisecond, RetryMax: time.Millisecond, Retries: 1}
	cases := []struct {
		path     string
		cfg      func(*Config)
		outcome  Outcome
		kind     string
		attempts int
		check    func(t *testing.T, r Record)
	}{
		{path: "/item?size=1234", outcome: OK, attempts: 1, check: func(t *testing.T, r Record) {
			if r.Bytes != 1234 || r.Status != 200 || r.Connect <= 0 || r.TTFB <= 0 || r.TTFB > r.Duration {
				t.Errorf("timings or size: %+v", r)
			}
		}},
		{path: "/reset", outcome: Failed, kind: KindReset, attempts: 2},
		{path: "/truncated?size=1000", outcome: Failed, kind: KindReset, attempts: 2},
		{path: "/hang", outcome: Failed, kind: KindTimeout, attempts: 2, check: func(t *testing.T, r Record) {
			if !strings.Contains(r.Error, "no response") {
				t.Errorf("error %q does not say no response came", r.Error)
			}
		}},
		{path: "/slow?size=8192&every=100ms", outcome: Failed, kind: KindTimeout, attempts: 2, check: func(t *testing.T, r Record) {
			if r.Status != 200 || r.Bytes == 0 || r.Bytes >= 8192 || !strings.Contains(r.Error, "reading body") {
				t.Errorf("slow body cut: %+v", r)
			}
		}},
		{path: "/slow?size=3072&every=10ms", cfg: func(c *Config) { c.Timeout = 5 * time.Second }, outcome: OK, attempts: 1, check: func(t *testing.T, r Record) {
			if r.Bytes != 3072 {
				t.Errorf("slow body read %d bytes, want 3072", r.Bytes)
			}
		}},
		{path: "/flaky?id=a&code=503&after=0", outcome: OK, attempts: 2},
		{path: "/flaky?id=b&code=429&after=0&fails=5", outcome: HTTPError, kind: KindHTTP, attempts: 2, check: func(t *testing.T, r Record) {
			if r.Status != 429 {
				t.Errorf("status %d", r.Status)
			}
		}},
		{path: "/status?code=404", outcome: HTTPError, kind: KindHTTP, attempts: 1},
		{path: "/loop", outcome: Failed, kind: KindRedirects, attempts: 1},
		{path: "/redirect?n=3", outcome: OK, attempts: 1, check: func(t *testing.T, r Record) {
			if r.FinalURL != s.URL+"/item?size=256" || r.Bytes != 256 {
				t.Errorf("final URL %q, %d bytes", r.FinalURL, r.Bytes)
			}
		}},
		{path: "/redirect?n=3", cfg: func(c *Config) { c.MaxRedirects = 2 }, outcome: Failed, kind: KindRedirects, attempts: 1},
		{path: "/redirect?n=3", cfg: func(c *Config) { c.MaxRedirects = -1 }, outcome: OK, attempts: 1, check: func(t *testing.T, r Record) {
			if r.Status != 302 || r.FinalURL != s.URL+"/redirect?n=3" {
				t.Errorf("not following: status %d final %q", r.Status, r.FinalURL)
			}
		}},
		{path: "/huge", cfg: func(c *Config) { c.MaxBody = 1 << 20; c.Timeout = 10 * time.Second }, outcome: OK, attempts: 1, check: func(t *testing.T, r Record) {
			if !r.Truncated || r.Bytes != 1<<20 {
				t.Errorf("endless body with a 1 MiB cap: truncated %v, %d bytes", r.Truncated, r.Bytes)
			}
		}},
		{path: "/huge?size=1048576", cfg: func(c *Config) { c.MaxBody = 1 << 20; c.Timeout = 10 * time.Second }, outcome: OK, attempts: 1, check: func(t *testing.T, r Record) {
			if r.Truncated || r.Bytes != 1<<20 {
				t.Errorf("body exactly at the cap: truncated %v, %d bytes", r.Truncated, r.Bytes)
			}
		}},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			cfg := fast
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			r := fetchOne(t, cfg, s.URL+c.path)
			if r.Outcome != c.outcome || r.ErrorKind != c.kind || r.Attempts != c.attempts {
				t.Errorf("outcome %s kind %q attempts %d; want %s %q %d (error %q)", r.Outcome, r.ErrorKind, r.Attempts, c.outcome, c.kind, c.attempts, r.Error)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

func TestRealConnectionRefusedAndTLS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := fetchOne(t, Config{Retries: -1}, "http://"+addr+"/")
	if r.Outcome != Failed || r.ErrorKind != KindRefused {
		t.Errorf("closed port: %+v", r)
	}

	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshake is expected
	ts.StartTLS()
	defer ts.Close()
	r = fetchOne(t, Config{Retries: 3}, ts.URL)
	if r.Outcome != Failed || r.ErrorKind != KindTLS || r.Attempts != 1 {
		t.Errorf("untrusted certificate: %+v", r)
	}
	// With the test server's own client transport the certificate is trusted,
	// and the trace sees the handshake.
	r = fetchOne(t, Config{Transport: ts.Client().Transport}, ts.URL)
	if r.Outcome != OK || r.TLS <= 0 {
		t.Errorf("trusted TLS: %+v", r)
	}
}

func TestRealRedirectToAnotherSchemeIsFinal(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://files.example/x", http.StatusFound)
	}))
	defer ts.Close()
	r := fetchOne(t, Config{Retries: 3}, ts.URL)
	if r.Outcome != Failed || r.ErrorKind != KindBadRedirect || r.Attempts != 1 || !strings.Contains(r.Error, "ftp://files.example/x") {
		t.Errorf("record %+v", r)
	}
}

func TestRealMethodHeadersAndBodyOnEveryAttempt(t *testing.T) {
	var calls atomic.Int32
	var bad atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || string(body) != `{"a":1}` || r.Header.Values("X-Tag")[1] != "two" ||
			r.Header.Get("Authorization") != "Bearer t" || !strings.HasPrefix(r.UserAgent(), "Go-http-client/") {
			bad.Store(fmt.Sprintf("%s %q %v", r.Method, body, r.Header))
		}
		if calls.Add(1) == 1 {
			w.WriteHeader(502)
			return
		}
		io.WriteString(w, "done")
	}))
	defer ts.Close()
	h := http.Header{}
	h.Add("X-Tag", "one")
	h.Add("X-Tag", "two")
	h.Set("Authorization", "Bearer t")
	r := fetchOne(t, Config{Method: "POST", Header: h, Body: []byte(`{"a":1}`), RetryBase: time.Millisecond, RetryAllMethods: true}, ts.URL)
	if r.Outcome != OK || r.Attempts != 2 || calls.Load() != 2 {
		t.Errorf("record %+v after %d calls", r, calls.Load())
	}
	if v := bad.Load(); v != nil {
		t.Errorf("server saw %v", v)
	}
}

func TestRealSaveAndSHA256(t *testing.T) {
	s := startDemo(t)
	dir := t.TempDir()
	f := mustNew(t, Config{SaveDir: dir, SHA256: true, MaxBody: 100})
	defer f.Close()
	list := []string{s.URL + "/item?size=50", s.URL + "/item?size=500", s.URL + "/status?code=404"}
	c, _ := runAll(t, f, list)
	for _, r := range c.recs {
		data, err := os.ReadFile(r.SavedAs)
		if err != nil || filepath.Dir(r.SavedAs) != dir || filepath.Base(r.SavedAs) != SafeName(r.Line, r.URL) {
			t.Fatalf("%s: saved as %q: %v", r.URL, r.SavedAs, err)
		}
		sum := sha256.Sum256(data)
		if int64(len(data)) != r.Bytes || r.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: file has %d bytes, record %d; sha %s vs %x", r.URL, len(data), r.Bytes, r.SHA256, sum)
		}
	}
	if r := c.byURL()[s.URL+"/item?size=500"]; !r.Truncated || r.Bytes != 100 {
		t.Errorf("capped body: %+v", r)
	}
	if _, err := New(Config{}); err != nil {
		t.Fatal(err)
	}
	// A save directory that cannot be written fails the URL without retries.
	r := fetchOne(t, Config{SaveDir: filepath.Join(dir, "missing")}, s.URL+"/item")
	if r.Outcome != Failed || r.ErrorKind != KindSave || r.Attempts != 1 {
		t.Errorf("unwritable save dir: %+v", r)
	}
}

func TestRealConnectionsAreReused(t *testing.T) {
	s := startDemo(t)
	f := mustNew(t, Config{Concurrency: 4})
	defer f.Close()
	c, _ := runAll(t, f, urls(200, s.URL+"/item?size=10&n=%d"))
	reused := 0
	for _, r := range c.recs {
		if r.Reused {
			reused++
		}
	}
	// At most one new connection per slot; every other request reuses one.
	if reused < 200-4 {
		t.Errorf("%d of 200 requests reused a connection; want at least 196", reused)
	}
}

func TestDemoListEndToEnd(t *testing.T) {
	s := startDemo(t)
	list := s.List(100)
	f := mustNew(t, Config{Concurrency: 16, Timeout: 300 * time.Millisecond, Retries: 1, KeepRecords: true})
	defer f.Close()
	c, sum := runAll(t, f, list)
	if len(c.recs) != 100 || sum.Inputs != 100 {
		t.Fatalf("%d records for 100 URLs", len(c.recs))
	}
	for _, o := range []Outcome{OK, HTTPError, Failed} {
		if sum.Outcomes[o] == 0 {
			t.Errorf("no %s record in the demo list: %v", o, sum.Outcomes)
		}
	}
	kinds := map[string]bool{}
	for _, r := range c.recs {
		kinds[r.ErrorKind] = true
	}
	for _, k := range []string{KindTimeout, KindReset, KindHTTP} {
		if !kinds[k] {
			t.Errorf("no %s error in the demo list", k)
		}
	}
	recs := sum.Records()
	for i := 1; i < len(recs); i++ {
		if recs[i].Duration < recs[i-1].Duration {
			t.Fatalf("Records not sorted at %d", i)
		}
	}
	firstOK := slices.IndexFunc(recs, func(r Record) bool { return r.Outcome == OK })
	if recs[firstOK] != *sum.Fastest || recs[len(recs)-1] != *sum.Slowest {
		t.Errorf("fastest/slowest disagree with the sorted list")
	}
}

func TestRealCancellationUnderLoad(t *testing.T) {
	s := startDemo(t)
	f := mustNew(t, Config{Concurrency: 16, Timeout: time.Minute})
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var read atomic.Int64
	src := func(yield func(Input, error) bool) {
		for i := 1; ; i++ {
			read.Add(1)
			u := fmt.Sprintf("%s/item?delay=%dms&i=%d", s.URL, i%50, i)
			if i%37 == 0 {
				u = s.URL + "/hang"
			}
			if !yield(Input{Line: i, URL: u}, nil) {
				return
			}
		}
	}
	lines := map[int]int{}
	sink := SinkFunc(func(r *Record) error {
		lines[r.Line]++
		if len(lines) == 100 {
			cancel()
		}
		return nil
	})
	sum, err := f.Run(ctx, src, sink)
	if err == nil || !sum.Interrupted {
		t.Fatalf("Run after cancel: %v", err)
	}
	if int64(len(lines)) != read.Load() || sum.Inputs != read.Load() {
		t.Fatalf("%d URLs read, %d records, %d in summary", read.Load(), len(lines), sum.Inputs)
	}
	for line, n := range lines {
		if n != 1 {
			t.Fatalf("line %d has %d records", line, n)
		}
	}
	if sum.Outcomes[Cancelled] == 0 {
		t.Error("no cancelled records although /hang requests were in flight")
	}
}

// TestRealTracesOfDialsAreNotReused: net/http calls a request's dial hooks
// from the dial it started even after the request got another connection
// and finished, and a run reuses the traces of attempts: a trace whose
// request started a dial must never serve a later request, or that dial's
// late report would land in another record. The transport notes, in
// order, each request's trace and each dial's (the dial's context keeps
// the request's values). Dials are slow, so requests often get a
// connection another request freed while their own dial goes on, and the
// server closes every fifth connection, so that dials go on all through
// the run.
func TestRealTracesOfDialsAreNotReused(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%5 == 0 {
			w.Header().Set("Connection", "close")
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	var (
		mu     sync.Mutex
		dialed = map[*httptrace.ClientTrace]bool{}
		uses   = map[*httptrace.ClientTrace]int{}
		late   []string
	)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 8
	dialer := &net.Dialer{}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed[httptrace.ContextClientTrace(ctx)] = true
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		return dialer.DialContext(ctx, network, addr)
	}
	defer tr.CloseIdleConnections()
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		ct := httptrace.ContextClientTrace(req.Context())
		mu.Lock()
		if dialed[ct] {
			late = append(late, req.URL.String())
		}
		uses[ct]++
		mu.Unlock()
		return tr.RoundTrip(req)
	})
	f := mustNew(t, Config{Concurrency: 8, Transport: rt})
	defer f.Close()
	c, _ := runAll(t, f, urls(400, srv.URL+"/?n=%d"))
	for _, r := range c.recs {
		if r.Outcome != OK {
			t.Fatalf("%s: %s %s", r.URL, r.Outcome, r.Error)
		}
	}
	// A dial a request started may still be going on: the maps are read
	// under the lock.
	mu.Lock()
	defer mu.Unlock()
	if len(late) > 0 {
		t.Errorf("%d requests got the trace of an earlier request that had started a dial, the first %s", len(late), late[0])
	}
	if len(dialed) < 10 || len(uses) > 300 {
		t.Errorf("%d dials and %d traces for 400 requests: the test wants many dials and traces reused", len(dialed), len(uses))
	}
}

// roundTripFunc adapts a function to an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// TestRealDeadlineOfOneAttemptReachesNoOther: a run on the engine's own
// transport keeps each attempt's deadline with the attempt's trace and
// reuses both; an attempt that times out must not end any other, and a
// deadline set for an attempt that succeeded must not fire on a later
// one. Hanging URLs are spread among fast ones, with few slots, so that
// traces go from one to the next.
func TestRealDeadlineOfOneAttemptReachesNoOther(t *testing.T) {
	s := startDemo(t)
	var list []string
	for i := range 300 {
		if i%30 == 7 {
			list = append(list, fmt.Sprintf("%s/hang?n=%d", s.URL, i))
		} else {
			list = append(list, fmt.Sprintf("%s/item?size=10&n=%d", s.URL, i))
		}
	}
	f := mustNew(t, Config{Concurrency: 3, Timeout: 150 * time.Millisecond, Retries: 0})
	defer f.Close()
	c, _ := runAll(t, f, list)
	if len(c.recs) != len(list) {
		t.Fatalf("%d records for %d URLs", len(c.recs), len(list))
	}
	for _, r := range c.recs {
		hang := strings.Contains(r.URL, "/hang")
		switch {
		case hang && (r.Outcome != Failed || r.ErrorKind != KindTimeout || !strings.Contains(r.Error, "no response")):
			t.Errorf("%s: %s %s %q, want a timeout with no response", r.URL, r.Outcome, r.ErrorKind, r.Error)
		case !hang && r.Outcome != OK:
			t.Errorf("%s: %s %s %q", r.URL, r.Outcome, r.ErrorKind, r.Error)
		}
	}
}
