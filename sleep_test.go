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
