package async_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

// TestAttackV7CancelledErrorMadeOnce: a cancelled task's CancelledError is
// made on first use, under the task's lock, after the end (taskCore.error).
// Readers of every kind (Err, Result, Await, GatherSettled, AsCompleted,
// Wait's done set then Err, a done callback's Err, Gather) start before the
// end and race it and each other from many goroutines; every one of them
// must get the same *CancelledError, with the Cancel's cause, and Err read
// again afterwards returns it still. CPython's test_tasks checks that
// t.exception() is the same object each time; here it must also be one
// object across goroutines.
func TestAttackV7CancelledErrorMadeOnce(t *testing.T) {
	cause := errors.New("v7 cause")
	for round := range 60 {
		ctx := context.Background()
		entered := make(chan struct{})
		task := async.Spawn(ctx, func(ctx context.Context) (int, error) {
			close(entered)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		<-entered
		const kinds = 9
		errs := make([]error, 2*kinds)
		var ready, wg sync.WaitGroup
		ready.Add(len(errs))
		gate := make(chan struct{})
		for i := range errs {
			wg.Go(func() {
				ready.Done()
				<-gate
				switch i % kinds {
				case 0:
					for errs[i] = task.Err(); errors.Is(errs[i], async.ErrInvalidState); errs[i] = task.Err() {
						runtime.Gosched()
					}
				case 1:
					<-task.Done()
					_, errs[i] = task.Result()
				case 2:
					_, errs[i] = task.Await(ctx)
				case 3:
					errs[i] = async.GatherSettled(ctx, task, task)[1].Err
				case 4:
					for _, err := range async.AsCompleted(ctx, task) {
						errs[i] = err
					}
				case 5:
					done, _, err := async.Wait(ctx, async.AllCompleted, task, task)
					if err != nil || len(done) != 2 {
						t.Errorf("round %d: Wait = %v, %v", round, done, err)
					}
					errs[i] = done[1].Err()
				case 6:
					got := make(chan error, 1)
					task.AddDoneCallback(func(tk *async.Task[int]) { got <- tk.Err() })
					errs[i] = <-got
				case 7:
					_, errs[i] = async.Gather(ctx, task, task)
				case 8:
					_, errs[i] = async.Gather(ctx, task)
				}
			})
		}
		ready.Wait()
		close(gate)
		if round%2 == 0 {
			time.Sleep(time.Duration(round%7) * time.Microsecond)
		}
		task.Cancel(cause)
		wg.Wait()
		var first *async.CancelledError
		if !errors.As(task.Err(), &first) || !errors.Is(first, cause) {
			t.Fatalf("round %d: Err = %v, want a CancelledError with the cause", round, task.Err())
		}
		for i, err := range errs {
			var ce *async.CancelledError
			if !errors.As(err, &ce) || ce != first {
				t.Errorf("round %d: reader %d (kind %d) got %v (%p), Err gives %p", round, i, i%kinds, err, ce, first)
			}
		}
		if again := task.Err(); again != error(first) {
			t.Errorf("round %d: Err changed from %p to %v", round, first, again)
		}
	}
}

// TestAttackV7OneTaskInManyGathers: one task in several Gathers at once,
// twice or three times in some of them, with other tasks, while its Done
// channel is made, done callbacks are added and AsCompleted loops stop
// early; and in some rounds a Gather whose ctx ends first (which cancels
// the task for everyone). Every Gather returns the task's own result at
// each of its places, or the same error; GatherSettled agrees; every done
// callback runs once; and nothing is left registered on a task still
// pending after an AsCompleted stopped early.
func TestAttackV7OneTaskInManyGathers(t *testing.T) {
	boom := errors.New("boom")
	for round := range 150 {
		ctx := context.Background()
		release := make(chan struct{})
		mode := round % 4 // 0 succeed, 1 fail, 2 a Gather's ctx ends first, 3 cancelled
		shared := async.Spawn(ctx, func(ctx context.Context) (int, error) {
			select {
			case <-release:
			case <-ctx.Done():
				return 0, ctx.Err()
			}
			if mode == 1 {
				return 0, boom
			}
			return 42, nil
		})
		other := async.Spawn(ctx, func(ctx context.Context) (int, error) { return 1, nil })
		var wg sync.WaitGroup
		type gathered struct {
			out []int
			err error
			pos []int // where shared is in the call's tasks
		}
		results := make([]gathered, 6)
		for i := range results {
			wg.Go(func() {
				var tasks []*async.Task[int]
				switch i % 3 {
				case 0:
					tasks = []*async.Task[int]{shared, shared}
				case 1:
					tasks = []*async.Task[int]{other, shared, other, shared, shared}
				case 2:
					tasks = []*async.Task[int]{shared, other}
				}
				for j, tk := range tasks {
					if tk == shared {
						results[i].pos = append(results[i].pos, j)
					}
				}
				results[i].out, results[i].err = async.Gather(ctx, tasks...)
			})
		}
		var abandoned error
		if mode == 2 {
			wg.Go(func() {
				gctx, cancel := context.WithTimeout(ctx, time.Millisecond)
				defer cancel()
				_, abandoned = async.Gather(gctx, shared, other, shared)
			})
		}
		var callbacks atomic.Int32
		for range 4 {
			wg.Go(func() {
				<-shared.Done()
			})
			wg.Go(func() {
				shared.AddDoneCallback(func(*async.Task[int]) { callbacks.Add(1) })
			})
			wg.Go(func() {
				for range async.AsCompleted(ctx, other, shared) {
					break // stops with shared most often still pending
				}
			})
			wg.Go(func() {
				wctx, cancel := context.WithTimeout(ctx, 50*time.Microsecond)
				defer cancel()
				async.Wait(wctx, async.FirstCompleted, shared, shared)
			})
		}
		if mode == 3 {
			wg.Go(func() { shared.Cancel(boom) })
		}
		if mode != 2 {
			time.Sleep(time.Duration(round%5) * 10 * time.Microsecond)
			close(release)
		}
		wg.Wait()
		if mode == 2 {
			close(release)
		}
		v, err := shared.Result()
		if shared.State() == async.Pending || shared.State() == async.Running {
			t.Fatalf("round %d: shared is %v after every Gather returned", round, shared.State())
		}
		for i, r := range results {
			switch {
			case err == nil && r.err != nil:
				t.Errorf("round %d: Gather %d = %v, the task succeeded", round, i, r.err)
			case err == nil:
				for _, j := range r.pos {
					if r.out[j] != v {
						t.Errorf("round %d: Gather %d has %d at %d, want %d", round, i, r.out[j], j, v)
					}
				}
			case r.err == nil:
				t.Errorf("round %d: Gather %d succeeded with %v, the task ended %v", round, i, r.out, err)
			case !errors.Is(r.err, boom) && !errors.Is(r.err, context.DeadlineExceeded) && !errors.Is(r.err, context.Canceled):
				t.Errorf("round %d: Gather %d = %v, the task ended %v", round, i, r.err, err)
			}
		}
		if mode == 2 && (abandoned == nil || !errors.Is(abandoned, context.DeadlineExceeded)) {
			t.Errorf("round %d: the abandoned Gather = %v", round, abandoned)
		}
		if got := async.GatherSettled(ctx, shared, shared); got[0].Err != got[1].Err || got[0].Err != shared.Err() || (err == nil && got[0].Value != v) {
			t.Errorf("round %d: GatherSettled = %+v, Result = %d, %v", round, got, v, err)
		}
		// The callbacks added before the end run in the task's goroutine
		// after its end is published: they may still be running.
		for deadline := time.Now().Add(10 * time.Second); callbacks.Load() < 4 && time.Now().Before(deadline); {
			time.Sleep(100 * time.Microsecond)
		}
		if n := callbacks.Load(); n != 4 {
			t.Errorf("round %d: %d done callbacks ran, want 4", round, n)
		}
	}
}
