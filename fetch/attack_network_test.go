package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// mixServer serves the mixed list of attack_records_test.go on 127.0.0.1
// over real connections, for the engine's own transport (its pooled traces
// and deadlines, kept-alive connections, real resets). Kinds as mixWeb,
// except that only the first 13 URLs of kind 4 send a Retry-After (one per
// host: a pause of 1s each), the others a 503 alone, and only one URL of
// kind 6 in six hangs (until its attempt times out), the others are fast.
// A connection reset may be retried by net/http itself on a kept-alive
// connection, so kind 8 takes one attempt or two.
func mixServer(t *testing.T) (port string) {
	var mu sync.Mutex
	calls := map[string]int{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		i := mixIndex(p)
		mu.Lock()
		calls[r.Host+p]++
		n := calls[r.Host+p]
		mu.Unlock()
		if strings.HasPrefix(p, "/final/") {
			fmt.Fprint(w, mixBody(i))
			return
		}
		switch realKind(i) {
		case 3:
			time.Sleep(time.Duration(1+i%20) * time.Millisecond)
		case 4:
			if n == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(503)
				return
			}
		case 5:
			if n == 1 {
				w.WriteHeader(500)
				return
			}
		case 6:
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		case 7:
			http.Redirect(w, r, "/final/"+strconv.Itoa(i), http.StatusFound)
			return
		case 8:
			if n == 1 {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.(*net.TCPConn).SetLinger(0)
					conn.Close()
				}
				return
			}
		case 9:
			w.WriteHeader(404)
			fmt.Fprint(w, "nope "+strconv.Itoa(i))
			return
		}
		fmt.Fprint(w, mixBody(i))
	}))
	t.Cleanup(ts.Close)
	u, _ := url.Parse(ts.URL)
	return u.Port()
}

// realKind is the kind of URL i on mixServer: 5 for a 503 without
// Retry-After (one failed attempt, as a 500), 0 for a fast one.
func realKind(i int) int {
	switch k := i % mixKinds; {
	case k == 4 && i >= 130:
		return 5
	case k == 6 && i%60 != 6:
		return 0
	default:
		return k
	}
}

// realURL is input i's URL on mixServer: host h(i%13).test on its port.
func realURL(i int, port string) string {
	return fmt.Sprintf("http://h%d.test:%s/k%d/%d", i%13, port, i%mixKinds, i)
}

// realCheck says what is wrong with rec, a record of mixServer's list, or "".
func realCheck(rec *Record, port string, cancelled bool) string {
	i := rec.Line - 1
	if i < 0 {
		return fmt.Sprintf("record of line %d", rec.Line)
	}
	u := realURL(i, port)
	if rec.URL != u {
		return fmt.Sprintf("line %d: URL %s, want %s", rec.Line, rec.URL, u)
	}
	if rec.Outcome == Cancelled {
		if !cancelled || rec.ErrorKind != KindCancelled {
			return fmt.Sprintf("line %d: %+v", rec.Line, *rec)
		}
		return ""
	}
	w := Record{Line: rec.Line, URL: u, FinalURL: u, Outcome: OK, Status: 200, Attempts: 1, HTTPVersion: "1.1"}
	body := mixBody(i)
	switch realKind(i) {
	case 4, 5:
		w.Attempts = 2
	case 6:
		w.Outcome, w.Status, w.Attempts, w.ErrorKind, w.FinalURL, w.HTTPVersion = Failed, 0, 2, KindTimeout, "", ""
	case 7:
		w.FinalURL = fmt.Sprintf("http://h%d.test:%s/final/%d", i%13, port, i)
		w.Redirects = 1
	case 8:
		w.Attempts = 2
		if rec.Attempts == 1 { // net/http tried again on a new connection
			w.Attempts = 1
		}
	case 9:
		w.Outcome, w.Status, w.ErrorKind = HTTPError, 404, KindHTTP
		body = "nope " + strconv.Itoa(i)
	}
	if w.Outcome != Failed {
		w.Bytes, w.SHA256 = int64(len(body)), hashOf(body)
	}
	got := Record{Line: rec.Line, URL: rec.URL, FinalURL: rec.FinalURL, Outcome: rec.Outcome, Status: rec.Status,
		Attempts: rec.Attempts, HTTPVersion: rec.HTTPVersion, Bytes: rec.Bytes, ErrorKind: rec.ErrorKind,
		Redirects: rec.Redirects, SHA256: rec.SHA256}
	if got != w {
		return fmt.Sprintf("line %d:\n got  %+v\n want %+v (error %q)", rec.Line, got, w, rec.Error)
	}
	return ""
}

// TestAttackRealConnectionsOneRecordEach runs the mixed list over real
// connections on 127.0.0.1, with few slots and a long line, and with many
// slots and PerHost caps, Ordered and not, and once cancelled midway:
// each input read has exactly one record, its own, as the sink and
// OnRecord are handed it.
func TestAttackRealConnectionsOneRecordEach(t *testing.T) {
	const n = 300
	for _, c := range []struct {
		name    string
		cfg     func(*Config)
		ordered bool
		cancel  bool
	}{
		{"c2 backlog 400", func(c *Config) { c.Concurrency, c.Backlog = 2, 400 }, false, false},
		{"c48 perhost 3 ordered", func(c *Config) { c.Concurrency, c.PerHost = 48, 3 }, true, false},
		{"c1 backlog 200 cancelled", func(c *Config) { c.Concurrency, c.Backlog = 1, 200 }, false, true},
		{"c32 perhost 2 ordered cancelled", func(c *Config) { c.Concurrency, c.PerHost = 32, 2 }, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			port := mixServer(t) // counting each URL's requests anew
			// The timeout only has to end kind 6's hangs: at 150 ms, a fast
			// request on a loaded machine under -race overran it, and its
			// record said two attempts where one was right.
			cfg := Config{Retries: 1, Timeout: time.Second, RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond,
				SHA256: true, Ordered: c.ordered, KeepRecords: true,
				ConnectTo: []ConnectTo{{ToHost: "127.0.0.1", ToPort: port}},
				Proxy:     func(*http.Request) (*url.URL, error) { return nil, nil }}
			c.cfg(&cfg)
			var mu sync.Mutex
			var bad []string
			lines := map[int]int{}
			seen := map[int]int{}
			check := func(rec *Record, where map[int]int) {
				mu.Lock()
				defer mu.Unlock()
				if msg := realCheck(rec, port, c.cancel); msg != "" && len(bad) < 20 {
					bad = append(bad, msg)
				}
				where[rec.Line]++
			}
			cfg.OnRecord = func(rec *Record) { check(rec, seen) }
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var written atomic.Int64
			sink := SinkFunc(func(rec *Record) error {
				check(rec, lines)
				if written.Add(1) == int64(n/3) && c.cancel {
					cancel()
				}
				return nil
			})
			f := mustNew(t, cfg)
			defer f.Close()
			var read atomic.Int64
			src := func(yield func(Input, error) bool) {
				for i := range n {
					read.Add(1)
					if !yield(Input{Line: i + 1, URL: realURL(i, port)}, nil) {
						return
					}
				}
			}
			sum, err := f.Run(ctx, src, sink)
			if err != nil && !(c.cancel && errors.Is(err, ErrInterrupted)) {
				t.Fatalf("Run: %v", err)
			}
			for _, msg := range bad {
				t.Error(msg)
			}
			if int64(len(lines)) != read.Load() || int64(len(seen)) != read.Load() || sum.Inputs != read.Load() {
				t.Fatalf("%d lines with records (OnRecord: %d, summary: %d) for %d read", len(lines), len(seen), sum.Inputs, read.Load())
			}
			for line, k := range lines {
				if k != 1 || seen[line] != 1 || line < 1 || int64(line) > read.Load() {
					t.Errorf("line %d: %d records (OnRecord: %d)", line, k, seen[line])
				}
			}
			for _, r := range sum.Records() {
				if msg := realCheck(&r, port, c.cancel); msg != "" {
					t.Errorf("summary's record: %s", msg)
				}
			}
		})
	}
}

func hashOf(body string) string {
	s := sha256.Sum256([]byte(body))
	return hex.EncodeToString(s[:])
}
