package fetch

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestOrderedWritesRecordsInInputOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Later URLs answer sooner: completion order is the reverse.
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			var i int
			for _, c := range req.URL.Path[1:] {
				i = i*10 + int(c-'0')
			}
			wait(req, time.Duration(100-i)*time.Millisecond)
			return respond(200, "ok"), nil
		})
		list := urls(50, "http://a.test/%d")
		list[10] = "not a url" // records without a request keep their place too
		f := mustNew(t, Config{Transport: web, Concurrency: 50, Ordered: true})
		c, sum := runAll(t, f, list)
		if len(c.recs) != 50 || sum.Inputs != 50 {
			t.Fatalf("%d records", len(c.recs))
		}
		for i, r := range c.recs {
			if r.Line != i+1 {
				t.Fatalf("record %d is line %d: not in input order", i, r.Line)
			}
		}
	})
}

func TestOrderedWindowBoundsWhatIsHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Line 1 takes 10s, the rest answer at once: with a window of 8,
		// only the 7 inputs after it are fetched while it runs.
		var duringSlow atomic.Int32
		start := time.Now()
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if strings.HasSuffix(req.URL.Path, "/0") {
				wait(req, 10*time.Second)
			} else if time.Since(start) < 10*time.Second {
				duringSlow.Add(1)
			}
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 4, Ordered: true, OrderWindow: 8})
		c, sum := runAll(t, f, urls(100, "http://a.test/%d"))
		if sum.Inputs != 100 || len(c.recs) != 100 {
			t.Fatalf("%d records", len(c.recs))
		}
		if n := duringSlow.Load(); n != 7 {
			t.Errorf("%d inputs fetched while the slow first one ran; want 7 (the window of 8 less itself)", n)
		}
		for i, r := range c.recs {
			if r.Line != i+1 {
				t.Fatalf("record %d is line %d", i, r.Line)
			}
		}
	})
}

func TestOrderedCancellationStillGivesEveryInputARecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if err := wait(req, time.Hour); err != nil {
				return nil, err
			}
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 2, Ordered: true, OrderWindow: 4})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c := &collector{}
		sum, err := f.Run(ctx, Slice(urls(100, "http://a.test/%d")), c)
		if err == nil || int64(len(c.recs)) != sum.Inputs || sum.Outcomes[Cancelled] != sum.Inputs || sum.LastLine != len(c.recs) {
			t.Errorf("%d records, summary %d inputs, last line %d, err %v", len(c.recs), sum.Inputs, sum.LastLine, err)
		}
		for i, r := range c.recs {
			if r.Line != i+1 {
				t.Fatalf("record %d is line %d", i, r.Line)
			}
		}
	})
}
