package async

import "context"

// Shield returns a new task that awaits t, so that cancelling the new task —
// directly, through [Gather], [WaitFor] or a [Group], or by ending ctx — does
// not cancel t (asyncio.shield). t runs on and can still be awaited itself.
//
// Note that [Task.Await] never cancels the task it waits for; Shield is for
// handing a task to something that does.
func Shield[T any](ctx context.Context, t *Task[T], opts ...TaskOption) *Task[T] {
	return Spawn(ctx, t.Await, opts...)
}
