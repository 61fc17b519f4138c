package async_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

func names[T any](tasks []*async.Task[T]) []string {
	var out []string
	for _, t := range tasks {
		out = append(out, t.Name())
	}
	return out
}

func TestWaitModes(t *testing.T) {
	cases := []struct {
		mode        async.WaitMode
		wantElapsed time.Duration
		wantDone    int
	}{
		{async.FirstCompleted, 1 * time.Second, 1},
		{async.FirstError, 2 * time.Second, 3}, // the task cancelled at 1.5s is done but is not an error
		{async.AllCompleted, 3 * time.Second, 4},
	}
	for _, c := range cases {
		t.Run(c.mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				cancelled := async.Spawn(ctx, after(time.Hour, 0, nil), async.WithName("cancelled"))
				tasks := []*async.Task[int]{
					async.Spawn(ctx, after(1*time.Second, 1, nil), async.WithName("ok")),
					async.Spawn(ctx, after(2*time.Second, 0, errBoom), async.WithName("fails")),
					async.Spawn(ctx, after(3*time.Second, 3, nil), async.WithName("slow")),
					cancelled,
				}
				var canceller sync.WaitGroup
				defer canceller.Wait()
				canceller.Go(func() {
					time.Sleep(1500 * time.Millisecond)
					cancelled.Cancel(nil)
				})
				start := time.Now()
				done, pending, err := async.Wait(ctx, c.mode, tasks...)
				if err != nil {
					t.Fatal(err)
				}
				if elapsed := time.Since(start); elapsed != c.wantElapsed {
					t.Errorf("returned after %v, want %v", elapsed, c.wantElapsed)
				}
				if len(done) != c.wantDone || len(done)+len(pending) != 4 {
					t.Errorf("done %v pending %v", names(done), names(pending))
				}
				for _, task := range pending {
					task.Cancel(nil)
				}
				if errs := tasks[1].Err(); c.mode != async.FirstCompleted && !errors.Is(errs, errBoom) {
					t.Errorf("failing task's error %v", errs)
				}
			})
		})
	}
}

func TestWaitContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		task := async.Spawn(t.Context(), after(time.Hour, 0, nil))
		done, pending, err := async.Wait(ctx, async.AllCompleted, task)
		if !errors.Is(err, context.DeadlineExceeded) || len(done) != 0 || len(pending) != 1 {
			t.Fatalf("Wait = %d done, %d pending, %v", len(done), len(pending), err)
		}
		if task.State() != async.Running {
			t.Fatalf("Wait cancelled the task (%v); it must cancel nothing", task.State())
		}
		task.Cancel(nil)
	})
}

func TestAsCompletedYieldsInCompletionOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		tasks := []*async.Task[string]{
			async.Spawn(ctx, after(3*time.Second, "third", nil)),
			async.Spawn(ctx, after(1*time.Second, "first", nil)),
			async.Spawn(ctx, after(2*time.Second, "", errBoom)),
		}
		var order []string
		for task, err := range async.AsCompleted(ctx, tasks...) {
			if err != nil {
				order = append(order, "error:"+err.Error())
				continue
			}
			v, _ := task.Result()
			order = append(order, v)
		}
		want := []string{"first", "error:boom", "third"}
		if len(order) != 3 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
			t.Fatalf("order %v, want %v", order, want)
		}
	})
}

func TestAsCompletedStoppedEarlyLeavesNothingBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		tasks := []*async.Task[int]{
			async.Spawn(ctx, after(time.Second, 1, nil)),
			async.Spawn(ctx, after(2*time.Second, 2, nil)),
			async.Spawn(ctx, after(3*time.Second, 3, nil)),
		}
		for task := range async.AsCompleted(ctx, tasks...) {
			if v, _ := task.Result(); v != 1 {
				t.Fatalf("first yielded %d", v)
			}
			break
		}
		// The remaining tasks finish later and find nobody listening; synctest
		// fails the test if any goroutine is left blocked.
		time.Sleep(3 * time.Second)
		synctest.Wait()
		for _, task := range tasks {
			if task.State() != async.Done {
				t.Fatalf("task %s %v", task.Name(), task.State())
			}
		}
	})
}

func TestAsCompletedContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		tasks := []*async.Task[int]{
			async.Spawn(t.Context(), after(time.Second, 1, nil)),
			async.Spawn(t.Context(), after(time.Hour, 2, nil)),
		}
		var yielded int
		var last error
		for task, err := range async.AsCompleted(ctx, tasks...) {
			yielded++
			if task == nil {
				last = err
			}
		}
		if yielded != 2 || !errors.Is(last, context.DeadlineExceeded) {
			t.Fatalf("yielded %d, last error %v; want one task and then the context's error", yielded, last)
		}
		tasks[1].Cancel(nil)
	})
}
