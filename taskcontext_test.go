package async_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// A task's own context is made only when something needs it. These tests
// look at the context from the angles that do not make it (Err, Value,
// Deadline, Cause) and check that it answers as a made one would.

type ctxKey struct{}

func TestTaskContextErrFollowsParentDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		var cause, err error
		task := async.Spawn(parent, func(ctx context.Context) (int, error) {
			for ctx.Err() == nil { // polls, never asks for Done
				time.Sleep(100 * time.Millisecond)
			}
			cause, err = context.Cause(ctx), ctx.Err()
			return 0, err
		})
		task.Await(t.Context())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ctx.Err() = %v, want DeadlineExceeded", err)
		}
		if !errors.Is(cause, context.DeadlineExceeded) {
			t.Errorf("context.Cause = %v, want DeadlineExceeded", cause)
		}
		if !task.Cancelled() {
			t.Errorf("task %v, want cancelled: it returned its context's error", task.State())
		}
	})
}

func TestTaskContextAfterReturnIsEnded(t *testing.T) {
	parent := context.WithValue(t.Context(), ctxKey{}, "v")
	var kept context.Context
	task := async.Spawn(parent, func(ctx context.Context) (int, error) {
		kept = ctx // nothing here makes the task's own context
		return 1, nil
	})
	task.Await(t.Context())
	if err := kept.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err after the task returned = %v, want Canceled", err)
	}
	if c := context.Cause(kept); !errors.Is(c, async.ErrTaskReturned) {
		t.Errorf("Cause after the task returned = %v, want ErrTaskReturned", c)
	}
	select {
	case <-kept.Done():
	default:
		t.Error("Done after the task returned is not closed")
	}
	if v := kept.Value(ctxKey{}); v != "v" {
		t.Errorf("Value after the task returned = %v, want the parent's", v)
	}
	if async.Current(kept) == nil || async.Current(kept).ID() != task.ID() {
		t.Error("Current does not find the task from its context")
	}
}

func TestTaskContextCancelReachesDerivedContexts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cause := errors.New("stop")
		parentCancelled := false
		var got, err error
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			if _, ok := ctx.Deadline(); ok {
				t.Error("a deadline appeared from nowhere")
			}
			inner, cancel := context.WithCancel(context.WithValue(ctx, ctxKey{}, 1))
			defer cancel()
			<-inner.Done()
			parentCancelled = t.Context().Err() != nil
			got, err = context.Cause(inner), inner.Err()
			return 0, err
		})
		synctest.Wait()
		if !task.Cancel(cause) {
			t.Fatal("Cancel of a running task reported false")
		}
		task.Await(t.Context())
		if !errors.Is(got, cause) || !errors.Is(err, context.Canceled) {
			t.Errorf("derived context: cause %v, err %v; want %v, Canceled", got, err, cause)
		}
		if parentCancelled {
			t.Error("cancelling the task cancelled its parent")
		}
	})
}

func TestTaskContextCancelBeforeStart(t *testing.T) {
	cause := errors.New("never mind")
	ready := make(chan struct{})
	entered := false
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		g.Go(func(context.Context) error { <-ready; return nil })
		queued := g.Go(func(context.Context) error { entered = true; return nil })
		queued.Cancel(cause)
		close(ready)
		if _, err := queued.Await(ctx); !errors.Is(err, cause) || !queued.Cancelled() {
			t.Errorf("queued task: %v %v, want cancelled with %v", queued.State(), err, cause)
		}
		return nil
	}, async.WithLimit(1))
	if err != nil || entered {
		t.Fatalf("group %v, entered %v", err, entered)
	}
}

// The point of it: a task whose function never looks at its context costs
// its Task and its goroutine's closure, whatever the parent.
func TestTaskThatIgnoresItsContextAllocatesTwice(t *testing.T) {
	fn := func(context.Context) (int, error) { return 1, nil }
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	for name, ctx := range map[string]context.Context{"background": context.Background(), "cancellable": parent} {
		allocs := testing.AllocsPerRun(1000, func() {
			task := async.Spawn(ctx, fn)
			for task.State() != async.Done { // not Await: waiting may make a channel
				runtime.Gosched()
			}
		})
		if allocs > 2 {
			t.Errorf("%s: %v allocations per task, want at most 2", name, allocs)
		}
	}
}

// A task of a Run scope costs the same two allocations, its Task with its
// extra part in one: recording it in the scope's registry and its times
// from the scope's clock allocates nothing per task.
func TestTrackedTaskThatIgnoresItsContextAllocatesTwice(t *testing.T) {
	fn := func(context.Context) (int, error) { return 1, nil }
	err := async.Run(context.Background(), func(ctx context.Context) error {
		allocs := leastAllocs(func() float64 {
			return testing.AllocsPerRun(1000, func() {
				task := async.Spawn(ctx, fn)
				for task.State() != async.Done { // not Await: waiting may make a channel
					runtime.Gosched()
				}
			})
		})
		if allocs > 2 {
			t.Errorf("%v allocations per tracked task, want at most 2", allocs)
		}
		return nil
	}, async.WithSignals(nil))
	if err != nil {
		t.Fatal(err)
	}
}

// The task's own context may be made by any of several goroutines at once,
// while the task is cancelled and ends: whoever makes it, everyone sees one
// context, cancelled with the first cause, and ended with the task.
func TestTaskContextMadeConcurrently(t *testing.T) {
	for round := range 200 {
		cause := errors.New("stop")
		ready := make(chan context.Context)
		release := make(chan struct{})
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			ready <- ctx
			<-release
			return 0, ctx.Err()
		})
		ctx := <-ready
		dones := make(chan (<-chan struct{}), 4)
		for range 4 {
			go func() { dones <- ctx.Done() }()
		}
		cancelled := make(chan bool)
		go func() { cancelled <- task.Cancel(cause) }()
		if !<-cancelled {
			t.Fatalf("round %d: Cancel of a running task reported false", round)
		}
		close(release)
		first := <-dones
		for range 3 {
			if d := <-dones; d != first {
				t.Fatalf("round %d: two Done channels for one context", round)
			}
		}
		<-first
		task.Await(t.Context())
		if c := context.Cause(ctx); !errors.Is(c, cause) {
			t.Fatalf("round %d: cause %v, want %v", round, c, cause)
		}
		if !task.Cancelled() {
			t.Fatalf("round %d: task %v, want cancelled", round, task.State())
		}
	}
}

// A context first looked at after its task ended is made ended, once, by
// whichever of several goroutines gets there first.
func TestTaskContextMadeAfterEndConcurrently(t *testing.T) {
	for round := range 200 {
		var kept context.Context
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { kept = ctx; return 0, nil })
		task.Await(t.Context())
		dones := make(chan (<-chan struct{}), 4)
		for range 4 {
			go func() { dones <- kept.Done() }()
		}
		first := <-dones
		for range 3 {
			if d := <-dones; d != first {
				t.Fatalf("round %d: two Done channels for one context", round)
			}
		}
		<-first
		if c := context.Cause(kept); !errors.Is(c, async.ErrTaskReturned) {
			t.Fatalf("round %d: cause %v, want ErrTaskReturned", round, c)
		}
	}
}
