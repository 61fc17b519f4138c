package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/demoserver"
	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

// The curl-style flags, each against the demo server on 127.0.0.1: the
// record (or what the server saw) shows the flag took effect.

func tlsDemo(t *testing.T) *demoserver.Server {
	t.Helper()
	s, err := demoserver.StartTLS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tempFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// echoOf runs fetchall on the /echo URL with the flags, saving the body,
// and returns the record's outcome and what the server saw.
func echoOf(t *testing.T, url string, flags ...string) (string, demoserver.Echo) {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"-q", "-retries", "0", "-save", dir}, flags...)
	r := cli(t, context.Background(), "", append(args, url)...)
	recs := records(t, r.stdout)
	if len(recs) != 1 {
		t.Fatalf("fetchall %v: exit %d, %d records\n%s", flags, r.code, len(recs), r.stderr)
	}
	var e demoserver.Echo
	if recs[0].SavedAs != "" {
		b, _ := os.ReadFile(recs[0].SavedAs)
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("echo body %q: %v", b, err)
		}
	}
	return string(recs[0].Outcome) + " " + recs[0].ErrorKind, e
}

func TestFlagsTLS(t *testing.T) {
	s := tlsDemo(t)
	u := s.URL + "/echo"
	ca := tempFile(t, "ca.pem", s.CACertPEM())
	cert, key, err := s.ClientCert("bob")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := tempFile(t, "bob.pem", cert), tempFile(t, "bob.key", key)

	if got, _ := echoOf(t, u); got != "error tls" {
		t.Errorf("no flag: %q, want a tls error", got)
	}
	for _, k := range []string{"-k", "-insecure"} {
		if got, _ := echoOf(t, u, k); got != "ok " {
			t.Errorf("%s: %q", k, got)
		}
	}
	if got, e := echoOf(t, u, "-cacert", ca); got != "ok " || e.ClientCert != "" {
		t.Errorf("-cacert: %q, client cert %q", got, e.ClientCert)
	}
	if got, e := echoOf(t, u, "-cacert", ca, "-cert", certFile, "-key", keyFile); got != "ok " || e.ClientCert != "bob" {
		t.Errorf("-cert -key: %q, the server saw client cert %q", got, e.ClientCert)
	}
}

func TestFlagsResolveAndConnectTo(t *testing.T) {
	s := demo(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	if got, e := echoOf(t, "http://fetchall.test:"+port+"/echo", "-resolve", "fetchall.test:"+port+":127.0.0.1"); got != "ok " || e.Host != "fetchall.test:"+port {
		t.Errorf("-resolve: %q, Host %q", got, e.Host)
	}
	if got, e := echoOf(t, "http://fetchall.test/echo", "-connect-to", "fetchall.test:80:127.0.0.1:"+port); got != "ok " || e.Host != "fetchall.test" {
		t.Errorf("-connect-to: %q, Host %q", got, e.Host)
	}
	// Given in either order, -connect-to applies first, then -resolve.
	if got, _ := echoOf(t, "http://fetchall.test/echo", "-resolve", "backend.test:"+port+":127.0.0.1",
		"-connect-to", "fetchall.test:80:backend.test:"+port); got != "ok " {
		t.Errorf("-resolve then -connect-to: %q", got)
	}
}

// proxy is a forward proxy that answers every request itself.
func proxy(t *testing.T) (string, func() []string) {
	t.Helper()
	var (
		mu   sync.Mutex
		seen []string
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String())
		mu.Unlock()
		w.Write([]byte("from the proxy"))
	}))
	t.Cleanup(ts.Close)
	return ts.URL, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

func TestFlagsProxy(t *testing.T) {
	p, seen := proxy(t)
	r := cli(t, context.Background(), "", "-q", "-retries", "0", "-proxy", p, "http://fetchall.test/via")
	if recs := records(t, r.stdout); r.code != 0 || len(recs) != 1 || recs[0].Bytes != int64(len("from the proxy")) {
		t.Errorf("-proxy: exit %d, %s", r.code, r.stdout)
	}
	if got := seen(); len(got) != 1 || got[0] != "http://fetchall.test/via" {
		t.Errorf("the proxy saw %q", got)
	}
	// -proxy "" is accepted and goes direct: the proxy sees nothing more.
	s := demo(t)
	r = cli(t, context.Background(), "", "-q", "-proxy", "", s.URL+"/item?size=5")
	if recs := records(t, r.stdout); len(recs) != 1 || recs[0].Bytes != 5 || len(seen()) != 1 {
		t.Errorf("-proxy \"\": %s", r.stdout)
	}
}

// TestFlagsProxyFromEnvironment runs the command in a process of its own,
// since net/http reads the proxy variables once per process.
func TestFlagsProxyFromEnvironment(t *testing.T) {
	p, seen := proxy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-q", "-retries", "0", "http://fetchall.test/env")
	cmd.Env = append(os.Environ(), "FETCHALL_MAIN=1", "HTTP_PROXY="+p, "http_proxy="+p, "NO_PROXY=", "no_proxy=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fetchall: %v\n%s", err, out)
	}
	if got := seen(); len(got) != 1 || got[0] != "http://fetchall.test/env" || !bytes.Contains(out, []byte(`"outcome":"ok"`)) {
		t.Errorf("HTTP_PROXY: the proxy saw %q; records %s", got, out)
	}
}

func TestFlagsCompressedUserCookies(t *testing.T) {
	s := demo(t)
	r := cli(t, context.Background(), "", "-q", "-compressed", "-sha256", s.URL+"/gzip?size=40000")
	if recs := records(t, r.stdout); len(recs) != 1 || recs[0].Bytes != 40000 {
		t.Errorf("-compressed: %s", r.stdout)
	}
	if _, e := echoOf(t, s.URL+"/echo", "-compressed"); strings.Join(e.Header["Accept-Encoding"], ",") != "deflate, gzip, br, zstd" {
		t.Errorf("-compressed sent Accept-Encoding %q", e.Header["Accept-Encoding"])
	}
	if _, e := echoOf(t, s.URL+"/echo", "-u", "ann:s3cret"); strings.Join(e.Header["Authorization"], ",") != "Basic YW5uOnMzY3JldA==" {
		t.Errorf("-u sent Authorization %q", e.Header["Authorization"])
	}
	hostname, _, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	jar := tempFile(t, "cookies.txt", []byte("# Netscape HTTP Cookie File\n"+hostname+"\tFALSE\t/\tFALSE\t0\tsid\t42\n"))
	if _, e := echoOf(t, s.URL+"/echo", "-b", jar); strings.Join(e.Header["Cookie"], ";") != "sid=42" {
		t.Errorf("-b FILE sent Cookie %q", e.Header["Cookie"])
	}
	if _, e := echoOf(t, s.URL+"/echo", "-b", "a=1; b=2"); strings.Join(e.Header["Cookie"], ";") != "a=1; b=2" {
		t.Errorf("-b NAME=VALUE sent Cookie %q", e.Header["Cookie"])
	}
}

func TestFlagsConnectTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never speaks TLS
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	r := cli(t, context.Background(), "", "-q", "-retries", "0", "-timeout", "30s", "-connect-timeout", "50ms", "https://"+ln.Addr().String()+"/")
	recs := records(t, r.stdout)
	if len(recs) != 1 || recs[0].ErrorKind != "timeout" || !strings.Contains(recs[0].Error, "handshake timeout") {
		t.Errorf("-connect-timeout 50ms: %s", r.stdout)
	}
}

func TestFlagsContinueAndLineOptions(t *testing.T) {
	s := demo(t)
	dir := t.TempDir()
	list := s.URL + "/file?size=60000&cut=25000 out=big.bin\n" +
		`{"url":"` + s.URL + `/echo","method":"PATCH","headers":{"X-A":"1"},"body":"b","out":"echo.json"}` + "\n" +
		s.URL + "/item?size=3 out=../up\n"
	in := tempFile(t, "list.txt", []byte(list))
	r := cli(t, context.Background(), "", "-q", "-save", dir, "-continue", "-retries", "1", "-i", in)
	recs := records(t, r.stdout)
	if len(recs) != 3 || r.code != 1 {
		t.Fatalf("exit %d, %d records:\n%s%s", r.code, len(recs), r.stdout, r.stderr)
	}
	byLine := map[int]int{}
	for i, rec := range recs {
		byLine[rec.Line] = i
	}
	big := recs[byLine[1]]
	got, _ := os.ReadFile(filepath.Join(dir, "big.bin"))
	if big.Outcome != "ok" || big.ResumedFrom != 25000 || !bytes.Equal(got, demoserver.Content(60000)) {
		t.Errorf("line 1: %s resumed_from %d, file equal %v", big.Outcome, big.ResumedFrom, bytes.Equal(got, demoserver.Content(60000)))
	}
	var e demoserver.Echo
	b, _ := os.ReadFile(filepath.Join(dir, "echo.json"))
	if json.Unmarshal(b, &e) != nil || e.Method != "PATCH" || e.Body != "b" || strings.Join(e.Header["X-A"], "") != "1" {
		t.Errorf("line 2: the server saw %s", b)
	}
	if bad := recs[byLine[3]]; bad.Outcome != "invalid" || bad.ErrorKind != "invalid_line" {
		t.Errorf("line 3: %+v", bad)
	}
}

func TestFlagsUsageErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.pem")
	for _, args := range [][]string{
		{"-cacert", missing}, {"-cert", missing}, {"-key", missing}, {"-u", "nopassword"},
		{"-resolve", "a.example:80"}, {"-connect-to", "a:b"}, {"-proxy", "ftp://p.example"},
		{"-connect-timeout", "-1s"}, {"-b", missing},
	} {
		r := cli(t, context.Background(), "", append(args, "http://127.0.0.1:1/")...)
		if r.code != exitUsage || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("fetchall %v: exit %d, stderr %q; want a one-line usage error", args, r.code, r.stderr)
		}
	}
	help := cli(t, context.Background(), "", "-h").stderr
	for _, flag := range []string{"-k", "-insecure", "-cacert", "-cert", "-key", "-resolve", "-connect-to", "-proxy",
		"-compressed", "-u", "-b", "-connect-timeout", "-continue", "out=NAME"} {
		if !strings.Contains(help, flag) {
			t.Errorf("fetchall -h does not mention %s", flag)
		}
	}
}

// TestFlagsRedirects: -u and -b NAME=VALUE stay with the origin of the
// URL given unless -location-trusted; -post301 keeps a POST; -e ;auto
// sends a Referer on redirects, and none is sent without it.
func TestFlagsRedirects(t *testing.T) {
	var mu sync.Mutex
	var seen []*http.Request
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
	}))
	defer target.Close()
	from := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/landed", http.StatusMovedPermanently)
	}))
	defer from.Close()
	last := func() *http.Request {
		mu.Lock()
		defer mu.Unlock()
		return seen[len(seen)-1]
	}
	run := func(flags ...string) *http.Request {
		t.Helper()
		r := cli(t, context.Background(), "", append(append([]string{"-q", "-retries", "0"}, flags...), from.URL+"/start?secret=1")...)
		if r.code != 0 {
			t.Fatalf("fetchall %v: exit %d\n%s", flags, r.code, r.stderr)
		}
		return last()
	}
	creds := []string{"-u", "alice:pw", "-b", "session=s3cret"}
	if r := run(creds...); r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
		t.Errorf("credentials went to another port: %q %q", r.Header.Get("Authorization"), r.Header.Get("Cookie"))
	}
	if r := run(append(creds, "-location-trusted")...); r.Header.Get("Authorization") == "" || r.Header.Get("Cookie") != "session=s3cret" {
		t.Errorf("-location-trusted: %q %q", r.Header.Get("Authorization"), r.Header.Get("Cookie"))
	}
	if r := run("-d", "x"); r.Method != "GET" || r.Header.Get("Referer") != "" {
		t.Errorf("POST after 301: %s, Referer %q", r.Method, r.Header.Get("Referer"))
	}
	if r := run("-d", "x", "-post301"); r.Method != "POST" {
		t.Errorf("-post301: %s", r.Method)
	}
	if r := run("-e", ";auto"); r.Header.Get("Referer") != from.URL+"/" {
		t.Errorf("-e ;auto across origins: Referer %q, want %q", r.Header.Get("Referer"), from.URL+"/")
	}
}

// TestFlagsDigest: -digest and -anyauth answer go-httpbin's challenges;
// either without -u is a usage error.
func TestFlagsDigest(t *testing.T) {
	ts := httptest.NewServer(httpbin.New())
	defer ts.Close()
	for _, c := range []struct {
		flag, path, want string
	}{
		{"-digest", "/digest-auth/auth/ann/pw/SHA-256", "ok"},
		{"-digest", "/digest-auth/auth/ann/pw/MD5", "ok"},
		{"-anyauth", "/digest-auth/auth/ann/pw/MD5", "ok"},
		{"-anyauth", "/basic-auth/ann/pw", "ok"},
		{"-digest", "/basic-auth/ann/pw", "http_error"},
	} {
		r := cli(t, context.Background(), "", "-q", "-retries", "0", "-u", "ann:pw", c.flag, ts.URL+c.path)
		if recs := records(t, r.stdout); len(recs) != 1 || string(recs[0].Outcome) != c.want {
			t.Errorf("%s %s: %s", c.flag, c.path, r.stdout)
		}
	}
	if r := cli(t, context.Background(), "", "-digest", ts.URL); r.code != 2 || !strings.Contains(r.stderr, "-u") {
		t.Errorf("-digest without -u: exit %d %s", r.code, r.stderr)
	}
}

// TestFlagsMaxRedirectsRecords: with -max-redirects 0 the 3xx is the
// result and redirect_url says where it pointed; a chain longer than
// -max-redirects keeps its last status and URL, and names the next.
func TestFlagsMaxRedirectsRecords(t *testing.T) {
	ts := httptest.NewServer(httpbin.New())
	defer ts.Close()
	r := cli(t, context.Background(), "", "-q", "-max-redirects", "0", ts.URL+"/relative-redirect/3")
	recs := records(t, r.stdout)
	if len(recs) != 1 || recs[0].Status != 302 || recs[0].RedirectURL != ts.URL+"/relative-redirect/2" || !strings.Contains(r.stdout, `"redirect_url":`) {
		t.Errorf("-max-redirects 0: %s", r.stdout)
	}
	r = cli(t, context.Background(), "", "-q", "-max-redirects", "1", ts.URL+"/relative-redirect/3")
	recs = records(t, r.stdout)
	if len(recs) != 1 || recs[0].ErrorKind != "too_many_redirects" || recs[0].Status != 302 ||
		recs[0].FinalURL != ts.URL+"/relative-redirect/2" || recs[0].Redirects != 1 || !strings.Contains(recs[0].Error, ts.URL+"/relative-redirect/1") {
		t.Errorf("-max-redirects 1: %s", r.stdout)
	}
}
