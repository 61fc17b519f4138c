package async_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/asyncgo/async"
)

// These tests hold the group's accounting exact under concurrency: they run
// many rounds each, so that a race hit in one run out of a hundred fails
// them, and are meant to be run with -race -count=50 -cpu 1,2,4.

const exactRounds = 200

// A task seen done has given back its running slot: under WithLimit(1) and
// WithBacklog(0), TryGo right after the only task's Done is accepted.
func TestFinishedTaskFreesItsSlotBeforeDone(t *testing.T) {
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		f := func(context.Context) error { return nil }
		for i := range exactRounds {
			h, ok := g.TryGo(f)
			if !ok {
				return fmt.Errorf("round %d: the first TryGo was refused", i)
			}
			<-h.Done()
			h2, ok := g.TryGo(f)
			if !ok {
				return fmt.Errorf("round %d: TryGo after the only task was done was refused (Len %d)", i, g.Len())
			}
			<-h2.Done()
		}
		return nil
	}, async.WithLimit(1), async.WithBacklog(0))
	if err != nil {
		t.Fatal(err)
	}
}

// Once Await has returned the only task of a group, the group counts it as
// finished: Len is 0 and Progress().Done is 1, with and without a limit.
func TestFinishedTaskLeavesTheCountBeforeDone(t *testing.T) {
	for _, limit := range []int{0, 1, 4} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			for i := range exactRounds {
				err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
					h := async.Go(g, func(context.Context) (int, error) { return 1, nil })
					if _, err := h.Await(ctx); err != nil {
						return err
					}
					if n, p := g.Len(), g.Progress(); n != 0 || p.Done != 1 || p.Total != 1 {
						return fmt.Errorf("round %d: after Await, Len %d and Progress %d/%d; want 0 and 1/1", i, n, p.Done, p.Total)
					}
					return nil
				}, async.WithLimit(limit))
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
