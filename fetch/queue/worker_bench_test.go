package queue

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/queue/embedded"
)

// BenchmarkWorker runs one worker over a fresh job of 5,000 URLs on 8
// hosts of an in-process site, with enqueue and collect, as
// bench/queue/run.sh does across processes; it times from the enqueue,
// once the worker holds its partitions, to the last record collected.
// Everything runs in the benchmark's process, the NATS server and the site
// included, so ns/URL and allocs/op are those of the whole pipeline.
func BenchmarkWorker(b *testing.B) {
	const n = 5000
	srv, err := embedded.Start(embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	body := make([]byte, 1000)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer web.Close()
	s := &site{Server: web}
	var urls []string
	for i := range n {
		urls = append(urls, fmt.Sprintf("http://h%d.test/item?i=%d", i%8, i))
	}
	nc, js, err := Connect(srv.URL, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		b.StopTimer() // a worker takes its partitions a quarter of the lease TTL after it starts
		job, err := Open(ctx, js, "bench"+strconv.Itoa(i), Options{LeaseTTL: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		wctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		w := &Worker{Job: job, Config: s.config(64), ID: "w1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		go func() {
			_, err := w.Run(wctx)
			done <- err
		}()
		time.Sleep(time.Second)
		b.StartTimer()
		if _, err := Enqueue(ctx, job, fetch.Slice(urls)); err != nil {
			b.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		c, err := Collect(cctx, job, fetch.SinkFunc(func(*fetch.Record) error { return nil }), CollectOptions{})
		cancel()
		if err != nil || c.Done != n {
			b.Fatalf("collected %d of %d: %v", c.Done, n, err)
		}
		b.StopTimer()
		stop()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		if err := job.Delete(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/URL")
}
