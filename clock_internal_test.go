package async

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// A reading is handed out again until the step has passed; then the clock
// is read afresh.
func TestScopeClockSharesAReadingForAStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c scopeClock
		c.init()
		defer c.stop()
		first := c.now()
		time.Sleep(scopeClockStep / 2)
		if got := c.now(); got != first {
			t.Errorf("half a step later the clock reads %d, want the shared reading %d", got, first)
		}
		time.Sleep(scopeClockStep) // the timer has marked the reading stale
		if got, want := time.Duration(c.now()-first), 3*scopeClockStep/2; got != want {
			t.Errorf("a step and a half later the clock has moved %v, want %v", got, want)
		}
	})
}

// Once its scope has ended the clock is stale, so that a task outliving
// the scope does not record the scope's last reading, however old.
func TestScopeClockIsStaleAfterStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c scopeClock
		c.init()
		first := c.now()
		c.stop()
		time.Sleep(time.Hour)
		if got := time.Duration(c.now() - first); got != time.Hour {
			t.Errorf("an hour after the scope ended the clock has moved %v, want 1h", got)
		}
		c.stop()
	})
}

// The order promise, attacked from several goroutines at once: each one's
// readings never go back, and a reading taken after an exact reading was
// passed to saw (the exact reading sent over a channel, so the receive
// happens after) is never earlier than it. Without saw's part in that, the
// shared reading, taken before, would be.
func TestScopeClockKeepsOrder(t *testing.T) {
	var c scopeClock
	c.init()
	defer c.stop()
	exact := make(chan int64)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(exact)
		for range 2000 {
			m := monoNow()
			c.saw(m)
			exact <- m
		}
	})
	for range 3 {
		wg.Go(func() {
			last := int64(0)
			for range 20000 {
				r := c.now()
				if r < last {
					t.Errorf("the clock went back from %d to %d", last, r)
					return
				}
				last = r
			}
		})
	}
	for m := range exact {
		if r := c.now(); r < m {
			t.Fatalf("read %d after an exact reading of %d was made: %v early", r, m, time.Duration(m-r))
		}
	}
	wg.Wait()
}

// Reading the scope's clock costs an atomic load while the reading is
// fresh, against a read of the clock.
func BenchmarkScopeClock(b *testing.B) {
	b.Run("scope", func(b *testing.B) {
		var c scopeClock
		c.init()
		defer c.stop()
		var sink int64
		for b.Loop() {
			sink += c.now()
		}
		_ = sink
	})
	b.Run("exact", func(b *testing.B) {
		var sink int64
		for b.Loop() {
			sink += monoNow()
		}
		_ = sink
	})
}
