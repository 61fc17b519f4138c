package fetch

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// The benchmarks fetch b.N URLs with 1 kB bodies from a local server at
// concurrency 32: the engine (records, summary, retries armed, tracing),
// and beside it the floor: bare goroutines behind a semaphore sharing one
// net/http client with the same connection pool. The difference is the
// engine's cost per URL.

func benchServer(b *testing.B) *httptest.Server {
	body := make([]byte, 1000)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	b.Cleanup(ts.Close)
	return ts
}

func BenchmarkRun(b *testing.B) {
	ts := benchServer(b)
	f := mustNewB(b, Config{Concurrency: 32})
	defer f.Close()
	n := b.N
	src := func(yield func(Input, error) bool) {
		for i := range n {
			if !yield(Input{Line: i + 1, URL: ts.URL + "/?i=" + strconv.Itoa(i)}, nil) {
				return
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	sum, err := f.Run(context.Background(), src, NewJSONLWriter(io.Discard))
	if err != nil || sum.Outcomes[OK] != int64(n) {
		b.Fatalf("%v: %v", err, sum.Outcomes)
	}
}

func BenchmarkFloorSemaphore(b *testing.B) {
	ts := benchServer(b)
	client := &http.Client{Transport: newTransport(Config{Concurrency: 32, Timeout: 30e9})}
	defer client.CloseIdleConnections()
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			resp, err := client.Get(ts.URL + "/?i=" + strconv.Itoa(i))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	wg.Wait()
}

func mustNewB(b *testing.B, cfg Config) *Fetcher {
	f, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return f
}
