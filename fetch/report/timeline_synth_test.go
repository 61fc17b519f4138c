package report

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/asyncgo/async/fetch"
)

// syntheticRun makes the records of a run of n URLs, c at a time, as the
// engine would write them: most on one host, some on another; latencies
// from 2 to 60 ms, after up to 4 latencies queued (the backlog); three
// URLs answer 503 at once with a Retry-After that pauses their host
// 300ms, then succeed; every 251st times out twice.
func syntheticRun(n, c int) ([]fetch.Record, time.Duration) {
	rng := rand.New(rand.NewPCG(uint64(n), 21))
	ms := time.Millisecond
	free := make([]time.Duration, c) // when each slot is free
	var pausedUntil time.Duration
	recs := make([]fetch.Record, 0, n)
	var wall time.Duration
	for i := range n {
		slot := 0
		for s := range free {
			if free[s] < free[slot] {
				slot = s
			}
		}
		host := "bench.test"
		if i%5 == 0 {
			host = "other.test"
		}
		r := fetch.Record{Line: i + 1, URL: fmt.Sprintf("http://%s/item/%d?size=%d", host, i, 100+rng.IntN(9000)), Attempts: 1}
		start := max(free[slot], 0)
		if host == "bench.test" && start < pausedUntil {
			start = pausedUntil
		}
		r.Start = max(0, start-time.Duration(rng.IntN(120))*ms)
		queued := start - r.Start
		var tries []fetch.AttemptTime
		at := start
		q := queued
		switch {
		case (i == n/4+1 || i == n/2+1 || i == 3*n/4+1) && host == "bench.test":
			t1 := fetch.AttemptTime{Queued: q, Start: at, End: at + 300*time.Microsecond, TTFB: 250 * time.Microsecond, Status: 503, ErrorKind: fetch.KindHTTP, Pause: 300 * ms, Backoff: 300 * ms}
			pausedUntil = max(pausedUntil, t1.End+t1.Pause)
			at2 := t1.End + t1.Backoff
			t2 := fetch.AttemptTime{Start: at2, End: at2 + 20*ms, TTFB: 15 * ms, Status: 200}
			tries = []fetch.AttemptTime{t1, t2}
			r.Status, r.Outcome, r.Attempts, r.Retried = 200, fetch.OK, 2, t1.Backoff
		case i%251 == 100:
			t1 := fetch.AttemptTime{Queued: q, Start: at, End: at + 80*ms, ErrorKind: fetch.KindTimeout, Backoff: 40 * ms}
			at2 := t1.End + t1.Backoff
			t2 := fetch.AttemptTime{Start: at2, End: at2 + 80*ms, ErrorKind: fetch.KindTimeout}
			tries = []fetch.AttemptTime{t1, t2}
			r.Outcome, r.ErrorKind, r.Error, r.Attempts, r.Retried = fetch.Failed, fetch.KindTimeout, "context deadline exceeded", 2, t1.Backoff
		default:
			d := time.Duration(2+rng.IntN(58)) * ms
			t1 := fetch.AttemptTime{Queued: q, Start: at, End: at + d, TTFB: d * 4 / 5, Status: 200}
			if i < c {
				t1.Connect = 300 * time.Microsecond
			}
			tries = []fetch.AttemptTime{t1}
			r.Status, r.Outcome = 200, fetch.OK
		}
		last := tries[len(tries)-1]
		free[slot] = last.End
		wall = max(wall, last.End)
		r.Queued = queued
		r.Duration = last.End - tries[0].Start
		r.TTFB, r.Connect = last.TTFB, tries[0].Connect
		if len(tries) > 1 {
			r.AttemptTimes = &tries
		}
		recs = append(recs, r)
	}
	return recs, wall
}
