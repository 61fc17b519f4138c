package async

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Result is the outcome of one task: its value, or its error.
type Result[T any] struct {
	Value T
	Err   error
}

// notifyDone arranges for i to be sent on ch when tasks[i] finishes. ch must
// have room for every task, so that no callback ever blocks.
func notifyDone[T any](ch chan<- int, tasks []*Task[T]) {
	for i, t := range tasks {
		if t.finished() {
			ch <- i // no callback to allocate
			continue
		}
		t.onDone(func() { ch <- i })
	}
}

// Gather waits for every task and returns their results in the order of
// tasks (asyncio.gather).
//
// It fails fast: as soon as one task fails, Gather cancels the others with
// that failure as the cause and returns its error at once. This differs on
// purpose from asyncio.gather, which leaves the other tasks running: in Go a
// forgotten task is a leaked goroutine, and nothing would cancel it. If ctx
// ends first, Gather cancels every unfinished task with ctx's cause and
// returns an error wrapping it.
//
// To get every outcome instead, use [GatherSettled].
func Gather[T any](ctx context.Context, tasks ...*Task[T]) ([]T, error) {
	ch := make(chan int, len(tasks))
	notifyDone(ch, tasks)
	for range tasks {
		select {
		case i := <-ch:
			t := tasks[i]
			if t.err != nil {
				t.markRetrieved()
				cancelAll(tasks, &TaskError{Task: t.Name(), Err: t.err})
				return nil, t.err
			}
		case <-ctx.Done():
			cause := context.Cause(ctx)
			cancelAll(tasks, cause)
			return nil, fmt.Errorf("async: gather: %w", cause)
		}
	}
	out := make([]T, len(tasks))
	for i, t := range tasks {
		out[i] = t.val
	}
	return out, nil
}

func cancelAll[T any](tasks []*Task[T], cause error) {
	for _, t := range tasks {
		t.Cancel(cause)
	}
}

// GatherSettled waits for every task and returns each one's value or error,
// in the order of tasks (asyncio.gather with return_exceptions=True). A
// failure does not disturb the other tasks. If ctx ends first, the unfinished
// tasks are cancelled with ctx's cause and GatherSettled still waits for them
// to end, so every Result is final.
func GatherSettled[T any](ctx context.Context, tasks ...*Task[T]) []Result[T] {
	ch := make(chan int, len(tasks))
	notifyDone(ch, tasks)
	stop := ctx.Done()
	for range tasks {
		select {
		case <-ch:
		case <-stop:
			cancelAll(tasks, context.Cause(ctx))
			stop = nil
			<-ch
		}
	}
	out := make([]Result[T], len(tasks))
	for i, t := range tasks {
		t.markRetrieved()
		out[i] = Result[T]{Value: t.val, Err: t.err}
	}
	return out
}

// GatherFunc runs every function as a task and returns their results in
// order (asyncio.gather of coroutines). The first failure cancels the others;
// unlike [Gather], GatherFunc owns its tasks, so it returns only after all of
// them have ended — with the first failure's error, wrapped with the
// function's index. Options: [WithLimit].
func GatherFunc[T any](ctx context.Context, fns []func(context.Context) (T, error), opts ...Option) ([]T, error) {
	return fanOut(ctx, "function", len(fns), func(ctx context.Context, i int) (T, error) {
		return fns[i](ctx)
	}, opts)
}

// Map calls fn for every item concurrently, at most [WithLimit] at a time,
// and returns the results in the order of items. The first failure cancels
// the calls still running and keeps queued ones from starting; Map returns
// after every call has ended, with that failure's error wrapped with the
// item's index. Under a limit smaller than len(items), Map runs that many
// tasks, each taking the next item in turn, instead of a task per item: the
// concurrency is the same and nothing is made up front for items still
// waiting. Options: [WithLimit], [WithName] (names the group).
func Map[In, Out any](ctx context.Context, items []In, fn func(context.Context, In) (Out, error), opts ...Option) ([]Out, error) {
	return fanOut(ctx, "item", len(items), func(ctx context.Context, i int) (Out, error) {
		return fn(ctx, items[i])
	}, opts)
}

func fanOut[T any](ctx context.Context, what string, n int, call func(context.Context, int) (T, error), opts []Option) ([]T, error) {
	out := make([]T, n)
	var (
		mu    sync.Mutex
		first error
	)
	one := func(ctx context.Context, i int) error {
		v, err := call(ctx, i)
		if err != nil {
			mu.Lock()
			if first == nil {
				first = fmt.Errorf("%s %d: %w", what, i, err)
			}
			mu.Unlock()
			return err
		}
		out[i] = v
		return nil
	}
	workers := n
	if limit := buildConfig(opts).limit; limit > 0 && limit < n {
		workers = limit
	}
	groupErr := WithGroup(ctx, func(ctx context.Context, g *Group) error {
		if workers == n { // a task per item
			for i := range n {
				g.Go(func(ctx context.Context) error { return one(ctx, i) })
			}
			return nil
		}
		// Under a limit, a few tasks take the items in turn: the same
		// concurrency as a task per item queued behind the limit, without
		// making n tasks up front.
		var next atomic.Int64
		for range workers {
			g.Go(func(ctx context.Context) error {
				for {
					i := int(next.Add(1) - 1)
					if i >= n {
						return nil
					}
					if err := ctx.Err(); err != nil {
						return err // a failure or the caller stopped us: take no more
					}
					if err := one(ctx, i); err != nil {
						return err
					}
				}
			})
		}
		return nil
	}, opts...)
	if groupErr == nil {
		return out, nil
	}
	if ge := (*GroupError)(nil); errors.As(groupErr, &ge) && first != nil {
		return nil, first
	}
	return nil, groupErr
}
