package async_test

// Ports of golang.org/x/sync/errgroup's TryGo and SetLimit tests
// (errgroup_test.go), named after them: TestErrgroup<their test>. A group's
// limit is given with WithLimit, and errgroup's TryGo refuses once limit
// goroutines run, which here is WithBacklog(0).

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

func TestErrgroupTryGo(t *testing.T) {
	const n = 42
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		ch := make(chan struct{})
		fn := func(context.Context) error { ch <- struct{}{}; return nil }
		hs := make([]async.Handle, 0, n)
		for i := range n {
			h, ok := async.TryGo(g, errFn(fn))
			if !ok {
				return fmt.Errorf("TryGo should succeed but failed at the %d-th call", i)
			}
			hs = append(hs, h)
		}
		if _, ok := async.TryGo(g, errFn(fn)); ok {
			return fmt.Errorf("TryGo is expected to fail but succeeded")
		}
		for range n {
			<-ch
		}
		for _, h := range hs {
			<-h.Done()
		}
		// errgroup's Wait, then TryGo: here the tasks seen done have given
		// their slots back.
		h, ok := async.TryGo(g, errFn(fn))
		if !ok {
			return fmt.Errorf("TryGo should succeed after every task ended, but failed")
		}
		<-ch
		<-h.Done()
		return nil
	}, async.WithLimit(n), async.WithBacklog(0))
	if err != nil {
		t.Fatal(err)
	}
}

func TestErrgroupGoLimit(t *testing.T) { synctest.Test(t, testErrgroupGoLimit) }

func testErrgroupGoLimit(t *testing.T) {
	const limit = 10
	var active, most atomic.Int32
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		for range 10 * limit {
			g.Go(func(ctx context.Context) error {
				n := active.Add(1)
				defer active.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				if n > limit {
					return fmt.Errorf("saw %d active goroutines; want ≤ %d", n, limit)
				}
				time.Sleep(time.Millisecond) // let the others start (virtual time)
				return nil
			})
		}
		return nil
	}, async.WithLimit(limit))
	if err != nil {
		t.Fatal(err)
	}
	if m := most.Load(); m != limit {
		t.Errorf("at most %d ran at once; want the limit, %d, reached", m, limit)
	}
}
