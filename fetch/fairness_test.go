package fetch

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// TestALongRunOfOneHostDoesNotStarveTheNext is issue 13's case: 60 URLs of
// host A, then 5 of host B, -c 4 -per-host 1, each request 100ms. A is
// served one at a time whatever happens (6s); B must not wait behind it.
func TestALongRunOfOneHostDoesNotStarveTheNext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			wait(req, 100*time.Millisecond)
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 4, PerHost: 1})
		list := append(urls(60, "http://a.test/%d"), urls(5, "http://b.test/%d")...)
		start := time.Now()
		c, sum := runAll(t, f, list)
		var lastB time.Duration
		for _, r := range c.recs {
			if r.URL[7] == 'b' {
				lastB = max(lastB, r.Start+r.Queued+r.Duration)
			}
		}
		t.Logf("host B done at %v", lastB)
		if lastB > time.Second {
			t.Errorf("host B's 5 URLs done after %v; want them served early, not after host A's run", lastB)
		}
		if wall := time.Since(start); sum.Inputs != 65 || wall != 6*time.Second {
			t.Errorf("%d records in %v; want 65 in 6s (A one at a time)", sum.Inputs, wall)
		}
		if web.maxPerHost != 1 {
			t.Errorf("%d requests at once to one host, want at most 1", web.maxPerHost)
		}
	})
}

// With no room among the parked (HostBacklog < 0), the backlog alone
// bounds how far the reader goes: B waits, and nothing is lost.
func TestWithoutHostBacklogTheBacklogBoundsReading(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			wait(req, 100*time.Millisecond)
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 4, PerHost: 1, HostBacklog: -1})
		list := append(urls(60, "http://a.test/%d"), urls(5, "http://b.test/%d")...)
		c, _ := runAll(t, f, list)
		var firstB time.Duration = time.Hour
		for _, r := range c.recs {
			if r.URL[7] == 'b' {
				firstB = min(firstB, r.Start)
			}
		}
		if len(c.recs) != 65 || firstB < 3*time.Second {
			t.Errorf("%d records, host B read at %v; want 65, and B read late", len(c.recs), firstB)
		}
	})
}
