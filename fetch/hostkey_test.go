package fetch

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// TestHostKeyFastPathIsJoinHostPort: the key taken as it is from the URL
// is the one net.JoinHostPort makes, whatever the host's form; hosts it
// cannot take as they are (no port, upper case, a zone) still get it.
func TestHostKeyFastPathIsJoinHostPort(t *testing.T) {
	for _, raw := range []string{
		"http://127.0.0.1:8080/x", "http://a.example:80/", "https://A.Example:443/", "http://a.example/",
		"https://a.example/", "http://[::1]:8080/", "http://[::1]/", "http://[fe80::1%25en0]:80/",
		"http://a.example:/", "HTTP://a.example:0080/", "http://xn--bcher-kva.example:81/",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		port := u.Port()
		if port == "" {
			port = "80"
			if strings.EqualFold(u.Scheme, "https") {
				port = "443"
			}
		}
		if got, want := hostKey(u), net.JoinHostPort(strings.ToLower(u.Hostname()), port); got != want {
			t.Errorf("hostKey(%s) = %q, want %q", raw, got, want)
		}
	}
	u, _ := url.Parse("http://127.0.0.1:8080/x")
	if n := testing.AllocsPerRun(100, func() { hostKey(u) }); n != 0 {
		t.Errorf("hostKey of a plain host:port allocates %v times", n)
	}
}

// TestSharedHeaderIsSentAndNeverWritten fetches URLs at once, some through
// a redirect, with a configured header: each request carries it and the
// User-Agent; the header that plain requests share is the same after the
// run (under -race, a write to it while requests read it would be
// reported); a Host header or a transport of the caller's turns sharing
// off.
func TestSharedHeaderIsSentAndNeverWritten(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/x?from=moved", http.StatusFound)
			return
		}
		mu.Lock()
		seen[r.Header.Get("User-Agent")+" | "+r.Header.Get("X-Test")]++
		mu.Unlock()
	}))
	defer ts.Close()
	f := mustNew(t, Config{Header: http.Header{"X-Test": {"yes"}}, UserAgent: "ua/1", Concurrency: 8})
	defer f.Close()
	before := f.header.Clone()
	var list []string
	for i := range 40 {
		if i%4 == 0 {
			list = append(list, ts.URL+"/moved")
		} else {
			list = append(list, ts.URL+"/x")
		}
	}
	c, _ := runAll(t, f, list)
	if len(c.recs) != 40 || seen["ua/1 | yes"] != 40 || len(seen) != 1 {
		t.Errorf("%d records; requests by header: %v", len(c.recs), seen)
	}
	if !reflect.DeepEqual(f.header, before) {
		t.Errorf("the shared header became %v, was %v", f.header, before)
	}
	if h := mustNew(t, Config{Header: http.Header{"Host": {"h"}}}).header; h != nil {
		t.Errorf("a Host header is shared: %v", h)
	}
	if h := mustNew(t, Config{Transport: http.DefaultTransport}).header; h != nil {
		t.Errorf("a caller's transport gets the shared header: %v", h)
	}
	if h := mustNew(t, Config{Compressed: true}).header; h.Get("Accept-Encoding") == "" {
		t.Errorf("Compressed, the shared header has no Accept-Encoding: %v", h)
	}
}

// TestCanonicalURLPrintsBackAsItself: a URL canonicalURL accepts is what
// parsing and printing it gives, so that a final URL taken from the input
// is the one url.URL.String would have made; the URLs that print
// differently are refused.
func TestCanonicalURLPrintsBackAsItself(t *testing.T) {
	accepted := []string{
		"http://127.0.0.1:8080/b/1000", "https://a.example/x/y?q=1&r=%20", "http://A.Example", "http://a.example/?",
		"http://a.example/p;x=1/@user:$&+,=~._-", "https://a.example:443/?q=a/b",
	}
	refused := []string{
		"HTTP://a.example/", "http://a.example/ä", "http://a.example/%7e", "http://a.example/#f", "http://user@a.example/",
		"http://[::1]:80/", "ftp://a.example/", "http:///x", "http://a.example/a b", "http://a.example/!",
		"https://a.example/x?r=%20#", "https://a.example:443/?q=ä",
	}
	for _, raw := range accepted {
		if !canonicalURL(raw) {
			t.Errorf("canonicalURL(%q) = false", raw)
		}
	}
	for _, raw := range refused {
		if canonicalURL(raw) {
			t.Errorf("canonicalURL(%q) = true", raw)
		}
	}
	for _, raw := range append(accepted, refused...) {
		if !canonicalURL(raw) {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || u.String() != raw {
			t.Errorf("%q is accepted but prints back as %q (%v)", raw, u, err)
		}
	}
}

// FuzzCanonicalURL: whatever canonicalURL accepts and url.Parse parses
// (the engine asks only about URLs that parsed) prints back as itself.
func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{"http://a.example/x?y=1", "https://b:1/%", "http://c/d#e", "http://x/?#", "http://h/a%2Fb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !canonicalURL(raw) {
			return
		}
		u, err := url.Parse(raw)
		if err == nil && u.String() != raw {
			t.Errorf("%q is accepted but prints back as %q (%v)", raw, u, err)
		}
	})
}

// BenchmarkFinalURL compares the two ways to the final URL of a request
// that was not redirected: printing the parsed URL, or checking that the
// input already is what printing would give.
func BenchmarkFinalURL(b *testing.B) {
	raw := "http://127.0.0.1:34567/b/1000?i=12345"
	u, _ := url.Parse(raw)
	b.Run("String", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = u.String()
		}
	})
	b.Run("canonicalURL", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = canonicalURL(raw)
		}
	})
}

// TestRecordHost: the host key is the URL's host[:port], lower-cased, with
// no user information and no default port added, whatever follows it.
func TestRecordHost(t *testing.T) {
	for u, want := range map[string]string{
		"HTTP://User:p@ss@A.Test:8080/x?y#z": "a.test:8080",
		"http://a.test?q=/p":                 "a.test",
		"https://a.test#frag":                "a.test",
		"https://a.test":                     "a.test",
		"http://[::1]:81/":                   "[::1]:81",
		"a.test/x":                           "a.test",
	} {
		if got := (&Record{URL: u}).Host(); got != want {
			t.Errorf("Host of %q = %q, want %q", u, got, want)
		}
	}
}

// TestPlainRequestIsWhatNewRequestMakes: a plain request with no body is
// built without http.NewRequestWithContext, and must be the request it
// would have made, field for field, context included.
func TestPlainRequestIsWhatNewRequestMakes(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, 1)
	f := mustNew(t, Config{Header: http.Header{"X-A": {"b"}}})
	u, err := url.Parse("http://a.example:8080/p?q=1")
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		got := f.plainRequest(ctx, &Input{URL: u.String()}, method, u, nil, 0, nil)
		want, err := http.NewRequestWithContext(ctx, method, "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		want.URL, want.Host, want.Header = u, u.Host, f.header
		if got == nil || !reflect.DeepEqual(got, want) || got.Context() != ctx {
			t.Errorf("%s: got\n%#v\nwant\n%#v", method, got, want)
		}
	}
	// A body, or another method, still goes through NewRequestWithContext.
	if req := f.plainRequest(ctx, &Input{}, http.MethodPost, u, []byte("x"), 0, nil); req == nil || req.ContentLength != 1 || req.GetBody == nil {
		t.Errorf("a POST with a body: %#v", req)
	}
}
