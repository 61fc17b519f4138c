package fetch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

func TestRunOneRecordPerInputWithOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			switch req.URL.Path {
			case "/404":
				return respond(404, "no"), nil
			case "/big":
				return respond(200, strings.Repeat("x", 5000)), nil
			}
			return respond(200, "hello"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 4})
		list := []string{"http://a.test/1", "http://a.test/404", "ftp://a.test/f", "nope", "http://a.test/big", "# comment", "", "http://b.test/2"}
		c, sum := runAll(t, f, list)
		got := c.byURL()
		if len(c.recs) != 6 {
			t.Fatalf("%d records, want 6: %+v", len(c.recs), c.recs)
		}
		check := func(u string, line int, o Outcome, status int, kind string) {
			t.Helper()
			r := got[u]
			if r.Line != line || r.Outcome != o || r.Status != status || r.ErrorKind != kind {
				t.Errorf("%s: line %d outcome %s status %d kind %q; want %d %s %d %q", u, r.Line, r.Outcome, r.Status, r.ErrorKind, line, o, status, kind)
			}
		}
		check("http://a.test/1", 1, OK, 200, "")
		check("http://a.test/404", 2, HTTPError, 404, KindHTTP)
		check("ftp://a.test/f", 3, Invalid, 0, KindUnsupportedScheme)
		check("nope", 4, Invalid, 0, KindUnsupportedScheme)
		check("http://a.test/big", 5, OK, 200, "")
		check("http://b.test/2", 8, OK, 200, "")
		if got["http://a.test/big"].Bytes != 5000 || got["http://a.test/1"].Attempts != 1 || got["nope"].Attempts != 0 {
			t.Errorf("bytes/attempts wrong: %+v", got)
		}
		if sum.Inputs != 6 || sum.Outcomes[OK] != 3 || sum.Failures() != 3 || sum.Statuses["4xx"] != 1 || sum.Bytes != 5012 {
			t.Errorf("summary: %+v", sum)
		}
	})
}

func TestRetriesWithBackoffUntilSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if n < 3 {
				return respond(500, "oops"), nil
			}
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, RetryBase: 100 * time.Millisecond, Retries: 3})
		c, _ := runAll(t, f, []string{"http://a.test/"})
		r := c.recs[0]
		if r.Outcome != OK || r.Attempts != 3 || r.Status != 200 {
			t.Fatalf("record %+v", r)
		}
		ts := web.attempts("http://a.test/")
		first, second := ts[1].Sub(ts[0]), ts[2].Sub(ts[1])
		if first < 50*time.Millisecond || first > 100*time.Millisecond || second < 100*time.Millisecond || second > 200*time.Millisecond {
			t.Errorf("backoff waits %v, %v; want in [50ms,100ms] and [100ms,200ms]", first, second)
		}
		if r.Retried != first+second {
			t.Errorf("Retried %v, want %v", r.Retried, first+second)
		}
	})
}

func TestRetriesExhaustedKeepsLastStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) { return respond(503, "busy"), nil })
		f := mustNew(t, Config{Transport: web, Retries: 2})
		c, _ := runAll(t, f, []string{"http://a.test/"})
		r := c.recs[0]
		if r.Outcome != HTTPError || r.Attempts != 3 || r.Status != 503 || r.Error != "503 Service Unavailable" {
			t.Fatalf("record %+v", r)
		}
	})
}

func TestNoRetryForClientErrorsOrWhenDisabled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if req.URL.Path == "/404" {
				return respond(404, ""), nil
			}
			return respond(500, ""), nil
		})
		f := mustNew(t, Config{Transport: web})
		c, _ := runAll(t, f, []string{"http://a.test/404"})
		if c.recs[0].Attempts != 1 {
			t.Errorf("404 attempted %d times", c.recs[0].Attempts)
		}
		f = mustNew(t, Config{Transport: web, Retries: -1})
		c, _ = runAll(t, f, []string{"http://a.test/500"})
		if c.recs[0].Attempts != 1 {
			t.Errorf("500 with retries off attempted %d times", c.recs[0].Attempts)
		}
	})
}

func TestRetryAfterSecondsAndDate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if n > 1 {
				return respond(200, "ok"), nil
			}
			if req.URL.Path == "/secs" {
				return respond(429, "slow down", "Retry-After", "7"), nil
			}
			return respond(503, "later", "Retry-After", time.Now().Add(12*time.Second).UTC().Format(http.TimeFormat)), nil
		})
		f := mustNew(t, Config{Transport: web})
		c, _ := runAll(t, f, []string{"http://a.test/secs", "http://b.test/date"})
		for u, want := range map[string]time.Duration{"http://a.test/secs": 7 * time.Second, "http://b.test/date": 12 * time.Second} {
			ts := web.attempts(u)
			if len(ts) != 2 || ts[1].Sub(ts[0]) != want {
				t.Errorf("%s: attempts at %v; want the second %v after the first", u, ts, want)
			}
			if r := c.byURL()[u]; r.Outcome != OK || r.Retried != want || r.Attempts != 2 {
				t.Errorf("%s: record %+v", u, r)
			}
		}
	})
}

func TestRetryAfterLongerThanTheCapIsFinal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			return respond(503, "", "Retry-After", "3600"), nil
		})
		f := mustNew(t, Config{Transport: web, MaxRetryAfter: time.Minute})
		c, _ := runAll(t, f, []string{"http://a.test/"})
		r := c.recs[0]
		if r.Attempts != 1 || r.ErrorKind != KindRetryAfter || r.Outcome != HTTPError || !strings.Contains(r.Error, "1h0m0s") {
			t.Fatalf("record %+v", r)
		}
	})
}

func TestRetryAfterPausesTheWholeHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			switch req.URL.Path {
			case "/busy":
				if n == 1 {
					return respond(503, "", "Retry-After", "10"), nil
				}
			case "/slow":
				wait(req, time.Second)
			}
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 2, Backlog: -1})
		start := time.Now()
		// /busy pauses host a.test at t=0 for 10s; /other on the same host
		// starts at t=1s, when /slow (another host) frees its slot.
		c, _ := runAll(t, f, []string{"http://a.test/busy", "http://b.test/slow", "http://a.test/other"})
		other := web.attempts("http://a.test/other")
		if len(other) != 1 || other[0].Sub(start) != 10*time.Second {
			t.Fatalf("/other attempted at %v after start; want 10s (the host's pause)", other[0].Sub(start))
		}
		if r := c.byURL()["http://a.test/other"]; r.Queued != 9*time.Second {
			t.Errorf("/other queued %v, want 9s", r.Queued)
		}
	})
}

func TestNetworkErrorsAreClassifiedAndRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			switch req.URL.Path {
			case "/reset":
				if n == 1 {
					return nil, syscall.ECONNRESET
				}
				return respond(200, "ok"), nil
			case "/refused":
				return nil, syscall.ECONNREFUSED
			}
			return nil, errTooManyRedirects
		})
		f := mustNew(t, Config{Transport: web, Retries: 2})
		c, _ := runAll(t, f, []string{"http://a.test/reset", "http://a.test/refused", "http://a.test/loop"})
		got := c.byURL()
		if r := got["http://a.test/reset"]; r.Outcome != OK || r.Attempts != 2 {
			t.Errorf("reset: %+v", r)
		}
		if r := got["http://a.test/refused"]; r.Outcome != Failed || r.ErrorKind != KindRefused || r.Attempts != 3 {
			t.Errorf("refused: %+v", r)
		}
		if r := got["http://a.test/loop"]; r.ErrorKind != KindRedirects || r.Attempts != 1 {
			t.Errorf("redirects: %+v", r)
		}
	})
}

func TestPerAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			<-req.Context().Done()
			return nil, req.Context().Err()
		})
		f := mustNew(t, Config{Transport: web, Timeout: 2 * time.Second, Retries: 1, RetryBase: time.Second, RetryMax: time.Second})
		c, _ := runAll(t, f, []string{"http://a.test/hang"})
		r := c.recs[0]
		if r.Outcome != Failed || r.ErrorKind != KindTimeout || r.Attempts != 2 || !strings.Contains(r.Error, "no response") {
			t.Fatalf("record %+v", r)
		}
		if r.Duration != 4*time.Second+r.Retried {
			t.Errorf("duration %v, want 2 attempts of 2s plus %v of backoff", r.Duration, r.Retried)
		}
	})
}

func TestConcurrencyLimitAndGain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			wait(req, time.Second)
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 10})
		_, sum := runAll(t, f, urls(100, "http://a.test/%d"))
		if web.maxInflight != 10 {
			t.Errorf("max in flight %d, want 10", web.maxInflight)
		}
		if sum.Wall != 10*time.Second || sum.Busy != 100*time.Second || sum.Gain() != 10 {
			t.Errorf("wall %v busy %v gain %v; want 10s, 100s, 10", sum.Wall, sum.Busy, sum.Gain())
		}
		if p := sum.Percentile(50); p != time.Second {
			t.Errorf("p50 %v, want 1s", p)
		}
	})
}

func TestPerHostLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			wait(req, 100*time.Millisecond)
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 10, PerHost: 3})
		list := append(urls(30, "http://a.test/%d"), urls(30, "http://b.test:8080/%d")...)
		c, _ := runAll(t, f, list)
		if len(c.recs) != 60 || web.maxPerHost != 3 {
			t.Errorf("%d records, max per host %d; want 60 and 3", len(c.recs), web.maxPerHost)
		}
	})
}

func TestRateLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) { return respond(200, "ok"), nil })
		f := mustNew(t, Config{Transport: web, Concurrency: 8, Rate: 10})
		_, sum := runAll(t, f, urls(21, "http://a.test/%d"))
		if sum.Wall != 2*time.Second {
			t.Errorf("21 requests at 10/s took %v, want 2s", sum.Wall)
		}
		// Per host: two hosts at 5/s each run side by side.
		f = mustNew(t, Config{Transport: web, Concurrency: 8, HostRate: 5})
		list := append(urls(11, "http://c.test/%d"), urls(11, "http://d.test/%d")...)
		_, sum = runAll(t, f, list)
		if sum.Wall != 2*time.Second {
			t.Errorf("2×11 requests at 5/s per host took %v, want 2s", sum.Wall)
		}
	})
}

// countingSource yields n URLs and counts how many were read.
func countingSource(n int, read *atomic.Int64) iter.Seq2[Input, error] {
	return func(yield func(Input, error) bool) {
		for i := range n {
			read.Add(1)
			if !yield(Input{Line: i + 1, URL: fmt.Sprintf("http://h%d.test/%d", i%7, i)}, nil) {
				return
			}
		}
	}
}

func TestCancellationGivesARecordToEveryURLRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if err := wait(req, time.Second); err != nil {
				return nil, err
			}
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 8, Backlog: 4})
		ctx, cancel := context.WithCancelCause(context.Background())
		time.AfterFunc(2500*time.Millisecond, func() { cancel(errors.New("Ctrl-C")) })
		var read atomic.Int64
		c := &collector{}
		sum, err := f.Run(ctx, countingSource(1000, &read), c)
		if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "Ctrl-C") || !sum.Interrupted {
			t.Fatalf("Run: %v (interrupted %v)", err, sum.Interrupted)
		}
		lines := map[int]bool{}
		for _, r := range c.recs {
			if lines[r.Line] {
				t.Errorf("two records for line %d", r.Line)
			}
			lines[r.Line] = true
		}
		// Two rounds of 8 finished; 8 were in flight, 4 in the backlog, and
		// one more was read while waiting for room in the backlog.
		if int64(len(c.recs)) != read.Load() || read.Load() != 29 {
			t.Fatalf("%d records for %d URLs read; want 29 and 29", len(c.recs), read.Load())
		}
		if sum.Outcomes[OK] != 16 || sum.Outcomes[Cancelled] != 13 {
			t.Errorf("ok %d cancelled %d; want 16 and 13", sum.Outcomes[OK], sum.Outcomes[Cancelled])
		}
		for _, r := range c.recs {
			if r.Outcome == Cancelled && (r.ErrorKind != KindCancelled || !strings.Contains(r.Error, "cancelled")) {
				t.Errorf("cancelled record %+v", r)
			}
		}
	})
}

func TestInputIsReadOnlyAsFastAsSlotsFree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			wait(req, time.Millisecond)
			return respond(200, "ok"), nil
		})
		const conc, backlog = 16, 48
		f := mustNew(t, Config{Transport: web, Concurrency: conc, Backlog: backlog})
		var read, written atomic.Int64
		maxAhead := int64(0)
		sink := SinkFunc(func(*Record) error {
			maxAhead = max(maxAhead, read.Load()-written.Load())
			written.Add(1)
			return nil
		})
		if _, err := f.Run(context.Background(), countingSource(20000, &read), sink); err != nil {
			t.Fatal(err)
		}
		// Memory is bounded by what is read and not yet written: at most
		// the requests in flight and the backlog, plus the one input
		// waiting for room.
		if written.Load() != 20000 || maxAhead > conc+backlog+1 || web.maxInflight != conc {
			t.Fatalf("written %d, read ahead at most %d, in flight at most %d; want 20000, ≤ %d, %d",
				written.Load(), maxAhead, web.maxInflight, conc+backlog+1, conc)
		}
	})
}

func TestSkipInvalidAndSinkErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) { return respond(200, "ok"), nil })
		f := mustNew(t, Config{Transport: web, Skip: func(in Input) (bool, error) { return strings.HasSuffix(in.URL, "/done"), nil }})
		c, sum := runAll(t, f, []string{"http://a.test/done", "http://a.test/new"})
		if len(c.recs) != 1 || c.recs[0].URL != "http://a.test/new" || sum.Outcomes[Skipped] != 1 || sum.Inputs != 2 {
			t.Errorf("records %+v, summary %+v", c.recs, sum.Outcomes)
		}
		if web.calls["http://a.test/done"] != 0 {
			t.Error("a skipped URL was fetched")
		}

		boom := errors.New("disk full")
		_, err := f.Run(context.Background(), Slice(urls(100, "http://a.test/%d")), SinkFunc(func(*Record) error { return boom }))
		if !errors.Is(err, ErrOutput) || !errors.Is(err, boom) {
			t.Errorf("sink error: Run returned %v", err)
		}

		bad := func(yield func(Input, error) bool) {
			yield(Input{Line: 1, URL: "http://a.test/1"}, nil)
			yield(Input{}, errors.New("read failed"))
		}
		c = &collector{}
		_, err = f.Run(context.Background(), bad, c)
		if !errors.Is(err, ErrInput) || len(c.recs) != 1 {
			t.Errorf("source error: Run returned %v with %d records", err, len(c.recs))
		}
	})
}

func TestRunReportsProgressToItsTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			wait(req, time.Duration(n)*time.Millisecond)
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 4, Total: 40})
		task := async.Spawn(context.Background(), func(ctx context.Context) (*Summary, error) {
			return f.Run(ctx, Slice(urls(40, "http://a.test/%d")), &collector{})
		})
		var last async.Progress
		for p := range task.WatchProgress(context.Background()) {
			if p.Done < last.Done {
				t.Errorf("progress went back from %d to %d", last.Done, p.Done)
			}
			last = p
		}
		if _, err := task.Await(context.Background()); err != nil {
			t.Fatal(err)
		}
		if last.Done != 40 || last.Total != 40 {
			t.Errorf("last progress %+v, want 40/40", last)
		}
	})
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []Config{{Concurrency: -1}, {Rate: -1}, {Timeout: -time.Second}, {MaxBody: -1}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestCancellingAtAnyMomentLosesNoInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) { return respond(200, "ok"), nil })
		f := mustNew(t, Config{Transport: web, Concurrency: 4, Backlog: 2})
		for k := 1; k <= 200; k++ {
			ctx, cancel := context.WithCancel(context.Background())
			var read atomic.Int64
			lines := map[int]int{}
			sink := SinkFunc(func(r *Record) error {
				lines[r.Line]++
				if len(lines) == k%37+1 {
					cancel()
				}
				return nil
			})
			f.Run(ctx, countingSource(1000, &read), sink)
			cancel()
			if int64(len(lines)) != read.Load() {
				t.Fatalf("cancelled after %d records: %d URLs read, %d records", k%37+1, read.Load(), len(lines))
			}
			for line, n := range lines {
				if n != 1 {
					t.Fatalf("line %d: %d records", line, n)
				}
			}
		}
	})
}

func TestAPanickingFetchBecomesARecordAndAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if req.URL.Path == "/boom" {
				panic("transport bug")
			}
			wait(req, time.Second)
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 4})
		c := &collector{}
		_, err := f.Run(context.Background(), Slice([]string{"http://a.test/1", "http://a.test/boom", "http://a.test/2"}), c)
		var pe *async.PanicError
		if !errors.As(err, &pe) || len(c.recs) != 3 {
			t.Fatalf("Run: %v, %d records", err, len(c.recs))
		}
		if r := c.byURL()["http://a.test/boom"]; r.ErrorKind != KindInternal || !strings.Contains(r.Error, "transport bug") {
			t.Errorf("record of the panic: %+v", r)
		}
	})
}
