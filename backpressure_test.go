package async_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// A producer outside the group waits while limit tasks run and backlog
// wait: the group never holds more than limit + backlog tasks.
func TestSubmitWaitsWhileFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var returned []time.Duration
		maxLen := 0
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			for range 7 {
				if _, err := async.Submit(ctx, g, errFn(func(ctx context.Context) error { return async.Sleep(ctx, time.Second) })); err != nil {
					return err
				}
				returned = append(returned, time.Since(start))
				maxLen = max(maxLen, g.Len())
			}
			return nil
		}, async.WithLimit(2), async.WithBacklog(1))
		if err != nil {
			t.Fatal(err)
		}
		if maxLen > 3 {
			t.Errorf("the group held %d tasks, want at most limit+backlog = 3", maxLen)
		}
		// 0,1 run and 2 waits at once; each second two finish and make room.
		want := []time.Duration{0, 0, 0, time.Second, time.Second, 2 * time.Second, 2 * time.Second}
		if !slices.Equal(returned, want) {
			t.Errorf("Submit returned at %v, want %v", returned, want)
		}
	})
}

func TestTryGoReportsFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			sleep := func(ctx context.Context) (int, error) { return 1, async.Sleep(ctx, time.Second) }
			if _, ok := async.TryGo(g, sleep); !ok {
				t.Error("TryGo refused an empty group")
			}
			if h, ok := async.TryGo(g, sleep); ok || h != nil {
				t.Error("TryGo added to a full group")
			}
			if _, ok := async.TryGo(g, errFn(func(context.Context) error { return nil })); ok {
				t.Error("TryGo of an error-only function added to a full group")
			}
			time.Sleep(time.Second)
			synctest.Wait()
			if _, ok := async.TryGo(g, errFn(func(context.Context) error { return nil })); !ok {
				t.Error("TryGo refused after the running task finished")
			}
			return nil
		}, async.WithLimit(1), async.WithBacklog(0))
		if err != nil {
			t.Fatal(err)
		}
	})
}

// The group's own tasks add without waiting, even to a full group: waiting
// there would deadlock (synctest would report every goroutine blocked).
func TestSubmitFromInsideTheGroupNeverWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ran atomic.Int32
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			_, err := async.Submit(ctx, g, errFn(func(ctx context.Context) error {
				ran.Add(1)
				// The group is full (limit 1, backlog 0): this task holds
				// the only slot, and so does the Spawned helper's parent.
				if _, err := async.Submit(ctx, g, errFn(func(context.Context) error { ran.Add(1); return nil })); err != nil {
					return err
				}
				_, err := async.Spawn(ctx, func(ctx context.Context) (async.Handle, error) {
					return async.Submit(ctx, g, errFn(func(context.Context) error { ran.Add(1); return nil }))
				}).Await(ctx)
				return err
			}))
			return err
		}, async.WithLimit(1), async.WithBacklog(0))
		if err != nil || ran.Load() != 3 {
			t.Fatalf("WithGroup = %v with %d tasks run, want nil and 3", err, ran.Load())
		}
	})
}

// A Submit whose context ends while it waits adds nothing.
func TestSubmitContextEndsWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			g.Go(func(ctx context.Context) error { return async.Sleep(ctx, time.Hour) })
			wctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			var called atomic.Bool
			h, err := async.Submit(wctx, g, func(context.Context) (int, error) { called.Store(true); return 0, nil })
			if h != nil || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Submit = %v, %v, want no task and the deadline", h, err)
			}
			if g.Len() != 1 {
				t.Errorf("group has %d tasks, want the one running", g.Len())
			}
			g.Cancel(nil)
			synctest.Wait()
			if called.Load() {
				t.Error("the refused function ran")
			}
			return nil
		}, async.WithLimit(1), async.WithBacklog(0))
		if err != nil {
			t.Fatal(err)
		}
	})
}

// Without WithBacklog nothing is ever full: Submit and TryGo queue, as Go does.
func TestSubmitWithoutBacklogNeverWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			for range 5 {
				if _, err := async.Submit(ctx, g, errFn(func(ctx context.Context) error { return async.Sleep(ctx, time.Second) })); err != nil {
					return err
				}
				if _, ok := async.TryGo(g, errFn(func(ctx context.Context) error { return nil })); !ok {
					t.Error("TryGo refused a group without a backlog bound")
				}
			}
			if time.Since(start) != 0 {
				t.Errorf("Submit waited %v", time.Since(start))
			}
			return nil
		}, async.WithLimit(1))
		if err != nil {
			t.Fatal(err)
		}
	})
}

// A producer of a million items holds a bounded number of them at a time.
func ExampleSubmit() {
	ctx := context.Background()
	var most atomic.Int64
	err := async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
		for i := range 1000 {
			_, err := async.Submit(ctx, g, func(ctx context.Context) (int, error) {
				return i * i, nil
			})
			if err != nil {
				return err
			}
			if n := int64(g.Len()); n > most.Load() {
				most.Store(n)
			}
		}
		return nil
	}, async.WithLimit(4), async.WithBacklog(4))
	fmt.Println(err, most.Load() <= 8)
	// Output: <nil> true
}
