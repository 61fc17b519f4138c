package async_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// A group counts its tasks as they finish, with no code in the tasks.
func TestGroupProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var seen []async.Progress
		watched := make(chan struct{})
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			for i := range 50 {
				g.Go(func(ctx context.Context) error { return async.Sleep(ctx, time.Duration(i+1)*time.Second) })
			}
			go func() {
				defer close(watched)
				for p := range g.WatchProgress(t.Context()) {
					seen = append(seen, p)
				}
			}()
			time.Sleep(37*time.Second + time.Millisecond)
			if p := g.Progress(); p.Done != 37 || p.Total != 50 {
				t.Errorf("Progress() = %+v, want 37/50", p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		<-watched // WatchProgress ends with the group
		if len(seen) == 0 || seen[len(seen)-1] != (async.Progress{Done: 50, Total: 50}) {
			t.Fatalf("watched %v, want it to end at 50/50", seen)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i].Done < seen[i-1].Done {
				t.Errorf("progress went back: %v then %v", seen[i-1], seen[i])
			}
		}
	})
}

// The tree shows a group's progress as it shows a task's.
func TestGroupProgressInSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.Run(t.Context(), func(ctx context.Context) error {
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				for i := range 4 {
					g.Go(func(ctx context.Context) error { return async.Sleep(ctx, time.Duration(i+1)*time.Second) })
				}
				time.Sleep(3*time.Second + time.Millisecond)
				for _, n := range async.ScopeOf(ctx).Snapshot().Nodes {
					if n.Kind == async.KindGroup {
						if p := n.Progress; p == nil || p.Done != 3 || p.Total != 4 || n.Tasks != 1 {
							t.Errorf("group node %+v progress %+v, want 3/4 with 1 task left", n, p)
						}
						return nil
					}
				}
				t.Error("no group in the snapshot")
				return nil
			}, async.WithName("crawl"))
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
	})
}
