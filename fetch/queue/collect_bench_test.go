package queue

import (
	"context"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/queue/embedded"
	"github.com/nats-io/nats.go"
)

// BenchmarkCollect reads a job's 20,000 records, as fetchall collect does
// at the end of a run; ns/op is per record, the server's delivery included
// (it runs in the process).
func BenchmarkCollect(b *testing.B) {
	const n = 20000
	srv, err := embedded.Start(embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	nc, js, err := Connect(srv.URL, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	job, err := Open(ctx, js, "bench", Options{Partitions: 2, Memory: true})
	if err != nil {
		b.Fatal(err)
	}
	for line := 1; line <= n; line++ {
		rec := fetch.Record{Line: line, URL: "http://a.test/item?size=1000", Outcome: fetch.OK, Status: 200,
			Bytes: 1000, Attempts: 1, Start: time.Millisecond, Duration: 2 * time.Millisecond, TTFB: time.Millisecond}
		msg := nats.NewMsg(job.resultsSubject())
		msg.Data, _ = rec.MarshalJSON()
		msg.Header.Set(hdrWorker, "w1")
		if _, err := publishAsync(ctx, js, msg, job.msgID(line)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(10 * time.Second):
		b.Fatal("records not stored")
	}
	if err := job.setInfo(ctx, Info{Total: n, MaxLine: n}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c, err := Collect(ctx, job, fetch.SinkFunc(func(*fetch.Record) error { return nil }), CollectOptions{})
		if err != nil || c.Done != n {
			b.Fatalf("collected %d of %d: %v", c.Done, n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}
