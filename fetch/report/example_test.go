package report_test

import (
	"fmt"
	"os"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/report"
)

// A run's records as a table, and its summary, from records gathered
// outside a run (fetch.NewSummary); a run's own summary reads the same.
func Example() {
	recs := []fetch.Record{
		{Line: 1, URL: "http://a.test/", Outcome: fetch.OK, Status: 200, Bytes: 2048, Attempts: 1, Duration: 120 * time.Millisecond},
		{Line: 2, URL: "http://a.test/missing", Outcome: fetch.HTTPError, Status: 404, ErrorKind: fetch.KindHTTP, Error: "404 Not Found", Attempts: 1, Duration: 30 * time.Millisecond},
	}
	table := report.NewTableWriter(os.Stdout)
	sum := fetch.NewSummary(time.Unix(0, 0), false)
	for i := range recs {
		table.Write(&recs[i])
		sum.Add(&recs[i])
	}
	sum.Finish(time.Unix(0, int64(150*time.Millisecond)))
	fmt.Print(report.Summary(sum))
	// Output:
	// LINE  OUTCOME     STATUS       TIME      BYTES  URL
	//      1  ok             200      120ms    2.0 KiB  http://a.test/
	//      2  http_error     404       30ms        0 B  http://a.test/missing  (404 Not Found)
	// 2 URLs in 150ms
	//   outcomes   ok 1 · http errors 1 · errors 0 · invalid 0 · cancelled 0 · skipped 0
	//   statuses   2xx 1 · 4xx 1
	//   failures   http_status 1
	//   time       150ms of 2 requests in 150ms wall: concurrency gain 1.0×
	//   throughput 13.3 requests/s, 13.3 KiB/s
	//   latency    p50 30.3ms · p90 120ms · p99 120ms · max 120ms
	//   fastest    120ms http://a.test/
	//   slowest    120ms http://a.test/ (200)
	//              30ms http://a.test/missing (http_status)
}
