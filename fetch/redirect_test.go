package fetch

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

// seenRequest is what a test server was sent.
type seenRequest struct {
	Method, Host, Path string
	Body               string
	Header             http.Header
}

// recorder keeps every request a test server is sent, in order.
type recorder struct {
	mu   sync.Mutex
	reqs []seenRequest
}

func (rc *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, seenRequest{Method: r.Method, Host: r.Host, Path: r.URL.RequestURI(), Body: string(body), Header: r.Header.Clone()})
		rc.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (rc *recorder) all() []seenRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]seenRequest(nil), rc.reqs...)
}

func (rc *recorder) last() seenRequest {
	all := rc.all()
	if len(all) == 0 {
		return seenRequest{}
	}
	return all[len(all)-1]
}

// startHTTPBin serves go-httpbin on 127.0.0.1, recording what it is sent.
func startHTTPBin(t *testing.T) (*httptest.Server, *recorder) {
	t.Helper()
	rc := &recorder{}
	ts := httptest.NewServer(rc.wrap(httpbin.New()))
	t.Cleanup(ts.Close)
	return ts, rc
}

func hostPort(t *testing.T, rawURL string) (string, string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname(), u.Port()
}

// TestRedirectCredentialsStayWithTheirOrigin: -u (an Authorization header),
// a Cookie header and the password of the URL go to the first origin only,
// as curl does: a redirect to another port, another host (a subdomain
// included) or from https to http drops them, unless LocationTrusted.
func TestRedirectCredentialsStayWithTheirOrigin(t *testing.T) {
	target := &recorder{}
	plain := httptest.NewServer(target.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "landed")
	})))
	defer plain.Close()
	_, plainPort := hostPort(t, plain.URL)

	origin := &recorder{}
	redirector := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		io.WriteString(w, "landed")
	})
	first := httptest.NewServer(origin.wrap(redirector))
	defer first.Close()
	_, firstPort := hostPort(t, first.URL)
	tlsFirst := httptest.NewUnstartedServer(origin.wrap(redirector))
	tlsFirst.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsFirst.StartTLS()
	defer tlsFirst.Close()
	_, tlsPort := hostPort(t, tlsFirst.URL)
	pool := x509.NewCertPool()
	pool.AddCert(tlsFirst.Certificate())

	// The names of RFC 6761's .test reach the servers through the rules,
	// with no DNS lookup: a.test and sub.a.test are other hosts on the
	// same address and port.
	rules := []ConnectTo{
		{Host: "a.test", Port: "443", ToHost: "127.0.0.1", ToPort: tlsPort},
		{Host: "a.test", Port: "80", ToHost: "127.0.0.1", ToPort: plainPort},
		{Port: firstPort, ToHost: "127.0.0.1"},
	}
	h := http.Header{}
	h.Set("Authorization", "Basic YWxpY2U6cHc=")
	h.Set("Cookie", "session=s3cret")
	base := Config{Timeout: 5e9, Retries: -1, Header: h, ConnectTo: rules, TLS: &tls.Config{RootCAs: pool, ServerName: "example.com"}}
	// The test server's certificate names example.com: the TLS case
	// checks it under that name.
	cases := []struct {
		name, from, to string
	}{
		{"other port", "http://127.0.0.1:" + firstPort, "http://127.0.0.1:" + plainPort + "/landed"},
		{"other host", "http://a.test:" + firstPort, "http://sub.a.test:" + firstPort + "/landed"},
		{"https to http", "https://a.test", "http://a.test/landed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, trusted := range []bool{false, true} {
				cfg := base
				cfg.LocationTrusted = trusted
				landing := target
				if c.name == "other host" {
					landing = origin // the same server, under another name
				}
				start := len(landing.all())
				r := fetchOne(t, cfg, c.from+"/?to="+url.QueryEscape(c.to))
				if r.Outcome != OK || r.Status != 200 {
					t.Fatalf("trusted=%v: %s %d %q", trusted, r.Outcome, r.Status, r.Error)
				}
				got := landing.all()[start:]
				if len(got) == 0 {
					t.Fatalf("trusted=%v: the target saw no request", trusted)
				}
				seen := got[len(got)-1]
				auth, cookie := seen.Header.Get("Authorization"), seen.Header.Get("Cookie")
				if trusted && (auth == "" || cookie == "") {
					t.Errorf("with LocationTrusted the credentials are dropped: Authorization %q, Cookie %q", auth, cookie)
				}
				if !trusted && (auth != "" || cookie != "") {
					t.Errorf("credentials went to another origin: Authorization %q, Cookie %q", auth, cookie)
				}
			}
		})
	}

	// Cookies of a jar follow the cookie rules, which ignore ports: the
	// jar's cookie for 127.0.0.1 goes to its other port too.
	t.Run("jar", func(t *testing.T) {
		jar, err := ReadCookieFile(strings.NewReader("127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\t42\n"))
		if err != nil {
			t.Fatal(err)
		}
		r := fetchOne(t, Config{Timeout: 5e9, Retries: -1, Jar: jar},
			"http://127.0.0.1:"+firstPort+"/?to="+url.QueryEscape("http://127.0.0.1:"+plainPort+"/landed"))
		if got := target.last().Header.Get("Cookie"); r.Outcome != OK || got != "sid=42" {
			t.Errorf("%s: the other port got Cookie %q from the jar", r.Outcome, got)
		}
	})

	// The URL's own password follows the same rule.
	t.Run("password in the URL", func(t *testing.T) {
		for _, trusted := range []bool{false, true} {
			r := fetchOne(t, Config{Timeout: 5e9, Retries: -1, LocationTrusted: trusted},
				"http://alice:pw@127.0.0.1:"+firstPort+"/?to="+url.QueryEscape("http://127.0.0.1:"+plainPort+"/landed"))
			if r.Outcome != OK {
				t.Fatalf("%s %q", r.Outcome, r.Error)
			}
			got := target.last().Header.Get("Authorization")
			if trusted != (got == "Basic YWxpY2U6cHc=") {
				t.Errorf("trusted=%v: the other port got Authorization %q", trusted, got)
			}
		}
	})

	// The same origin keeps them, the URL's own password included, as
	// curl sends it to the host it was given for.
	t.Run("same origin", func(t *testing.T) {
		r := fetchOne(t, Config{Timeout: 5e9, Retries: -1},
			"http://alice:pw@127.0.0.1:"+firstPort+"/?to="+url.QueryEscape("/?to=%2Fstop"))
		if r.Outcome != OK {
			t.Fatalf("%s %q", r.Outcome, r.Error)
		}
		all := origin.all()
		last := all[len(all)-1]
		if last.Path != "/stop" || last.Header.Get("Authorization") != "Basic YWxpY2U6cHc=" {
			t.Errorf("same-origin hop %s got Authorization %q", last.Path, last.Header.Get("Authorization"))
		}
	})
}

// TestRedirectKeepsMethodAndBody: on 301 and 302 only POST becomes GET
// (RFC 9110, 15.4.2 and 15.4.3); PUT, PATCH and DELETE keep their method
// and body, as they do on 307 and 308. A 303 makes everything but HEAD a
// GET without a body. Against go-httpbin, which found the bug.
func TestRedirectKeepsMethodAndBody(t *testing.T) {
	ts, rc := startHTTPBin(t)
	cases := []struct {
		method     string
		status     int
		keepPost   []int
		wantMethod string
		wantBody   bool
	}{
		{"PUT", 301, nil, "PUT", true},
		{"PUT", 302, nil, "PUT", true},
		{"PATCH", 301, nil, "PATCH", true},
		{"PATCH", 302, nil, "PATCH", true},
		{"DELETE", 301, nil, "DELETE", true},
		{"DELETE", 302, nil, "DELETE", true},
		{"POST", 301, nil, "GET", false},
		{"POST", 302, nil, "GET", false},
		{"POST", 301, []int{301}, "POST", true},
		{"POST", 302, []int{302}, "POST", true},
		{"POST", 303, []int{303}, "POST", true},
		{"PUT", 303, nil, "GET", false},
		{"POST", 303, nil, "GET", false},
		{"DELETE", 303, nil, "GET", false},
		{"HEAD", 303, nil, "HEAD", false},
		{"PUT", 307, nil, "PUT", true},
		{"POST", 308, nil, "POST", true},
		{"PATCH", 308, nil, "PATCH", true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %d", c.method, c.status), func(t *testing.T) {
			cfg := Config{Timeout: 5e9, Retries: -1, Method: c.method, KeepPost: c.keepPost}
			if c.method != "HEAD" {
				cfg.Body = []byte(`{"n":1}`)
			}
			cfg.Header = http.Header{"Content-Type": {"application/json"}}
			r := fetchOne(t, cfg, ts.URL+"/redirect-to?url=%2Fanything&status_code="+fmt.Sprint(c.status))
			seen := rc.last()
			if r.Outcome != OK || r.Status != 200 || r.Redirects != 1 {
				t.Errorf("%s %d %d redirects %q", r.Outcome, r.Status, r.Redirects, r.Error)
			}
			if seen.Path != "/anything" || seen.Method != c.wantMethod {
				t.Errorf("the target saw %s %s, want %s", seen.Method, seen.Path, c.wantMethod)
			}
			if gotBody := seen.Body == `{"n":1}`; gotBody != c.wantBody {
				t.Errorf("the target got body %q (want it: %v)", seen.Body, c.wantBody)
			}
			if cfg.Body != nil && !c.wantBody && seen.Header.Get("Content-Type") != "" {
				t.Errorf("a request without its body still says Content-Type %q", seen.Header.Get("Content-Type"))
			}
		})
	}
}

// TestFailedRedirectChainKeepsItsStatus: a chain that fails (too many
// redirects, a Location that is not http) keeps the status and URL of its
// last response, and its error names the absolute Location.
func TestFailedRedirectChainKeepsItsStatus(t *testing.T) {
	ts, _ := startHTTPBin(t)
	r := fetchOne(t, Config{Timeout: 5e9, Retries: 3, MaxRedirects: 2}, ts.URL+"/relative-redirect/5")
	if r.Outcome != Failed || r.ErrorKind != KindRedirects || r.Attempts != 1 {
		t.Fatalf("%s %s %d %q", r.Outcome, r.ErrorKind, r.Attempts, r.Error)
	}
	if r.Status != 302 || r.FinalURL != ts.URL+"/relative-redirect/3" || r.Redirects != 2 {
		t.Errorf("status %d final %q redirects %d, want 302, the third URL, 2", r.Status, r.FinalURL, r.Redirects)
	}
	if !strings.Contains(r.Error, ts.URL+"/relative-redirect/2") {
		t.Errorf("error %q does not name the absolute Location", r.Error)
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", r.URL.Query().Get("to"))
		w.WriteHeader(301)
	}))
	defer bad.Close()
	for _, loc := range []string{"ftp://files.example/x", "http://[::1/x"} {
		r = fetchOne(t, Config{Timeout: 5e9, Retries: 3}, bad.URL+"/?to="+url.QueryEscape(loc))
		if r.Outcome != Failed || r.ErrorKind != KindBadRedirect || r.Attempts != 1 || r.Status != 301 ||
			r.FinalURL != bad.URL+"/?to="+url.QueryEscape(loc) || !strings.Contains(r.Error, loc) {
			t.Errorf("Location %s: %s %s %d status %d final %q %q", loc, r.Outcome, r.ErrorKind, r.Attempts, r.Status, r.FinalURL, r.Error)
		}
	}
}

// TestRedirectNotFollowedRecordsLocation: with no redirects followed the
// 3xx is the result, and the record says where it pointed, made absolute
// (curl's %{redirect_url}).
func TestRedirectNotFollowedRecordsLocation(t *testing.T) {
	ts, _ := startHTTPBin(t)
	r := fetchOne(t, Config{Timeout: 5e9, Retries: -1, MaxRedirects: -1}, ts.URL+"/relative-redirect/2")
	if r.Outcome != OK || r.Status != 302 || r.RedirectURL != ts.URL+"/relative-redirect/1" || r.Redirects != 0 {
		t.Errorf("%s %d redirect_url %q redirects %d", r.Outcome, r.Status, r.RedirectURL, r.Redirects)
	}
	r = fetchOne(t, Config{Timeout: 5e9, Retries: -1}, ts.URL+"/relative-redirect/2")
	if r.Outcome != OK || r.Status != 200 || r.RedirectURL != "" || r.Redirects != 2 || r.FinalURL != ts.URL+"/get" {
		t.Errorf("followed: %s %d redirect_url %q redirects %d final %q", r.Outcome, r.Status, r.RedirectURL, r.Redirects, r.FinalURL)
	}
}

// TestMultipleChoicesWithLocationIsFollowed: a 300 with a Location is
// followed, keeping its method, as curl -L does; one without is the result.
func TestMultipleChoicesWithLocationIsFollowed(t *testing.T) {
	ts, rc := startHTTPBin(t)
	r := fetchOne(t, Config{Timeout: 5e9, Retries: -1, Method: "PUT", Body: []byte("x")}, ts.URL+"/redirect-to?url=%2Fanything&status_code=300")
	if r.Outcome != OK || r.Status != 200 || r.Redirects != 1 || rc.last().Method != "PUT" || rc.last().Body != "x" {
		t.Errorf("300 with Location: %s %d %d redirects; the target saw %s %q", r.Outcome, r.Status, r.Redirects, rc.last().Method, rc.last().Body)
	}
	none := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(300) }))
	defer none.Close()
	r = fetchOne(t, Config{Timeout: 5e9, Retries: -1}, none.URL)
	if r.Outcome != OK || r.Status != 300 || r.Redirects != 0 {
		t.Errorf("300 without Location: %s %d", r.Outcome, r.Status)
	}
}

// TestReferer: none by default (curl sends none); with AutoReferer, the
// strict-origin-when-cross-origin policy of browsers: the whole URL (less
// fragment and password) within an origin, only the origin to another
// one, nothing from https to http.
func TestReferer(t *testing.T) {
	ts, rc := startHTTPBin(t)
	other := httptest.NewServer(rc.wrap(httpbin.New()))
	defer other.Close()
	sameTo := ts.URL + "/redirect-to?url=" + url.QueryEscape("/anything")
	crossTo := ts.URL + "/redirect-to?url=" + url.QueryEscape(other.URL+"/anything")

	for _, u := range []string{sameTo, crossTo} {
		if r := fetchOne(t, Config{Timeout: 5e9, Retries: -1}, u); r.Outcome != OK {
			t.Fatal(r.Error)
		}
		for _, s := range rc.all() {
			if ref := s.Header.Get("Referer"); ref != "" {
				t.Errorf("%s was sent Referer %q by default", s.Path, ref)
			}
		}
	}
	cfg := Config{Timeout: 5e9, Retries: -1, AutoReferer: true}
	fetchOne(t, cfg, sameTo)
	if got := rc.last().Header.Get("Referer"); got != sameTo {
		t.Errorf("same origin: Referer %q, want %q", got, sameTo)
	}
	fetchOne(t, cfg, crossTo)
	if got := rc.last().Header.Get("Referer"); got != ts.URL+"/" {
		t.Errorf("cross origin: Referer %q, want only the origin %q", got, ts.URL+"/")
	}
	if got := refererFor(mustParse(t, "https://a.example/p?q=1"), mustParse(t, "http://a.example/")); got != "" {
		t.Errorf("https to http: Referer %q, want none", got)
	}
	if got := refererFor(mustParse(t, "https://u:pw@a.example/p?q=1#frag"), mustParse(t, "https://a.example/z")); got != "https://a.example/p?q=1" {
		t.Errorf("same origin with userinfo and fragment: Referer %q", got)
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestRecordSaysHowTheResponseCame: the HTTP version, the redirects
// followed, where an unfollowed 3xx pointed and the content encoding are
// in the record, and in its JSON and CSV forms.
func TestRecordSaysHowTheResponseCame(t *testing.T) {
	ts, _ := startHTTPBin(t)
	r := fetchOne(t, Config{Timeout: 5e9, Retries: -1, Compressed: true}, ts.URL+"/redirect-to?url=%2Fgzip")
	if r.HTTPVersion != "1.1" || r.Redirects != 1 || r.ContentEncoding != "gzip" {
		t.Errorf("http/1.1: version %q, %d redirects, encoding %q", r.HTTPVersion, r.Redirects, r.ContentEncoding)
	}
	h2 := httptest.NewUnstartedServer(httpbin.New())
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()
	pool := x509.NewCertPool()
	pool.AddCert(h2.Certificate())
	r2 := fetchOne(t, Config{Timeout: 5e9, Retries: -1, TLS: &tls.Config{RootCAs: pool}}, h2.URL+"/get")
	if r2.Outcome != OK || r2.HTTPVersion != "2" {
		t.Errorf("h2: %s %q, version %q", r2.Outcome, r2.Error, r2.HTTPVersion)
	}

	rec := Record{Line: 1, URL: "http://a.test/", Outcome: OK, Status: 302, HTTPVersion: "2", Redirects: 3,
		RedirectURL: "http://b.test/x", ContentEncoding: "br"}
	b, err := rec.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"http_version":"2"`, `"redirects":3`, `"redirect_url":"http://b.test/x"`, `"content_encoding":"br"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	var back Record
	if err := back.UnmarshalJSON(b); err != nil || back != rec {
		t.Errorf("read back %+v (%v), want %+v", back, err, rec)
	}
	var out bytes.Buffer
	w := NewCSVWriter(&out)
	if err := w.Write(&rec); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasSuffix(lines[0], ",http_version,redirects,redirect_url,content_encoding") ||
		!strings.HasSuffix(lines[1], ",2,3,http://b.test/x,br") {
		t.Errorf("CSV:\n%s", out.String())
	}
}

// TestRejectedClientCertificateIsTLS: a server that rejects the client's
// certificate (or its lack of one) fails the URL as tls, not retried: the
// same certificate would be rejected again.
func TestRejectedClientCertificateIsTLS(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: x509.NewCertPool()}
	ts.StartTLS()
	defer ts.Close()
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	for _, max := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, certs := range [][]tls.Certificate{ts.TLS.Certificates, nil} {
			r := fetchOne(t, Config{Timeout: 5e9, Retries: 3, RetryBase: 1e6, RetryMax: 1e6,
				TLS: &tls.Config{RootCAs: pool, MaxVersion: max, Certificates: certs}}, ts.URL)
			if r.Outcome != Failed || r.ErrorKind != KindTLS || r.Attempts != 1 {
				t.Errorf("TLS max %x, %d certificates: %s %s after %d attempts: %q", max, len(certs), r.Outcome, r.ErrorKind, r.Attempts, r.Error)
			}
		}
	}
}

// TestLineBodyWithoutMethodIsPOST: a JSON line with a body and no method
// of its own goes out as POST, as curl -d does, when the run's method is
// GET; a method given on the line or for the run is kept.
func TestLineBodyWithoutMethodIsPOST(t *testing.T) {
	ts, rc := startHTTPBin(t)
	cases := []struct {
		line, runMethod, want string
	}{
		{`{"url":"` + ts.URL + `/anything","body":"n=1"}`, "", "POST"},
		{`{"url":"` + ts.URL + `/anything","body":"n=1","method":"PUT"}`, "", "PUT"},
		{`{"url":"` + ts.URL + `/anything","body":"n=1"}`, "PATCH", "PATCH"},
		{`{"url":"` + ts.URL + `/anything"}`, "", "GET"},
	}
	for _, c := range cases {
		in, _ := ParseInputLine(c.line)
		f := mustNew(t, Config{Timeout: 5e9, Retries: -1, Method: c.runMethod})
		r := f.Do(t.Context(), in)
		f.Close()
		if r.Outcome != OK || rc.last().Method != c.want {
			t.Errorf("%s with -X %q: %s %q, the server saw %s, want %s", c.line, c.runMethod, r.Outcome, r.Error, rc.last().Method, c.want)
		}
	}
}
