package fetch

import (
	"net/http"
	"testing"
)

// Record.HTTPVersion is written as curl writes %{http_version}.
func TestHTTPVersionAsCurlWritesIt(t *testing.T) {
	for _, c := range []struct {
		major, minor int
		want         string
	}{{1, 0, "1.0"}, {1, 1, "1.1"}, {2, 0, "2"}, {3, 0, "3"}, {0, 9, "0.9"}} {
		if got := httpVersion(&http.Response{ProtoMajor: c.major, ProtoMinor: c.minor}); got != c.want {
			t.Errorf("HTTP/%d.%d: %q, want %q", c.major, c.minor, got, c.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { httpVersion(&http.Response{ProtoMajor: 1, ProtoMinor: 1}) }); n != 0 {
		t.Errorf("HTTP/1.1 costs %v allocations, want 0", n)
	}
}
