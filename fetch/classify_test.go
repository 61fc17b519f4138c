package fetch

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHTTPSToAPlainHTTPPortIsTLSAndNotRetried(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()
	r := fetchOne(t, Config{Retries: 3}, strings.Replace(ts.URL, "http://", "https://", 1))
	if r.Outcome != Failed || r.ErrorKind != KindTLS || r.Attempts != 1 {
		t.Errorf("https:// to a plain HTTP port: %+v", r)
	}
}

func TestPortOutOfRangeIsAnInvalidURL(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:99999/", "http://127.0.0.1:0/", "https://a.example:65536/"} {
		r := fetchOne(t, Config{Retries: 3}, u)
		if r.Outcome != Invalid || r.ErrorKind != KindInvalidURL || r.Attempts != 0 {
			t.Errorf("%s: %+v", u, r)
		}
	}
	if _, err := ParseURL("http://a.example:65535/"); err != nil {
		t.Errorf("port 65535: %v", err)
	}
}
