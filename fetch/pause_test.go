package fetch

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestNoRequestReachesAHostDuringItsPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var pausedAt time.Time
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if req.URL.Path == "/flaky" && n == 1 {
				wait(req, 100*time.Millisecond)
				pausedAt = time.Now()
				return respond(503, "", "Retry-After", "1"), nil
			}
			wait(req, 200*time.Millisecond)
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 4, Retries: 1})
		list := append([]string{"http://a.test/flaky"}, urls(40, "http://a.test/slow/%d")...)
		runAll(t, f, list)
		web.mu.Lock()
		defer web.mu.Unlock()
		leaks := 0
		for _, ts := range web.times {
			for _, at := range ts {
				if !at.Before(pausedAt) && at.Before(pausedAt.Add(time.Second)) {
					leaks++
				}
			}
		}
		if leaks != 0 {
			t.Errorf("%d requests reached the host during its 1s pause", leaks)
		}
	})
}

func TestRetryAfterPausesTheHostEvenWhenNotRetried(t *testing.T) {
	for _, c := range []struct {
		name       string
		retryAfter string
		cfg        Config
		want       time.Duration
	}{
		{"longer than allowed", "3600", Config{MaxRetryAfter: 10 * time.Second}, 10 * time.Second},
		{"last attempt", "5", Config{Retries: -1}, 5 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
					if req.URL.Path == "/busy" {
						return respond(503, "", "Retry-After", c.retryAfter), nil
					}
					return respond(200, "ok"), nil
				})
				cfg := c.cfg
				cfg.Transport, cfg.Concurrency, cfg.Backlog = web, 1, -1 // /next is read once /busy is done
				start := time.Now()
				col, _ := runAll(t, mustNew(t, cfg), []string{"http://a.test/busy", "http://a.test/next"})
				if r := col.byURL()["http://a.test/busy"]; r.Attempts != 1 || r.Outcome != HTTPError {
					t.Fatalf("/busy: %+v", r)
				}
				if at := web.attempts("http://a.test/next"); len(at) != 1 || at[0].Sub(start) != c.want {
					t.Errorf("/next sent %v after the 503; want %v (the host's pause)", at[0].Sub(start), c.want)
				}
			})
		})
	}
}

func TestQueuedAndDurationDoNotOverlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// x fails at once and asks for 1s; y, on another host, takes the only
		// slot for 3s meanwhile, so x's second attempt waits 2s for it.
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if req.URL.Host == "a.test" {
				if n == 1 {
					return respond(503, "", "Retry-After", "1"), nil
				}
				return respond(200, "ok"), nil
			}
			wait(req, 3*time.Second)
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 1})
		start := time.Now()
		src := func(yield func(Input, error) bool) {
			if yield(Input{Line: 1, URL: "http://a.test/x"}, nil) {
				time.Sleep(time.Millisecond) // x goes first
				yield(Input{Line: 2, URL: "http://b.test/y"}, nil)
			}
		}
		col := &collector{}
		if _, err := f.Run(context.Background(), src, col); err != nil {
			t.Fatal(err)
		}
		x := col.byURL()["http://a.test/x"]
		ended := web.attempts("http://a.test/x")[1].Sub(start)
		if x.Attempts != 2 || x.Queued != 2*time.Second+time.Millisecond || x.Duration != time.Second || x.Retried != time.Second {
			t.Errorf("x: queued %v, duration %v, retry wait %v; want 2s, 1s, 1s", x.Queued, x.Duration, x.Retried)
		}
		if got := x.Start + x.Queued + x.Duration; got != ended {
			t.Errorf("start+queued+duration = %v, but x ended at %v", got, ended)
		}
	})
}

func TestNonIdempotentRequestsAreRetriedOnlyIfNeverSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if req.URL.Path == "/refused" {
				return nil, syscall.ECONNREFUSED
			}
			return nil, syscall.ECONNRESET
		})
		f := mustNew(t, Config{Transport: web, Method: http.MethodPost, Retries: 2})
		c, _ := runAll(t, f, []string{"http://a.test/refused", "http://a.test/reset"})
		got := c.byURL()
		if got["http://a.test/refused"].Attempts != 3 || got["http://a.test/reset"].Attempts != 1 {
			t.Errorf("POST attempts: refused %d (never sent: retried), reset %d (maybe acted on: not retried)",
				got["http://a.test/refused"].Attempts, got["http://a.test/reset"].Attempts)
		}
	})
}
