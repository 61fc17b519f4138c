package async_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

func TestProgressReportedFromInside(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			for i := range 4 {
				async.Report(ctx, int64(i+1), 4, "step")
				time.Sleep(time.Second)
			}
			return 4, nil
		})
		if p := task.Progress(); p.Updated.IsZero() && p.Done != 0 {
			t.Fatalf("progress before any report: %+v", p)
		}
		time.Sleep(1500 * time.Millisecond)
		p := task.Progress()
		if p.Done != 2 || p.Total != 4 || p.Message != "step" || p.Fraction() != 0.5 {
			t.Fatalf("progress after 1.5s = %+v, want 2/4", p)
		}
		task.Await(t.Context())
	})
}

func TestWatchProgressFollowsWithoutPolling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			for i := range 3 {
				time.Sleep(time.Second)
				async.Report(ctx, int64(i+1), 3, "")
			}
			return 0, nil
		})
		start := time.Now()
		var seen []int64
		var at []time.Duration
		for p := range task.WatchProgress(t.Context()) {
			seen = append(seen, p.Done)
			at = append(at, time.Since(start))
		}
		// Nothing was reported yet when the watch began, so it waits for the first report.
		if len(seen) != 3 || seen[0] != 1 || seen[1] != 2 || seen[2] != 3 {
			t.Fatalf("watched %v, want 1 2 3", seen)
		}
		if at[0] != time.Second || at[2] != 3*time.Second {
			t.Fatalf("reports seen at %v, want as they happen", at)
		}
		if task.State() != async.Done {
			t.Fatalf("the watch ended before the task (%v)", task.State())
		}
	})
}

func TestReportOutsideTaskDoesNothing(t *testing.T) {
	async.Report(context.Background(), 1, 2, "nobody listens") // must not panic
	if async.Current(context.Background()) != nil {
		t.Fatal("a plain context has a current task")
	}
}

func TestProgressFraction(t *testing.T) {
	cases := []struct {
		p    async.Progress
		want float64
	}{
		{async.Progress{Done: 1, Total: 4}, 0.25},
		{async.Progress{Done: 5, Total: 4}, 1},
		{async.Progress{Done: 3}, -1},
	}
	for _, c := range cases {
		if got := c.p.Fraction(); got != c.want {
			t.Errorf("%+v.Fraction() = %v, want %v", c.p, got, c.want)
		}
	}
}
