package async

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
)

// callbacksOn returns how many done callbacks wait on t.
func callbacksOn(t *taskCore) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	if _, counter := t.waitersLocked(); counter != nil {
		n++
	}
	if x := t.extra.Load(); x != nil {
		if m := x.more.Load(); m != nil {
			n += len(m.callbacks)
		}
	}
	return n
}

// reportOf returns what t's unretrieved-error report would report, if armed.
func reportOf(t *taskCore) *unretrieved {
	if x := t.extra.Load(); x != nil {
		if m := x.more.Load(); m != nil {
			return m.report
		}
	}
	return nil
}

// The FirstCompleted loop must not pile callbacks up on the tasks still
// pending: its memory is O(n), not O(n²).
func TestWaitLoopLeavesNoCallbacks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 50
		release := make([]chan struct{}, n)
		pending := make([]*Task[int], n)
		for i := range pending {
			release[i] = make(chan struct{})
			pending[i] = Spawn(t.Context(), func(context.Context) (int, error) { <-release[i]; return i, nil })
		}
		for i := 0; len(pending) > 0; i++ {
			close(release[i])
			var err error
			_, pending, err = Wait(t.Context(), FirstCompleted, pending...)
			if err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			for _, p := range pending {
				if c := callbacksOn(&p.taskCore); c != 0 {
					t.Fatalf("after %d rounds a pending task holds %d callbacks, want 0", i+1, c)
				}
			}
		}
	})
}

func TestAsCompletedStoppedEarlyLeavesNoCallbacks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := Spawn(t.Context(), func(context.Context) (int, error) { return 1, nil })
		b := Spawn(t.Context(), func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() })
		for range AsCompleted(t.Context(), a, b) {
			break
		}
		if c := callbacksOn(&b.taskCore); c != 0 {
			t.Fatalf("b holds %d callbacks after AsCompleted stopped, want 0", c)
		}
		b.Cancel(nil)
	})
}

// BenchmarkWaitFirstCompletedLoop is the loop `for len(pending) > 0 { done,
// pending = Wait(FirstCompleted, pending...) }` over n tasks finishing one
// by one. live-B is the heap in use half way through the loop, after a GC:
// it grew with n² (13 MB, 52 MB, 211 MB for 1k, 2k, 4k tasks) while Wait
// left its callbacks on the pending tasks, and now grows with n. (B/op, all
// that was allocated, is O(n²) by nature: each call looks at every pending
// task, as asyncio.wait does.)
func BenchmarkWaitFirstCompletedLoop(b *testing.B) {
	for _, n := range []int{1000, 2000, 4000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ctx := context.Background()
			var live uint64
			for b.Loop() {
				release := make([]chan struct{}, n)
				pending := make([]*Task[int], n)
				for i := range pending {
					release[i] = make(chan struct{})
					pending[i] = Spawn(ctx, func(context.Context) (int, error) { <-release[i]; return i, nil })
				}
				for i := 0; len(pending) > 0; i++ {
					if i == n/2 {
						b.StopTimer()
						var ms runtime.MemStats
						runtime.GC()
						runtime.ReadMemStats(&ms)
						live = max(live, ms.HeapAlloc)
						b.StartTimer()
					}
					close(release[i])
					_, pending, _ = Wait(ctx, FirstCompleted, pending...)
				}
			}
			b.ReportMetric(float64(live), "live-B")
		})
	}
}

// The group's queue follows the tasks waiting now, not all that ever did.
func TestGroupQueueFollowsLiveQueue(t *testing.T) {
	const n = 20000
	err := WithGroup(t.Context(), func(ctx context.Context, g *Group) error {
		release := make(chan struct{})
		Go(g, func(context.Context) (int, error) { <-release; return 0, nil })
		Go(g, func(context.Context) (int, error) { <-release; return 0, nil })
		for i := range n {
			// One task always waits, so the queue is never empty: the
			// next one is added before the running one is released.
			Go(g, func(context.Context) (int, error) { <-release; return 0, nil })
			release <- struct{}{}
			if i%1000 == 999 {
				g.mu.Lock()
				c := cap(g.slots.queue.items)
				g.mu.Unlock()
				if c > maxSpare(2) {
					t.Fatalf("after %d tasks through a queue of 1, it has room for %d", i+1, c)
				}
			}
		}
		close(release)
		return nil
	}, WithLimit(1))
	if err != nil {
		t.Fatal(err)
	}
}

// Cancelling queued tasks one by one must not cost O(n²) nor keep them.
func TestCancelledQueuedTasksLeaveQueue(t *testing.T) {
	const n = 10000
	WithGroup(t.Context(), func(ctx context.Context, g *Group) error {
		release := make(chan struct{})
		Go(g, func(context.Context) (int, error) { <-release; return 0, nil })
		tasks := make([]*Task[int], n)
		for i := range tasks {
			tasks[i] = Go(g, func(context.Context) (int, error) { return 0, nil })
		}
		for _, q := range tasks {
			q.Cancel(nil)
		}
		g.mu.Lock()
		live := len(g.slots.queue.items) - g.slots.queue.head - g.slots.queue.removed
		c := cap(g.slots.queue.items)
		g.mu.Unlock()
		if live != 0 || c > maxSpare(0) {
			t.Errorf("queue holds %d live tasks in room for %d after all were cancelled", live, c)
		}
		close(release)
		return nil
	}, WithLimit(1))
}

// Gather's fail-fast marks the errors of the siblings it cancelled
// retrieved: they are consequences, not reports.
func TestGatherMarksSiblingErrorsRetrieved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		a := Spawn(t.Context(), func(ctx context.Context) (int, error) { return 0, boom })
		b := Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, errors.New("b fails while stopping")
		})
		synctest.Wait() // b is running
		Gather(t.Context(), a, b)
		synctest.Wait()
		if r := reportOf(&b.taskCore); b.State() != Done || r == nil || !r.retrieved.Load() {
			t.Fatalf("b %v, report %v: want its error marked retrieved", b.State(), r)
		}
	})
}

// Gather of one task (a path of its own) marks the failure it returns
// retrieved, and so does it when it cancels the task because its context
// ended and the task fails on its way out.
func TestGatherOfOneMarksTheFailureRetrieved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		failing := Spawn(t.Context(), func(ctx context.Context) (int, error) { return 0, errors.New("boom") })
		Gather(t.Context(), failing)
		ctx, cancel := context.WithCancel(t.Context())
		stopping := Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, errors.New("fails while stopping")
		})
		time.AfterFunc(time.Second, cancel)
		Gather(ctx, stopping)
		for name, task := range map[string]*Task[int]{"failed": failing, "failed once cancelled": stopping} {
			if r := reportOf(&task.taskCore); task.State() != Done || r == nil || !r.retrieved.Load() {
				t.Errorf("%s: %v, report %v: want its error marked retrieved", name, task.State(), r)
			}
		}
	})
}

// cancelOnUntrack is a tracker that calls Cancel on a task in the window
// after its function returned and before its end is published.
type cancelOnUntrack struct{ got chan bool }

func (c cancelOnUntrack) nodeTracker() tracker               { return c }
func (c cancelOnUntrack) prepare(*taskCore, context.Context) {}
func (c cancelOnUntrack) track(*taskCore, any)               {}
func (c cancelOnUntrack) untrack(t *taskCore)                { c.got <- t.Cancel(nil) }
func (c cancelOnUntrack) clock() *scopeClock                 { return nil }

func TestCancelAfterFunctionReturnedReportsFalse(t *testing.T) {
	c := cancelOnUntrack{got: make(chan bool, 1)}
	ctx := context.WithValue(t.Context(), nodeKey{}, node(c))
	task := Spawn(ctx, func(context.Context) (int, error) { return 1, nil })
	if <-c.got {
		t.Error("Cancel reported true after the function had returned")
	}
	if v, err := task.Await(t.Context()); v != 1 || err != nil {
		t.Fatalf("task: %v %v", v, err)
	}
}

func TestFinishedTaskDropsFunction(t *testing.T) {
	task := Spawn(t.Context(), func(context.Context) (int, error) { return 1, nil })
	task.Await(t.Context())
	// The parent context stays: the task's context, which its function
	// may have handed on, answers Value from it after the task has ended.
	if task.fn != nil {
		t.Fatal("a finished task still holds its function")
	}
}

// A task that passes on another task's cancellation is cancelled, so it is
// never reported as a failure nobody retrieved.
func TestPassedOnCancellationIsNotReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := Spawn(t.Context(), func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() })
		task := Spawn(t.Context(), func(ctx context.Context) (int, error) { return f.Await(ctx) })
		synctest.Wait()
		f.Cancel(nil)
		synctest.Wait()
		if reportOf(&task.taskCore) != nil {
			t.Fatalf("task %v with %v is armed for the unretrieved-error report", task.State(), task.endError())
		}
	})
}

// A task's outcome holds, until it finishes, the channel Done made and the
// Gather counting it down, in either order and together, and from then on
// only its error: Done hands out one channel before and after a Gather
// comes, the Gather is woken, and the channel closes.
func TestOutcomeHoldsDoneAndCounterTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		boom := errors.New("boom")
		task := Spawn(t.Context(), func(context.Context) (int, error) { <-release; return 0, boom })
		synctest.Wait()
		first := task.Done()
		gathered := make(chan error, 1)
		go func() {
			_, err := Gather(t.Context(), task, task)
			gathered <- err
		}()
		synctest.Wait()
		task.mu.Lock()
		done, counter := task.waitersLocked()
		task.mu.Unlock()
		if done == nil || counter == nil || (<-chan struct{})(done) != first {
			t.Fatalf("waiters = %v, %v; want Done's channel %v and a counter", done, counter, first)
		}
		if again := task.Done(); again != first {
			t.Fatalf("Done = %v after the Gather came, want %v", again, first)
		}
		if n := callbacksOn(&task.taskCore); n != 2 {
			t.Fatalf("%d watchers on the task, want 2 (the Gather's counter, and its second place as a callback)", n)
		}
		close(release)
		if err := <-gathered; !errors.Is(err, boom) {
			t.Fatalf("Gather = %v, want %v", err, boom)
		}
		select {
		case <-first:
		default:
			t.Fatal("Done's channel is still open after the task finished")
		}
		if err := task.Err(); !errors.Is(err, boom) {
			t.Fatalf("Err = %v, want %v", err, boom)
		}
		task.mu.Lock()
		outcome := task.outcome
		task.mu.Unlock()
		if outcome != boom {
			t.Fatalf("outcome = %v, want only the error", outcome)
		}
	})
}
