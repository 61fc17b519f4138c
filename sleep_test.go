package async_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := async.Sleep(t.Context(), 3*time.Second); err != nil || time.Since(start) != 3*time.Second {
			t.Fatalf("full sleep: %v after %v, want nil after 3s", err, time.Since(start))
		}
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			return 0, async.Sleep(ctx, time.Hour)
		})
		time.Sleep(time.Second)
		task.Cancel(nil)
		task.Await(t.Context())
		if !task.Cancelled() || time.Since(start) != 4*time.Second {
			t.Fatalf("cancelled sleep: state %v at %v, want cancelled at once (4s)", task.State(), time.Since(start))
		}
		if err := async.Sleep(t.Context(), 0); err != nil {
			t.Fatalf("zero sleep: %v", err)
		}
	})
}

// TestSleepNamedShowsInTheTaskTree checks that a task in SleepNamed is shown
// awaiting the named sleep until it wakes, that the record ends with the
// sleep (a later wait is shown as usual), and that a cancelled SleepNamed
// returns like Sleep.
func TestSleepNamedShowsInTheTaskTree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.Run(t.Context(), func(ctx context.Context) error {
			start := time.Now()
			sleeper := async.Spawn(ctx, func(ctx context.Context) (int, error) {
				return 0, async.SleepNamed(ctx, 3*time.Second, "Retry-After example.com:443")
			}, async.WithName("sleeper"))
			time.Sleep(time.Second)
			got := nodeByName(t, async.ScopeOf(ctx).Snapshot(), "sleeper").Awaiting
			want := async.Awaiting{Name: "Retry-After example.com:443", Deadline: start.Add(3 * time.Second), Sleep: true}
			if got == nil || *got != want {
				t.Errorf("sleeping task awaits %+v, want %+v", got, want)
			}
			if got != nil && got.String() != `sleep "Retry-After example.com:443"` {
				t.Errorf("String() = %q", got.String())
			}
			if _, err := sleeper.Await(ctx); err != nil || time.Since(start) != 3*time.Second {
				t.Errorf("SleepNamed: %v after %v, want nil after 3s", err, time.Since(start))
			}

			// After the sleep the task is shown as what it does next.
			release := make(chan struct{})
			after := async.Spawn(ctx, func(ctx context.Context) (int, error) {
				if err := async.SleepNamed(ctx, time.Second, "backoff"); err != nil {
					return 0, err
				}
				<-release
				return 0, nil
			}, async.WithName("after"))
			time.Sleep(2 * time.Second)
			if a := nodeByName(t, async.ScopeOf(ctx).Snapshot(), "after").Awaiting; a != nil {
				t.Errorf("task awake still shows %+v", a)
			}
			close(release)
			after.Await(ctx)

			cancelled := async.Spawn(ctx, func(ctx context.Context) (int, error) {
				return 0, async.SleepNamed(ctx, time.Hour, "long")
			})
			time.Sleep(time.Second)
			cancelled.Cancel(nil)
			cancelled.Await(ctx)
			if !cancelled.Cancelled() {
				t.Errorf("cancelled SleepNamed: state %v, want cancelled", cancelled.State())
			}
			return nil
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
	})
}
