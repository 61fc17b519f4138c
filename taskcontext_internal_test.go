package async

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// unmadeChain counts the unmade task contexts that Err on ctx would ask in
// turn: ctx's own and those of the tasks above it, up to the first made
// one or the first context that is not a task's.
func unmadeChain(ctx context.Context) int {
	n := 0
	for {
		c, ok := ctx.(*taskContext)
		if !ok || !unmade((*taskCore)(c).live.Load()) {
			return n
		}
		n++
		ctx = (*taskCore)(c).base()
	}
}

// nest starts depth tasks, each with the context of the one before, none
// of which makes its context, and calls inner with the innermost's context
// in the innermost task. cancelAt, if not 0, is the level whose task is
// cancelled (1 is the outermost) before inner runs; returnAt the level
// whose function returns before inner runs.
func nest(t *testing.T, depth, cancelAt, returnAt int, inner func(ctx context.Context)) {
	t.Helper()
	hs := make([]Handle, depth+1)
	ready := make(chan struct{})
	called := false
	var level func(ctx context.Context, n int) (int, error)
	level = func(ctx context.Context, n int) (int, error) {
		hs[n] = Current(ctx) // written before the tasks below start
		if n == depth {
			close(ready)
			if cancelAt > 0 {
				hs[cancelAt].Cancel(errStop)
			}
			if returnAt > 0 {
				<-hs[returnAt].Done()
			}
			inner(ctx)
			called = true
			return 0, nil
		}
		child := Spawn(ctx, func(ctx context.Context) (int, error) { return level(ctx, n+1) })
		if n == returnAt {
			<-ready // the tasks below have started
			return 0, nil
		}
		<-child.Done() // not Await: that would make ctx's Done
		return 0, nil
	}
	outer := Spawn(context.Background(), func(ctx context.Context) (int, error) { return level(ctx, 1) })
	<-ready
	for _, h := range hs[1:] {
		<-h.Done()
	}
	<-outer.Done()
	if !called {
		t.Fatalf("depth %d: the innermost task did not run", depth)
	}
}

var errStop = errors.New("stop")

// However deep tasks are started one inside another, Err on the innermost
// asks at most maxUnmadeChain+1 unmade contexts: its cost does not grow
// with the depth. (It used to ask every enclosing task.)
func TestNestedTaskErrIsBounded(t *testing.T) {
	for _, depth := range []int{2, 5, 8, 64, 512} {
		nest(t, depth, 0, 0, func(ctx context.Context) {
			if n := unmadeChain(ctx); n > maxUnmadeChain+1 {
				t.Errorf("depth %d: Err asks %d unmade contexts, want at most %d", depth, n, maxUnmadeChain+1)
			}
			if ctx.Err() != nil {
				t.Errorf("depth %d: Err = %v in a live task", depth, ctx.Err())
			}
		})
	}
}

// The contexts made to keep the chain short change nothing that the
// innermost task sees: a cancellation or a return anywhere above reaches
// it, with its cause.
func TestNestedTaskErrSeesEveryLevel(t *testing.T) {
	const depth = 40
	for _, at := range []int{1, 2, depth / 2, depth - 4, depth - 1} {
		nest(t, depth, at, 0, func(ctx context.Context) {
			if err := ctx.Err(); err != context.Canceled || context.Cause(ctx) != errStop {
				t.Errorf("level %d cancelled: innermost Err %v, cause %v", at, err, context.Cause(ctx))
			}
		})
		nest(t, depth, 0, at, func(ctx context.Context) {
			if err := ctx.Err(); err != context.Canceled || context.Cause(ctx) != ErrTaskReturned {
				t.Errorf("level %d returned: innermost Err %v, cause %v", at, err, context.Cause(ctx))
			}
		})
	}
}

// A task may derive any number of contexts from its own: each registers
// with the task's context and leaves it when cancelled, in any order, so
// that what the task keeps follows the contexts still live; those are
// cancelled when the task ends.
func TestManyDerivedContextsLeaveNothingBehind(t *testing.T) {
	const n = 10000
	var kept []context.Context
	var keptCancels []context.CancelFunc
	registered := -1
	err := WithGroup(context.Background(), func(ctx context.Context, g *Group) error {
		g.Go(func(ctx context.Context) error {
			_ = ctx.Done() // the context's own channel: derived contexts register with it
			cancels := make([]context.CancelFunc, n)
			for i := range cancels {
				_, cancels[i] = context.WithCancel(ctx)
			}
			for i := 0; i < n; i += 2 { // every other one, oldest first
				cancels[i]()
			}
			for i := n - 1; i >= 0; i -= 2 { // the rest, newest first, as defers run
				cancels[i]()
			}
			for range 3 {
				c, cancel := context.WithCancel(ctx)
				kept, keptCancels = append(kept, c), append(keptCancels, cancel)
			}
			task := Current(ctx).(*taskCore)
			task.mu.Lock()
			registered = len(task.madeRare().after)
			task.mu.Unlock()
			return nil
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if registered != len(kept) {
		t.Errorf("%d registrations left after %d contexts were cancelled and %d kept, want %d", registered, n, len(kept), len(kept))
	}
	for i, c := range kept {
		if !errors.Is(context.Cause(c), ErrTaskReturned) {
			t.Errorf("kept context %d: cause %v, want ErrTaskReturned once the task ended", i, context.Cause(c))
		}
		keptCancels[i]()
	}
}

// Sixteen goroutines cancelling contexts derived from one task's context
// while its group is cancelled: every derived context ends, each with one
// cause, and nothing is left registered.
func TestDerivedContextsCancelledWhileTheGroupIs(t *testing.T) {
	const n, workers = 1024, 16
	derived := make([]context.Context, n)
	cancels := make([]context.CancelFunc, n)
	var task *taskCore
	_ = WithGroup(context.Background(), func(ctx context.Context, g *Group) error {
		ready := make(chan struct{})
		g.Go(func(ctx context.Context) error {
			_ = ctx.Done()
			task = Current(ctx).(*taskCore)
			for i := range derived {
				derived[i], cancels[i] = context.WithCancel(ctx)
			}
			close(ready)
			<-ctx.Done()
			return ctx.Err()
		})
		<-ready
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < n; i += workers {
					cancels[i]()
				}
			})
		}
		wg.Go(func() { g.Cancel(errors.New("stop")) })
		wg.Wait()
		return nil
	})
	for i, c := range derived {
		if c.Err() == nil {
			t.Fatalf("derived context %d still live", i)
		}
	}
	task.mu.Lock()
	left := len(task.madeRare().after)
	task.mu.Unlock()
	if left != 0 {
		t.Errorf("%d registrations left", left)
	}
}

// A group's list of the tasks whose Done channel it closes drops the
// finished ones as it grows: a long-lived group whose tasks come and go
// holds a list bounded by its running tasks (four times them), not by
// every task it ever ran.
func TestGroupWaitersStayWithinFourTimesTheRunningTasks(t *testing.T) {
	const running, churn = 100, 20000
	err := WithGroup(context.Background(), func(ctx context.Context, g *Group) error {
		stop := make(chan struct{})
		for range running {
			g.Go(func(ctx context.Context) error {
				select {
				case <-ctx.Done():
				case <-stop:
				}
				return nil
			})
		}
		for i := range churn {
			task := g.Go(func(ctx context.Context) error { _ = ctx.Done(); return nil })
			if _, err := task.Await(ctx); err != nil {
				return err
			}
			g.mu.Lock()
			n := len(g.waiters)
			g.mu.Unlock()
			if bound := 4 * (running + 1); n > bound {
				return fmt.Errorf("after %d tasks came and went the list holds %d, over %d", i+1, n, bound)
			}
		}
		close(stop)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
