package async

import (
	"context"
	"fmt"
	"time"
)

// WaitFor waits at most d for t (asyncio.wait_for). When the time is up it
// cancels t with a [*TimeoutError], waits for t to end, and returns that
// error: errors.Is(err, ErrTimeout) and errors.Is(err, context.DeadlineExceeded)
// hold, errors.Is(err, context.Canceled) does not. If t finishes its work
// despite the cancellation, its result is returned instead, as asyncio does.
//
// If ctx ends first, that is the caller cancelling: t is cancelled with ctx's
// cause and WaitFor returns at once with an error wrapping that cause.
func WaitFor[T any](ctx context.Context, d time.Duration, t *Task[T]) (T, error) {
	timeout := &TimeoutError{What: "task", Name: t.Name(), After: d}
	tctx, cancel := context.WithTimeoutCause(ctx, d, timeout)
	defer cancel()
	v, err := t.Await(tctx)
	if t.finished() {
		return v, err
	}
	var zero T
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		t.Cancel(cause)
		return zero, fmt.Errorf("async: wait for task %q: %w", t.Name(), cause)
	}
	t.Cancel(timeout)
	if v, err = t.Await(ctx); err == nil {
		return v, nil
	}
	if !t.finished() { // the caller gave up while t was stopping
		return zero, err
	}
	return zero, timeout
}

// Timeout runs fn with a context that expires after d (asyncio.timeout, a
// deadline for a block of code rather than for a task). fn runs in the
// caller's goroutine. If the deadline expires and fn gives up because of it,
// Timeout returns a [*TimeoutError] naming the block ([WithName]; "operation"
// by default) instead of fn's context error, so a timeout is told apart from a
// cancellation by the caller. Anything else fn returns is returned as is.
// d == [NoTimeout] runs fn with ctx itself. For a deadline that fn can read
// and move, use [NewTimeout].
//
// Options: [WithName].
func Timeout[T any](ctx context.Context, d time.Duration, fn func(context.Context) (T, error), opts ...Option) (T, error) {
	if d == NoTimeout {
		return fn(ctx)
	}
	var name string
	if len(opts) > 0 {
		name = buildConfig(opts).name
	}
	// No formatting here: the message is made only if the error is read.
	timeout := &TimeoutError{Name: name, After: d}
	tctx, cancel := context.WithTimeoutCause(ctx, d, timeout)
	defer cancel()
	v, err := fn(tctx)
	if err != nil && context.Cause(tctx) == timeout {
		if err = timeoutOutcome(ctx, timeout, err); err == timeout {
			var zero T
			return zero, err
		}
	}
	return v, err
}

// Shield returns a new task that awaits t, so that cancelling the new task —
// directly, through [Gather], [WaitFor] or a [Group], or by ending ctx — does
// not cancel t (asyncio.shield). t runs on and can still be awaited itself.
//
// Note that [Task.Await] never cancels the task it waits for; Shield is for
// handing a task to something that does.
func Shield[T any](ctx context.Context, t *Task[T], opts ...Option) *Task[T] {
	return Spawn(ctx, t.Await, opts...)
}
