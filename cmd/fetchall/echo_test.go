package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// echoServer records "METHOD [X-A values] body" for every request.
func echoServer(t *testing.T, seen *[]string) string {
	t.Helper()
	var mu sync.Mutex
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		*seen = append(*seen, fmt.Sprintf("%s %v %s", r.Method, r.Header.Values("X-A"), body))
		mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}
