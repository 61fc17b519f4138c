package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
)

func TestBodyHasRequestedSize(t *testing.T) {
	h := newHandler()
	for _, size := range []int{0, 1, 100, 10_000, len(chunk), 3*len(chunk) + 7} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/b/"+strconv.Itoa(size), nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("size %d: status %d", size, rec.Code)
		}
		if got := rec.Body.Len(); got != size {
			t.Errorf("size %d: body has %d bytes", size, got)
		}
		if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(size) {
			t.Errorf("size %d: Content-Length %q", size, got)
		}
	}
}

func TestBadRequestsAreRejected(t *testing.T) {
	h := newHandler()
	for _, target := range []string{
		"/b/x", "/b/-1", "/b/" + strconv.Itoa(maxBodySize+1),
		"/b/10?delay=soon", "/b/10?delay=-1s", "/b/10?delay=2m",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", target, rec.Code)
		}
	}
}

func TestDelayIsHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHandler()
		start := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/b/5?delay=50ms", nil))
		if rec.Code != http.StatusOK || rec.Body.Len() != 5 {
			t.Fatalf("status %d, %d bytes", rec.Code, rec.Body.Len())
		}
		if got := time.Since(start); got != 50*time.Millisecond {
			t.Errorf("answered after %v, want 50ms", got)
		}
	})
}

func TestLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "nonsense"} {
		if err := run(addr); err == nil {
			t.Errorf("run(%q) succeeded, want an error", addr)
		}
	}
}
