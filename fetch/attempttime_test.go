package fetch

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// TestAttemptTimes: a fetch that is retried records each attempt, with the
// backoff after it and the host pause its Retry-After set, in virtual time
// so that every figure is exact; a fetch of one attempt records none.
func TestAttemptTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if err := wait(req, 100*time.Millisecond); err != nil {
				return nil, err
			}
			switch {
			case req.URL.Path == "/once":
			case n == 1:
				return respond(503, "later", "Retry-After", "2"), nil
			case n == 2:
				return nil, errors.New("connection reset by peer")
			}
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Retries: 3, RetryBase: time.Second, RetryMax: time.Second})
		c, _ := runAll(t, f, []string{"http://a.test/flaky", "http://b.test/once"})
		recs := c.byURL()
		if once := recs["http://b.test/once"]; once.AttemptTimes != nil {
			t.Errorf("one attempt: %+v", *once.AttemptTimes)
		}
		r := recs["http://a.test/flaky"]
		if r.Attempts != 3 || r.AttemptTimes == nil || len(*r.AttemptTimes) != 3 {
			t.Fatalf("record %+v", r)
		}
		at := *r.AttemptTimes
		ms := time.Millisecond
		// 0–100ms 503, pause and wait 2s; 2100–2200 reset, backoff in
		// [0.5s, 1s]; then 100ms to the 200.
		if at[0].Start != 0 || at[0].End != 100*ms || at[0].Status != 503 || at[0].ErrorKind != KindHTTP ||
			at[0].Pause != 2*time.Second || at[0].Backoff != 2*time.Second {
			t.Errorf("attempt 1: %+v", at[0])
		}
		if at[1].Start != 2100*ms || at[1].End != 2200*ms || at[1].ErrorKind != KindNetwork || at[1].Pause != 0 ||
			at[1].Backoff < 500*ms || at[1].Backoff > time.Second {
			t.Errorf("attempt 2: %+v", at[1])
		}
		if at[2].Start != at[1].End+at[1].Backoff || at[2].End != at[2].Start+100*ms || at[2].Status != 200 || at[2].ErrorKind != "" {
			t.Errorf("attempt 3: %+v", at[2])
		}
		if end := r.Start + r.Queued + r.Duration; end != at[2].End {
			t.Errorf("the record ends at %v, its last attempt at %v", end, at[2].End)
		}
		// The times survive JSON Lines.
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Record
		if err := json.Unmarshal(b, &back); err != nil || back.AttemptTimes == nil || len(*back.AttemptTimes) != 3 ||
			(*back.AttemptTimes)[1].Start != at[1].Start || (*back.AttemptTimes)[0].Pause != at[0].Pause {
			t.Errorf("round trip: %v %s", err, b)
		}
	})
}

// TestAttemptTimesOfAFirstAttemptThatPausedNothing: the first attempt's
// times are made only when a second attempt comes, from what the record
// still holds of the first; they must be what the attempt measured: its
// own wait (not the waits for a slot since), start, end, status, error
// kind and backoff. One slot for two URLs makes the waits: whichever goes
// first, the other waits for it before an attempt.
func TestAttemptTimesOfAFirstAttemptThatPausedNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			d := 100 * time.Millisecond
			if req.URL.Path == "/slow" {
				d = 3 * time.Second
			}
			if err := wait(req, d); err != nil {
				return nil, err
			}
			switch {
			case req.URL.Path == "/slow":
			case n == 1:
				return respond(503, "later"), nil // no Retry-After: a backoff, no pause
			case n == 2:
				return nil, errors.New("connection reset by peer")
			}
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 1, Retries: 3, RetryBase: time.Second, RetryMax: time.Second})
		c, _ := runAll(t, f, []string{"http://a.test/flaky", "http://b.test/slow"})
		r := c.byURL()["http://a.test/flaky"]
		if r.Attempts != 3 || r.AttemptTimes == nil || len(*r.AttemptTimes) != 3 {
			t.Fatalf("record %+v", r)
		}
		at := *r.AttemptTimes
		ms := time.Millisecond
		if at[0].Start != r.Start+at[0].Queued || at[0].End != at[0].Start+100*ms || at[0].Status != 503 ||
			at[0].ErrorKind != KindHTTP || at[0].Pause != 0 || at[0].Backoff < 500*ms || at[0].Backoff > time.Second {
			t.Errorf("attempt 1: %+v (record starts at %v)", at[0], r.Start)
		}
		if at[1].Start != at[0].End+at[0].Backoff+at[1].Queued || at[1].End != at[1].Start+100*ms ||
			at[1].Status != 0 || at[1].ErrorKind != KindNetwork {
			t.Errorf("attempt 2: %+v", at[1])
		}
		if at[2].Start != at[1].End+at[1].Backoff+at[2].Queued || at[2].Status != 200 || at[2].ErrorKind != "" {
			t.Errorf("attempt 3: %+v", at[2])
		}
		if q := at[0].Queued + at[1].Queued + at[2].Queued; q != r.Queued || r.Queued < 2*time.Second {
			t.Errorf("the attempts waited %v, the record %v (want the slow URL's 3s less at most a backoff)", q, r.Queued)
		}
		if end := r.Start + r.Queued + r.Duration; end != at[2].End {
			t.Errorf("the record ends at %v, its last attempt at %v", end, at[2].End)
		}
	})
}
