package main

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Limits keep a mistyped URL from tying the benchmark machine up.
const (
	maxBodySize = 64 << 20
	maxDelay    = time.Minute
)

// chunk is what every body is cut from: writing slices of one shared buffer
// costs the server no allocation per request, so the fetchers are what the
// benchmark measures.
var chunk = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}()

// newHandler returns the benchmark's routes:
//
//	GET /b/{size}?delay=D  size bytes of text after a delay D (a Go duration, default 0)
//	GET /healthz           "ok", for readiness checks
func newHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /b/{size}", serveBody)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	return mux
}

func serveBody(w http.ResponseWriter, r *http.Request) {
	size, err := strconv.Atoi(r.PathValue("size"))
	if err != nil || size < 0 || size > maxBodySize {
		http.Error(w, fmt.Sprintf("size must be an integer from 0 to %d", maxBodySize), http.StatusBadRequest)
		return
	}
	var delay time.Duration
	if d := r.URL.Query().Get("delay"); d != "" {
		delay, err = time.ParseDuration(d)
		if err != nil || delay < 0 || delay > maxDelay {
			http.Error(w, fmt.Sprintf("delay must be a Go duration from 0 to %v", maxDelay), http.StatusBadRequest)
			return
		}
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain")
	h.Set("Content-Length", strconv.Itoa(size))
	for size > 0 {
		n := min(size, len(chunk))
		if _, err := w.Write(chunk[:n]); err != nil {
			return // the client went away; nothing left to tell it
		}
		size -= n
	}
}
