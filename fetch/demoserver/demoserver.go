// Package demoserver is a local HTTP server that behaves like a slice of
// the real web — varied latency and sizes, errors, flaky and rate-limited
// endpoints, redirects, slow, hanging and broken responses — so that
// fetchall, its tests and examples run with no network.
//
//	s, err := demoserver.Start()
//	if err != nil { ... }
//	defer s.Close()
//	urls := s.List(200) // a reproducible mix of every endpoint
//
// Endpoints (all GET, parameters in the query):
//
//	/item?delay=50ms&size=1000     waits delay, then sends size bytes
//	/status?code=404               answers with that status
//	/flaky?id=X&code=503&after=1&fails=1
//	                               the first fails requests for id get code
//	                               with Retry-After: after (seconds), then 200
//	/redirect?n=3                  redirects n times, then to /item
//	/loop                          redirects to itself forever
//	/slow?size=4096&every=100ms    sends the body 1 KiB at a time, every interval
//	/hang                          never answers (until the client gives up)
//	/reset                         resets the connection without answering
//	/truncated?size=1000           promises size bytes, sends half, closes
//	/huge?size=N                   sends N bytes (0: without end), as fast as it can
//	/file?size=N&range=ok&cut=K    a file of N bytes that honours Range (206,
//	                               416); range=ignore answers 200 with all of
//	                               it, range=wrong a 206 that starts at 0
//	                               whatever was asked; cut=K sends only K bytes
//	                               of a request without Range, then drops the
//	                               connection
//	/gzip?size=N                   N bytes, gzip-encoded if the client accepts it
//	/echo                          a JSON description of the request: method,
//	                               headers, body, client certificate
//
// [StartTLS] serves the same endpoints over HTTPS with a certificate from a
// CA made for the server, and accepts client certificates from that CA.
package demoserver

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Server is a running demo server on 127.0.0.1.
type Server struct {
	// URL is the server's base URL, like "http://127.0.0.1:43121", with no
	// trailing slash.
	URL string

	srv     *http.Server
	ln      net.Listener
	closing chan struct{}
	once    sync.Once
	served  sync.WaitGroup // the Serve goroutine
	// Handlers hold active for reading while they run; Close takes it for
	// writing to wait for them, and sets closed so that late ones return.
	active sync.RWMutex
	closed bool

	mu    sync.Mutex
	flaky map[string]int // requests seen per flaky id

	ca *authority // StartTLS only
}

// Start starts a server on a free port of 127.0.0.1 and returns once it
// accepts connections.
func Start() (*Server, error) { return listen(nil) }

func listen(ca *authority) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demoserver: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln, closing: make(chan struct{}), flaky: map[string]int{}, ca: ca}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	if ca != nil {
		cfg, err := ca.serverConfig()
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("demoserver: %w", err)
		}
		s.URL = "https://" + ln.Addr().String()
		// Clients that refuse the certificate are what the TLS server is
		// for: their handshake errors are not news.
		s.srv.ErrorLog = log.New(io.Discard, "", 0)
		ln = tls.NewListener(ln, cfg)
		s.ln = ln
	}
	s.served.Add(1)
	go func() {
		defer s.served.Done()
		s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// Close stops the server, ending hanging and slow responses, and returns
// once every handler has returned. Connections are closed before the
// hanging handlers are released, so a client of a hanging URL sees the
// connection end, not an empty answer.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		err = s.srv.Close()
		close(s.closing)
		s.active.Lock()
		s.closed = true
		s.active.Unlock()
		s.served.Wait()
	})
	return err
}

// Handler returns the server's handler, to mount elsewhere (for example in
// an httptest.Server). Its hanging endpoints end when the request's context
// does or when the Server is closed.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/item", s.item)
	mux.HandleFunc("/status", s.status)
	mux.HandleFunc("/flaky", s.flakyHandler)
	mux.HandleFunc("/redirect", s.redirect)
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/slow", s.slow)
	mux.HandleFunc("/hang", s.hang)
	mux.HandleFunc("/reset", s.reset)
	mux.HandleFunc("/truncated", s.truncated)
	mux.HandleFunc("/huge", s.huge)
	mux.HandleFunc("/file", s.file)
	mux.HandleFunc("/gzip", s.gzip)
	mux.HandleFunc("/echo", s.echo)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.active.RLock()
		defer s.active.RUnlock()
		if s.closed {
			http.Error(w, "server closed", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// List returns n URLs of the server: a reproducible mix (the same for the
// same n) that is mostly /item with latencies from 5 ms to 400 ms and sizes
// from 100 B to 256 KiB, with, in every hundred, 404s, 500s, a 503 and a
// 429 that clear after one Retry-After: 1, redirects, a slow body, a
// connection reset and one hanging URL. Each flaky URL has its own id and
// fails only on its first request to this server.
func (s *Server) List(n int) []string {
	rng := rand.New(rand.NewPCG(uint64(n), 2026))
	delays := []int{5, 10, 10, 20, 20, 30, 50, 50, 80, 100, 150, 200, 400}
	sizes := []int{100, 512, 1 << 10, 4 << 10, 10 << 10, 32 << 10, 100 << 10, 256 << 10}
	urls := make([]string, n)
	for i := range urls {
		var path string
		switch i % 100 {
		case 7, 57:
			path = "/status?code=404"
		case 13:
			path = "/status?code=500"
		case 19:
			path = fmt.Sprintf("/flaky?id=%d&code=503&after=1", i)
		case 31:
			path = fmt.Sprintf("/flaky?id=%d&code=429&after=1", i)
		case 23, 73:
			path = "/redirect?n=2"
		case 29:
			path = "/slow?size=8192&every=50ms"
		case 37:
			path = "/reset"
		case 41:
			path = "/hang"
		case 83:
			path = "/status?code=410"
		default:
			path = fmt.Sprintf("/item?delay=%dms&size=%d", delays[rng.IntN(len(delays))], sizes[rng.IntN(len(sizes))])
		}
		urls[i] = s.URL + path
	}
	return urls
}

// block is the content every body repeats, made when first used rather
// than when every command that imports the package starts.
var block = sync.OnceValue(func() []byte {
	b := make([]byte, 32<<10)
	for i := range b {
		b[i] = "abcdefghijklmnopqrstuvwxyz0123456789\n"[i%37]
	}
	return b
})

// wait sleeps d unless the request or the server ends first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}

func intParam(r *http.Request, name string, def int) int {
	if v, err := strconv.Atoi(r.URL.Query().Get(name)); err == nil {
		return v
	}
	return def
}

func durParam(r *http.Request, name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(r.URL.Query().Get(name)); err == nil {
		return v
	}
	return def
}

// writeBody sends size bytes of content (size < 0: until the client leaves).
func writeBody(w io.Writer, size int) error {
	for size != 0 {
		n := len(block())
		if size > 0 {
			n = min(n, size)
			size -= n
		}
		if _, err := w.Write(block()[:n]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) item(w http.ResponseWriter, r *http.Request) {
	if !s.wait(r, durParam(r, "delay", 0)) {
		return
	}
	size := max(intParam(r, "size", 1024), 0)
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(size))
	writeBody(w, size)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	code := intParam(r, "code", 200)
	if code < 100 || code > 599 {
		code = http.StatusBadRequest
	}
	http.Error(w, http.StatusText(code), code)
}

func (s *Server) flakyHandler(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	s.mu.Lock()
	s.flaky[id]++
	seen := s.flaky[id]
	s.mu.Unlock()
	if seen <= intParam(r, "fails", 1) {
		code := intParam(r, "code", http.StatusServiceUnavailable)
		w.Header().Set("Retry-After", strconv.Itoa(intParam(r, "after", 1)))
		http.Error(w, http.StatusText(code), code)
		return
	}
	writeBody(w, intParam(r, "size", 512))
}

func (s *Server) redirect(w http.ResponseWriter, r *http.Request) {
	n := intParam(r, "n", 1)
	if n <= 0 {
		http.Redirect(w, r, "/item?size=256", http.StatusFound)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/redirect?n=%d", n-1), http.StatusFound)
}

func (s *Server) slow(w http.ResponseWriter, r *http.Request) {
	size := max(intParam(r, "size", 4096), 0)
	every := durParam(r, "every", 100*time.Millisecond)
	w.Header().Set("Content-Length", strconv.Itoa(size))
	flusher, _ := w.(http.Flusher)
	for size > 0 {
		n := min(size, 1024)
		size -= n
		if _, err := w.Write(block()[:n]); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		if size > 0 && !s.wait(r, every) {
			return
		}
	}
}

func (s *Server) hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.closing:
	}
}

// reset closes the connection with SO_LINGER 0, so the client sees a TCP
// reset rather than a clean end of stream.
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "cannot reset", http.StatusInternalServerError)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

func (s *Server) truncated(w http.ResponseWriter, r *http.Request) {
	size := max(intParam(r, "size", 1000), 2)
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "cannot truncate", http.StatusInternalServerError)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n\r\n", size)
	b := block()
	buf.Write(b[:min(size/2, len(b))])
	buf.Flush()
}

func (s *Server) huge(w http.ResponseWriter, r *http.Request) {
	size := intParam(r, "size", 0)
	if size <= 0 {
		size = -1
	} else {
		w.Header().Set("Content-Length", strconv.Itoa(size))
	}
	writeBody(w, size) // an error means the client has gone
}
