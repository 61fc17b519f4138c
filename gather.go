package async

import (
	"context"
	"fmt"
)

// Result is the outcome of one task: its value, or its error.
type Result[T any] struct {
	Value T
	Err   error
}

// Gather waits for every task and returns their results in the order of
// tasks (asyncio.gather).
//
// It fails fast: as soon as one task fails or is cancelled, Gather cancels
// the others with that failure as the cause, waits for them to end, and
// returns the first one's error. The errors the others end with are
// consequences and count as retrieved, as asyncio.gather marks them. This
// differs on purpose from asyncio.gather, which leaves the other tasks
// running: in Go a forgotten task is a leaked goroutine, and nothing would
// cancel it. Nothing Gather cancels outlives the call.
//
// If ctx ends first, Gather likewise cancels every unfinished task with
// ctx's cause, waits for them, and returns an error wrapping the cause.
//
// To get every outcome instead, use [GatherSettled].
func Gather[T any](ctx context.Context, tasks ...*Task[T]) ([]T, error) {
	if len(tasks) == 1 {
		return gatherOne(ctx, tasks[0])
	}
	c := count(tasks, true)
	defer c.stop()
	if end := awaitingAny(ctx, tasks); end != nil {
		defer end()
	}
	if !c.next(ctx) {
		cause := context.Cause(ctx)
		settle(c, cause)
		return nil, fmt.Errorf("async: gather: %w", cause)
	}
	if i := c.firstFailed(); i >= 0 {
		t := tasks[i]
		err := t.error()
		settle(c, &TaskError{Task: t.Name(), Err: err})
		return nil, err
	}
	out := make([]T, len(tasks))
	for i, t := range tasks {
		out[i] = t.val
	}
	return out, nil
}

// gatherOne is Gather of one task: Await, and what Gather does when ctx
// ends first, without watching the task through a counter.
func gatherOne[T any](ctx context.Context, t *Task[T]) ([]T, error) {
	if !t.finished() && t.wait(ctx) != nil {
		cause := context.Cause(ctx)
		t.Cancel(cause)
		<-t.Done()
		t.markRetrieved()
		return nil, fmt.Errorf("async: gather: %w", cause)
	}
	if err := t.error(); err != nil {
		t.markRetrieved()
		return nil, err
	}
	return []T{t.val}, nil
}

// settle cancels every task c counts with cause, waits until all of them
// have ended, and marks their errors retrieved.
func settle[T any](c *taskCount[T], cause error) {
	for _, t := range c.tasks {
		t.Cancel(cause)
	}
	c.waitAll()
	for _, t := range c.tasks {
		t.markRetrieved()
	}
}

// GatherSettled waits for every task and returns each one's value or error,
// in the order of tasks (asyncio.gather with return_exceptions=True). A
// failure does not disturb the other tasks. If ctx ends first, the unfinished
// tasks are cancelled with ctx's cause and GatherSettled still waits for them
// to end, so every Result is final.
func GatherSettled[T any](ctx context.Context, tasks ...*Task[T]) []Result[T] {
	c := count(tasks, false)
	defer c.stop()
	if end := awaitingAny(ctx, tasks); end != nil {
		defer end()
	}
	if !c.next(ctx) {
		settle(c, context.Cause(ctx))
	}
	out := make([]Result[T], len(tasks))
	for i, t := range tasks {
		t.markRetrieved()
		out[i] = Result[T]{Value: t.val, Err: t.error()}
	}
	return out
}

// GatherFunc runs every function as a task and returns their results in
// order (asyncio.gather of coroutines). The first failure cancels the others;
// unlike [Gather], GatherFunc owns its tasks, so it returns only after all of
// them have ended — with the first failure's error, an [*IndexError] with
// the function's index. Its join policy and the rules it follows are
// [Map]'s. Options: [WithLimit], [WithName], [WithJoin].
func GatherFunc[T any](ctx context.Context, fns []func(context.Context) (T, error), opts ...FanOutOption) ([]T, error) {
	return fanOut(ctx, "function", len(fns), func(ctx context.Context, i int) (T, error) {
		return fns[i](ctx)
	}, configOf(opts, FanOutOption.applyFanOut))
}

// Map calls fn for every item concurrently, at most [WithLimit] at a time,
// and returns the results in the order of items. The first failure cancels
// the calls still running and keeps queued ones from starting; Map returns
// after every call has ended, with that failure's error, an [*IndexError]
// with the item's index. Under a limit smaller than len(items), Map runs
// that many tasks, each taking the next item in turn, instead of a task per
// item: the concurrency is the same and nothing is made up front for items
// still waiting.
//
// Each call has a context of its own, derived from ctx, which ends when the
// call returns (with the cause [ErrTaskReturned]) and which the calls'
// cancellation cancels. Like a task's, it is made only when the call asks
// for its Done channel: under a limit, a call that does not costs a 64th
// of an allocation for its context, and a success nothing more under the
// default policy or [CollectAll].
//
// [WithJoin] replaces the first-failure rule with any [JoinPolicy]: each
// call's end is handed to its Join, in the order the calls end, as a
// [Handle] named "item N" (whose Err, like the error Join receives, is an
// [*IndexError]; a call cancelled, or never made because the calls were
// cancelled, ends [Cancelled]); a cause Join returns cancels the calls
// still running and keeps the rest from starting; what the policy's Result
// returns is Map's error (a [*GroupError] named after Map's group).
// [CollectAll] runs every call whatever fails and returns every failure;
// [FirstSuccess] cancels the rest at the first success, whose index is
// [Race.Index] and whose value [WinnerResult] returns. When ctx ends and the
// policy reports no failure, the error is a [*CancelledError] with ctx's
// cause, as WithGroup's. Whatever the error, the results of the calls that
// succeeded are in place. Options: [WithLimit], [WithName] (names the
// group), [WithJoin].
func Map[In, Out any](ctx context.Context, items []In, fn func(context.Context, In) (Out, error), opts ...FanOutOption) ([]Out, error) {
	return fanOut(ctx, "item", len(items), func(ctx context.Context, i int) (Out, error) {
		return fn(ctx, items[i])
	}, configOf(opts, FanOutOption.applyFanOut))
}
