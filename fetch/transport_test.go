package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/demoserver"
)

// The connection options against the demo server on 127.0.0.1: each test
// shows the option changing the outcome, not only being accepted.

func startTLSDemo(t *testing.T) *demoserver.Server {
	t.Helper()
	s, err := demoserver.StartTLS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// echoed fetches u with cfg, saving the body, and returns what /echo saw.
func echoed(t *testing.T, cfg Config, line string) (Record, demoserver.Echo) {
	t.Helper()
	cfg.SaveDir = t.TempDir()
	r := fetchOne(t, cfg, line)
	var e demoserver.Echo
	if r.Outcome != OK {
		return r, e
	}
	b, err := os.ReadFile(r.SavedAs)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("echo body %q: %v", b, err)
	}
	return r, e
}

var quick = Config{Timeout: 5 * time.Second, Retries: -1}

func TestTLSOptions(t *testing.T) {
	s := startTLSDemo(t)
	u := s.URL + "/echo"

	if r := fetchOne(t, quick, u); r.Outcome != Failed || r.ErrorKind != KindTLS {
		t.Errorf("unknown CA: %s %s %q, want a tls error", r.Outcome, r.ErrorKind, r.Error)
	}

	insecure := quick
	var err error
	if insecure.TLS, err = (TLSFiles{Insecure: true}).Config(); err != nil {
		t.Fatal(err)
	}
	if r := fetchOne(t, insecure, u); r.Outcome != OK {
		t.Errorf("-k: %s %q", r.Outcome, r.Error)
	}

	ca := writeFile(t, "ca.pem", s.CACertPEM())
	trusted := quick
	if trusted.TLS, err = (TLSFiles{CACert: ca}).Config(); err != nil {
		t.Fatal(err)
	}
	if r, e := echoed(t, trusted, u); r.Outcome != OK || e.ClientCert != "" {
		t.Errorf("-cacert: %s %q, client cert %q", r.Outcome, r.Error, e.ClientCert)
	}

	certPEM, keyPEM, err := s.ClientCert("alice")
	if err != nil {
		t.Fatal(err)
	}
	cert, key := writeFile(t, "alice.pem", certPEM), writeFile(t, "alice.key", keyPEM)
	withCert := quick
	if withCert.TLS, err = (TLSFiles{CACert: ca, Cert: cert, Key: key}).Config(); err != nil {
		t.Fatal(err)
	}
	if r, e := echoed(t, withCert, u); r.Outcome != OK || e.ClientCert != "alice" {
		t.Errorf("-cert/-key: %s %q, the server saw client cert %q, want alice", r.Outcome, r.Error, e.ClientCert)
	}
	both := writeFile(t, "both.pem", append(append([]byte{}, certPEM...), keyPEM...))
	if withCert.TLS, err = (TLSFiles{CACert: ca, Cert: both}).Config(); err != nil {
		t.Fatalf("certificate and key in one file: %v", err)
	}
	if r, e := echoed(t, withCert, u); e.ClientCert != "alice" {
		t.Errorf("-cert with the key inside: %s %q, client cert %q", r.Outcome, r.Error, e.ClientCert)
	}

	for name, files := range map[string]TLSFiles{
		"missing CA file": {CACert: filepath.Join(t.TempDir(), "none.pem")},
		"CA file not PEM": {CACert: writeFile(t, "junk.pem", []byte("not a certificate"))},
		"key alone":       {Key: key},
		"cert, wrong key": {Cert: cert, Key: ca},
	} {
		if _, err := files.Config(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestConnectToAndResolve(t *testing.T) {
	s := startDemo(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))

	// fetchall.test has no address (RFC 6761): only the rules reach the
	// server, and they leave no DNS lookup to make.
	resolve, err := ParseResolve("fetchall.test:" + port + ":127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := quick
	cfg.ConnectTo = []ConnectTo{resolve}
	if r, e := echoed(t, cfg, "http://fetchall.test:"+port+"/echo"); r.Outcome != OK || e.Host != "fetchall.test:"+port {
		t.Errorf("-resolve: %s %q, Host %q", r.Outcome, r.Error, e.Host)
	}

	to, err := ParseConnectTo("fetchall.test:80:127.0.0.1:" + port)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnectTo = []ConnectTo{to}
	if r, e := echoed(t, cfg, "http://fetchall.test/echo"); r.Outcome != OK || e.Host != "fetchall.test" {
		t.Errorf("-connect-to: %s %q, Host %q", r.Outcome, r.Error, e.Host)
	}
	// A --connect-to to a name, then a --resolve of that name, as in curl.
	to2, _ := ParseConnectTo("fetchall.test::backend.test:" + port)
	res2, _ := ParseResolve("backend.test:" + port + ":127.0.0.1")
	cfg.ConnectTo = []ConnectTo{to2, res2}
	if r := fetchOne(t, cfg, "http://fetchall.test:1234/echo"); r.Outcome != OK {
		t.Errorf("-connect-to then -resolve: %s %q", r.Outcome, r.Error)
	}
}

func TestParseConnectToAndResolve(t *testing.T) {
	good := map[string]ConnectTo{
		"a.example:443:b.example:8443": {Host: "a.example", Port: "443", ToHost: "b.example", ToPort: "8443"},
		"::b.example:":                 {ToHost: "b.example"},
		"[::1]:80:[::2]:81":            {Host: "::1", Port: "80", ToHost: "::2", ToPort: "81"},
	}
	for s, want := range good {
		if got, err := ParseConnectTo(s); err != nil || got != want {
			t.Errorf("ParseConnectTo(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "a:1:b", "a:x:b:1", "a:1:b:99999", "a:1:b:1:c"} {
		if _, err := ParseConnectTo(s); err == nil {
			t.Errorf("ParseConnectTo(%q): no error", s)
		}
	}
	goodR := map[string]ConnectTo{
		"a.example:443:10.0.0.1":           {Host: "a.example", Port: "443", ToHost: "10.0.0.1"},
		"a.example:80:[::1]":               {Host: "a.example", Port: "80", ToHost: "::1"},
		"*:80:127.0.0.1":                   {Port: "80", ToHost: "127.0.0.1"},
		"a.example:80:127.0.0.2,127.0.0.3": {Host: "a.example", Port: "80", ToHost: "127.0.0.2,127.0.0.3"},
		"a.example:80:[::1],127.0.0.3":     {Host: "a.example", Port: "80", ToHost: "::1,127.0.0.3"},
	}
	for s, want := range goodR {
		if got, err := ParseResolve(s); err != nil || got != want {
			t.Errorf("ParseResolve(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "a:80", "a::1.2.3.4", "a:80:not-an-ip", ":80:1.2.3.4", "a:80:1.2.3.4,", "a:80:1.2.3.4,x"} {
		if _, err := ParseResolve(s); err == nil {
			t.Errorf("ParseResolve(%q): no error", s)
		}
	}
	if got := rewriteAddr([]ConnectTo{{Port: "80", ToPort: "8080"}}, "a.example:80"); got != "a.example:8080" {
		t.Errorf("rewriteAddr = %q", got)
	}
}

// proxyServer is a forward proxy for plain HTTP that answers every request
// itself and remembers the absolute URLs it was asked for.
func proxyServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var (
		mu   sync.Mutex
		seen []string
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String()+" auth="+r.Header.Get("Proxy-Authorization"))
		mu.Unlock()
		w.Write([]byte("via proxy"))
	}))
	t.Cleanup(ts.Close)
	return ts, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

func TestProxy(t *testing.T) {
	ts, seen := proxyServer(t)
	u, _ := url.Parse(ts.URL)
	proxy, err := ProxyURL("user:secret@" + u.Host) // no scheme: http, as in curl
	if err != nil {
		t.Fatal(err)
	}
	cfg := quick
	cfg.Proxy = proxy
	if r := fetchOne(t, cfg, "http://fetchall.test/page"); r.Outcome != OK || r.Bytes != int64(len("via proxy")) {
		t.Errorf("through the proxy: %s %q %d bytes", r.Outcome, r.Error, r.Bytes)
	}
	got := seen()
	if len(got) != 1 || !strings.HasPrefix(got[0], "http://fetchall.test/page auth=Basic ") {
		t.Errorf("the proxy saw %q", got)
	}
	direct := startDemo(t).URL + "/item?size=7"
	if r := fetchOne(t, cfg, direct); r.Bytes != int64(len("via proxy")) || len(seen()) != 2 {
		t.Errorf("a loopback URL did not go through the proxy: %d bytes, proxy saw %d", r.Bytes, len(seen()))
	}
	cfg.Proxy = NoProxy
	if r := fetchOne(t, cfg, direct); r.Outcome != OK || r.Bytes != 7 || len(seen()) != 2 {
		t.Errorf("NoProxy: %s %d bytes, proxy saw %d requests, want 2", r.Outcome, r.Bytes, len(seen()))
	}
	for _, bad := range []string{"ftp://p.example", "http://", "http://[::1"} {
		if _, err := ProxyURL(bad); err == nil {
			t.Errorf("ProxyURL(%q): no error", bad)
		}
	}
}

func TestCompressed(t *testing.T) {
	s := startDemo(t)
	u := s.URL + "/gzip?size=50000"
	plain := sha256.Sum256(demoserver.Content(50000))
	cfg := quick
	cfg.SHA256 = true
	raw := fetchOne(t, cfg, u)
	if raw.Outcome != OK || raw.Bytes != 50000 {
		t.Errorf("without -compressed the server sends plain bytes: %s %d", raw.Outcome, raw.Bytes)
	}
	cfg.Compressed = true
	r := fetchOne(t, cfg, u)
	if r.Outcome != OK || r.Bytes != 50000 || r.SHA256 != hex.EncodeToString(plain[:]) {
		t.Errorf("-compressed: %s %d bytes sha %s; want the decoded 50000 bytes", r.Outcome, r.Bytes, r.SHA256)
	}
	// That it was compressed on the wire: the server only encodes when asked.
	_, e := echoed(t, Config{Timeout: 5 * time.Second, Retries: -1, Compressed: true}, s.URL+"/echo")
	if got := strings.Join(e.Header["Accept-Encoding"], ","); got != acceptEncoding {
		t.Errorf("-compressed sent Accept-Encoding %q", got)
	}
}

// TestConnectTimeout: a server that accepts TCP but never answers the TLS
// handshake fails the attempt at the connect timeout, long before the
// attempt's timeout.
func TestConnectTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }()
		}
	}()
	cfg := Config{Timeout: 20 * time.Second, ConnectTimeout: 50 * time.Millisecond, Retries: -1}
	r := fetchOne(t, cfg, "https://"+ln.Addr().String()+"/")
	if r.Outcome != Failed || r.ErrorKind != KindTimeout || !strings.Contains(r.Error, "handshake timeout") {
		t.Errorf("got %s %s %q, want the TLS handshake to time out", r.Outcome, r.ErrorKind, r.Error)
	}
	if _, err := New(Config{ConnectTimeout: -1}); err == nil {
		t.Error("a negative connect timeout was accepted")
	}
}

func TestCookieFile(t *testing.T) {
	s := startDemo(t)
	host := strings.TrimPrefix(s.URL, "http://")
	hostname, _, _ := net.SplitHostPort(host)
	file := "# Netscape HTTP Cookie File\n\n" +
		hostname + "\tFALSE\t/\tFALSE\t0\tsession\tabc\n" +
		"#HttpOnly_" + hostname + "\tFALSE\t/echo\tFALSE\t4102444800\tlogin\tyes\n" +
		hostname + "\tFALSE\t/other\tFALSE\t0\telsewhere\tno\n" +
		hostname + "\tFALSE\t/\tFALSE\t1000\texpired\tno\n" +
		".other.example\tTRUE\t/\tFALSE\t0\tforeign\tno\n"
	jar, err := ReadCookieFile(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	cfg := quick
	cfg.Jar = jar
	r, e := echoed(t, cfg, s.URL+"/echo")
	got := strings.Join(e.Header["Cookie"], "; ")
	if r.Outcome != OK || got != "login=yes; session=abc" {
		t.Errorf("cookies sent: %q, want login and session only", got)
	}
	for _, bad := range []string{"a.example\tFALSE\t/\n", "a.example\tMAYBE\t/\tFALSE\t0\tn\tv\n", "a.example\tFALSE\t/\tFALSE\tsoon\tn\tv\n"} {
		if _, err := ReadCookieFile(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("ReadCookieFile(%q) = %v, want an error naming line 1", bad, err)
		}
	}
}

func TestLineOptionsReachTheRequest(t *testing.T) {
	s := startDemo(t)
	cfg := quick
	cfg.Header = http.Header{"X-Run": {"run"}, "X-Both": {"run"}}
	line := `{"url":"` + s.URL + `/echo","method":"put","headers":{"X-Both":"line","X-Many":["1","2"]},"body":"hello"}`
	r, e := echoed(t, cfg, line)
	if r.Outcome != OK || r.URL != s.URL+"/echo" {
		t.Fatalf("JSON line: %+v", r)
	}
	if e.Method != "PUT" || e.Body != "hello" || e.Header["X-Run"][0] != "run" || e.Header["X-Both"][0] != "line" ||
		strings.Join(e.Header["X-Many"], ",") != "1,2" {
		t.Errorf("the server saw %+v", e)
	}

	dir := t.TempDir()
	cfg = quick
	cfg.SaveDir = dir
	f := mustNew(t, cfg)
	defer f.Close()
	c, _ := runAll(t, f, []string{
		s.URL + "/item?size=10 out=ten.txt",
		`{"url":"` + s.URL + `/item?size=20","out":"twenty.txt"}`,
		s.URL + "/item?size=30 out=ten.txt",
		s.URL + "/item?size=40 out=../escape",
		`{"url":"` + s.URL + `/item","bogus":1}`,
	})
	got := map[int]Record{}
	for _, r := range c.recs {
		got[r.Line] = r
	}
	if len(got) != 5 {
		t.Fatalf("%d records for 5 lines", len(got))
	}
	for line, want := range map[int]string{1: "ten.txt", 2: "twenty.txt"} {
		r := got[line]
		if r.Outcome != OK || r.SavedAs != filepath.Join(dir, want) {
			t.Errorf("line %d: %s saved as %q, want %s", line, r.Outcome, r.SavedAs, want)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "ten.txt")); err != nil || st.Size() != 10 {
		t.Errorf("ten.txt: %v, want the first line's 10 bytes, not overwritten by line 3", err)
	}
	for _, line := range []int{3, 4, 5} {
		if r := got[line]; r.Outcome != Invalid || r.ErrorKind != KindInvalidLine || r.Attempts != 0 {
			t.Errorf("line %d: %s %s %q, want invalid_line without a request", line, r.Outcome, r.ErrorKind, r.Error)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files in the save directory, want 2", len(entries))
	}
}

// TestResolveFallsBack: -resolve HOST:PORT:A,B connects to B when A
// fails, as curl does; a leading + (curl's entry that times out of its DNS
// cache) or - (curl's removal) is refused with a clear error, never taken
// as part of the host name.
func TestResolveFallsBack(t *testing.T) {
	s := startDemo(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	// Nothing listens on 127.0.0.2: the demo server is on 127.0.0.1 only.
	for _, addrs := range []string{"127.0.0.2,127.0.0.1", "[::1],127.0.0.2,127.0.0.1"} {
		rule, err := ParseResolve("fetchall.test:" + port + ":" + addrs)
		if err != nil {
			t.Fatal(err)
		}
		cfg := quick
		cfg.ConnectTo = []ConnectTo{rule}
		if r := fetchOne(t, cfg, "http://fetchall.test:"+port+"/item?size=10"); r.Outcome != OK || r.Bytes != 10 {
			t.Errorf("-resolve %s: %s %s %q", addrs, r.Outcome, r.ErrorKind, r.Error)
		}
	}
	rule, _ := ParseResolve("fetchall.test:" + port + ":127.0.0.2,127.0.0.3")
	cfg := quick
	cfg.ConnectTo = []ConnectTo{rule}
	if r := fetchOne(t, cfg, "http://fetchall.test:"+port+"/item?size=10"); r.Outcome != Failed || r.ErrorKind != KindRefused {
		t.Errorf("no address answers: %s %s %q", r.Outcome, r.ErrorKind, r.Error)
	}
	for _, s := range []string{"+fetchall.test:80:127.0.0.1", "-fetchall.test:80"} {
		_, err := ParseResolve(s)
		if err == nil || !strings.Contains(err.Error(), s[:1]) {
			t.Errorf("ParseResolve(%q): %v, want an error about the leading %s", s, err, s[:1])
		}
	}
}

// TestTracePoolKeepsOnlyQuietTraces: a trace goes back to its pool only
// when every connection its requests asked for came at once from the idle
// pool, so that no dial of its own can report to it later; it comes back
// with no events, under the pool's context, and a trace made under another
// context is never the pool's.
func TestTracePoolKeepsOnlyQuietTraces(t *testing.T) {
	type traceTestKey struct{}
	parent := context.WithValue(context.Background(), traceTestKey{}, "run")
	p := newTracePool(parent, 4, false)

	dialed := p.get(parent)
	dialed.trace.GetConn("example.com:80")
	dialed.trace.GotConn(httptrace.GotConnInfo{Reused: true}) // handed over by another request: not WasIdle
	p.put(dialed, true)
	other := p.get(context.Background())
	if other.pool != nil || other.ctx.Value(traceTestKey{}) != nil {
		t.Fatalf("a trace under another context: pool %p, run value %v", other.pool, other.ctx.Value(traceTestKey{}))
	}
	p.put(other, true)
	for range 50 {
		if tr := p.get(parent); tr == dialed || tr == other {
			t.Fatal("the pool handed out a trace it must not keep")
		}
	}

	quiet := p.get(parent)
	used := func() {
		quiet.start = time.Now()
		quiet.trace.GetConn("example.com:80")
		quiet.trace.GotConn(httptrace.GotConnInfo{Reused: true, WasIdle: true})
		quiet.trace.GotFirstResponseByte()
	}
	used()
	if quiet.result().ttfb <= 0 || !quiet.result().reused {
		t.Fatalf("events not recorded: %+v", quiet.result())
	}
	p.put(quiet, true)
	if p.get(parent) != quiet {
		t.Fatal("a quiet trace did not come back from the pool")
	}
	if got := quiet.result(); got != (timings{}) || quiet.getConns != 0 || quiet.idleConns != 0 || !quiet.start.IsZero() {
		t.Errorf("a trace came back with events: %+v, %d conns asked, %d idle", got, quiet.getConns, quiet.idleConns)
	}
	if quiet.ctx.Value(traceTestKey{}) != "run" || httptrace.ContextClientTrace(quiet.ctx) != &quiet.trace {
		t.Error("a trace came back without its context")
	}
}

// TestTracePoolDeadlines: with deadlines, a trace's context is cancelled
// with the attempt's timeout cause when its timer fires, and such a trace
// is dropped; a trace whose attempt failed is dropped too; a trace kept
// comes back with its context live; every trace dropped has its context
// cancelled, so that it leaves the run's.
func TestTracePoolDeadlines(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newTracePool(parent, 4, true)
	quietly := func(tr *tracer) {
		tr.trace.GetConn("example.com:80")
		tr.trace.GotConn(httptrace.GotConnInfo{Reused: true, WasIdle: true})
	}

	kept := p.get(parent)
	if kept.timer == nil || kept.ctx.Err() != nil {
		t.Fatalf("a trace of a pool with deadlines: timer %v, context %v", kept.timer, kept.ctx.Err())
	}
	kept.setDeadline(time.Now(), time.Hour)
	quietly(kept)
	p.put(kept, true)
	if p.get(parent) != kept || kept.ctx.Err() != nil {
		t.Fatalf("a quiet trace whose deadline did not fire: not kept, or its context ended (%v)", kept.ctx.Err())
	}

	// The timer set for the first attempt, an hour ahead, is not set
	// again for a later deadline: expire sets it for the attempt running.
	fired := kept
	fired.setDeadline(time.Now(), time.Hour+time.Minute)
	fired.timer.Reset(time.Millisecond) // as if the hour had passed: not the deadline yet
	time.Sleep(20 * time.Millisecond)
	if fired.ctx.Err() != nil {
		t.Fatal("the timer of an earlier deadline ended a later attempt")
	}
	fired.mu.Lock()
	armed, deadline := fired.armed, fired.deadline
	fired.mu.Unlock()
	if !armed.Equal(deadline) {
		t.Fatalf("the timer was not set again for the running attempt's deadline: armed %v, deadline %v", armed, deadline)
	}
	fired.setDeadline(time.Now(), time.Millisecond) // earlier than the timer: it is set again
	<-fired.ctx.Done()
	if cause := context.Cause(fired.ctx); cause != errAttemptTimeout {
		t.Fatalf("a fired deadline's cause: %v", cause)
	}
	quietly(fired)
	p.put(fired, true)

	failed := p.get(parent)
	if failed == fired {
		t.Fatal("a trace whose deadline fired came back")
	}
	failed.setDeadline(time.Now(), time.Hour)
	quietly(failed)
	p.put(failed, false)
	if failed.ctx.Err() == nil {
		t.Error("a trace dropped after a failed attempt keeps its context live")
	}
	if tr := p.get(parent); tr == failed || tr == fired {
		t.Error("a dropped trace came back")
	}
}

// TestTraceDeadlineOfALaterAttempt: a trace kept after a quick attempt
// still has its timer set for that attempt's deadline; the next attempt's
// deadline is later, and the attempt ends at its own deadline, not the
// first one's, and only then.
func TestTraceDeadlineOfALaterAttempt(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newTracePool(parent, 4, true)
	defer p.close()
	const d = 60 * time.Millisecond
	tr := p.get(parent)
	tr.setDeadline(time.Now(), d)
	tr.trace.GetConn("example.com:80")
	tr.trace.GotConn(httptrace.GotConnInfo{Reused: true, WasIdle: true})
	p.put(tr, true)
	time.Sleep(d / 2)
	if p.get(parent) != tr {
		t.Fatal("a quiet trace was not kept")
	}
	start := time.Now()
	tr.setDeadline(time.Now(), d)
	<-tr.ctx.Done()
	if took := time.Since(start); took < d {
		t.Fatalf("the attempt ended after %v, before its deadline of %v (the first attempt's timer ended it)", took, d)
	}
	if cause := context.Cause(tr.ctx); cause != errAttemptTimeout {
		t.Fatalf("cause %v", cause)
	}
}
