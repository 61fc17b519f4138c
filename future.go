package async

import (
	"context"
	"sync/atomic"
)

// Future is a result that is set from outside rather than returned by a
// function: asyncio's Future, the bridge from callback APIs. Whoever
// produces the result calls [Future.Set], [Future.Fail] or [Future.Cancel],
// once; whoever needs it awaits it.
//
// A Future is a [*Task] with no function, embedded here, so everything that
// takes tasks takes it: f.Await(ctx), async.Gather(ctx, f.Task, t),
// async.Wait, async.AsCompleted, async.WaitFor, done callbacks, and the task
// tree, where it shows as a pending task until it is settled. A future
// stays [Pending] until it ends [Done] (Set, Fail) or [Cancelled]: there is
// no function to be Running.
//
// Every method of [Task] is a method of every Future[T], through the
// embedded *Task[T]: f.Await, f.Done, f.Err, f.Cancelled and the rest. go
// doc lists those that do not involve T as `func (t Future) …`, without the
// type parameter or the pointer, because it shows promoted methods with the
// receiver of the type they are promoted to; they are the [Task] methods
// documented there, and f.Err() works on a *Future[int] as on any other.
// Set, Fail and Cancel are the Future's own: Cancel replaces the Task's, to
// settle the future at once.
type Future[T any] struct {
	*Task[T]
	settled atomic.Bool // the first of Set, Fail, Cancel or ctx's end wins
	stop    func() bool // unregisters the cancellation watch
}

// NewFuture returns an unsettled future. ctx places it in the task tree, as
// it does a task, and cancels it: when ctx ends before the future is
// settled, the future ends [Cancelled] with ctx's cause.
//
// Options: [WithName].
func NewFuture[T any](ctx context.Context, opts ...TaskOption) *Future[T] {
	// The tree shows NewFuture as the origin: nothing runs, and that is
	// what tells a future from a task there.
	f := &Future[T]{Task: newTask[T](ctx, false, nil, NewFuture[T], opts)}
	// The task's context is cancelled by ctx's end and by Task.Cancel
	// (which Gather, WaitFor and groups use); either settles the future.
	f.stop = context.AfterFunc(f.Task.context(), func() { f.settleCancelled() })
	return f
}

// Set settles the future with the result v (asyncio's set_result). It
// reports false, and changes nothing, if the future was already settled.
func (f *Future[T]) Set(v T) bool {
	if !f.settled.CompareAndSwap(false, true) {
		return false
	}
	f.stop()
	f.Task.finish(v, nil, true)
	return true
}

// Fail settles the future with the error err (asyncio's set_exception): it
// ends [Done] and err reaches every awaiter. A nil err fails it with
// [ErrNilFailure]. It reports false, and changes nothing, if the future was
// already settled.
//
// An err that matches context.Canceled is a cancellation, not a failure, by
// the one rule that tells them apart for tasks (see the package
// documentation), as for a task whose function returned err: the future ends
// [Cancelled], with err as the cause its *[CancelledError] carries. Any
// other error, context.DeadlineExceeded included, ends it Done.
func (f *Future[T]) Fail(err error) bool {
	if err == nil {
		err = ErrNilFailure
	}
	if !f.settled.CompareAndSwap(false, true) {
		return false
	}
	f.stop()
	var zero T
	f.Task.finish(zero, err, true)
	return true
}

// Cancel settles the future as [Cancelled] with cause (context.Canceled if
// nil), at once: when Cancel returns true, the future has ended and its
// awaiters are released. It reports false if the future was already
// settled.
func (f *Future[T]) Cancel(cause error) bool {
	if !f.settled.CompareAndSwap(false, true) {
		return false
	}
	f.stop()
	f.Task.taskCore.Cancel(cause) // records the cause in the context
	f.finishCancelled()
	return true
}

// settleCancelled settles the future as cancelled by its context.
func (f *Future[T]) settleCancelled() {
	if f.settled.CompareAndSwap(false, true) {
		f.finishCancelled()
	}
}

func (f *Future[T]) finishCancelled() {
	var zero T
	f.Task.finish(zero, nil, false)
}
