package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestAttackCancelWithALongLine cancels a run whose one request slot is
// held by a hanging request while thousands of inputs wait in line for it:
// the slot given back as the request is cancelled goes to the line, whose
// inputs start as tasks of a group that is ending (or are taken out of
// line by settle); each input read has exactly one record, Cancelled but
// for none, and the run ends.
func TestAttackCancelWithALongLine(t *testing.T) {
	n := 20000
	if raceEnabled {
		n = 5000
	}
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				web := newFakeWeb(func(req *http.Request, k int) (*http.Response, error) {
					<-req.Context().Done()
					return nil, req.Context().Err()
				})
				f := mustNew(t, Config{Transport: web, Concurrency: 1, Backlog: n, Ordered: ordered, OrderWindow: 2 * n, Timeout: time.Hour})
				ctx, cancel := context.WithCancelCause(context.Background())
				time.AfterFunc(time.Second, func() { cancel(errors.New("stop")) })
				var read atomic.Int64
				lines := make([]int, n+2)
				var count int
				sink := SinkFunc(func(r *Record) error {
					count++
					if r.Line < 1 || r.Line > n || r.URL != fmt.Sprintf("http://h%d.test/%d", (r.Line-1)%7, r.Line-1) {
						t.Errorf("record of line %d: %s", r.Line, r.URL)
						return nil
					}
					if lines[r.Line]++; lines[r.Line] > 1 {
						t.Errorf("line %d: two records", r.Line)
					}
					if r.Outcome != Cancelled {
						t.Errorf("line %d: %s", r.Line, r.Outcome)
					}
					return nil
				})
				sum, err := f.Run(ctx, countingSource(n, &read), sink)
				if !errors.Is(err, ErrInterrupted) {
					t.Fatalf("Run: %v", err)
				}
				if int64(count) != read.Load() || sum.Inputs != read.Load() || read.Load() < int64(n) {
					t.Errorf("%d records (summary: %d) for %d read of %d", count, sum.Inputs, read.Load(), n)
				}
			})
		})
	}
}
