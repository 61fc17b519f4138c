package async

import (
	"context"
	"fmt"
	"time"
)

// WaitFor waits at most d for t (asyncio.wait_for) and returns its result
// and error.
//
// If the time is up, or ctx ends first (the caller cancelling), WaitFor
// cancels t — with a [*TimeoutError], or with ctx's cause — and waits for t
// to end before it returns, as asyncio.wait_for does: nothing WaitFor
// cancels outlives the call. Then:
//   - if t ended with its result anyway (it finished just as the time was up,
//     or finished its work despite the cancellation), that result is returned;
//   - if t failed with an error of its own, that error is returned: a real
//     failure is never hidden behind the timeout;
//   - if t ended cancelled, the error is the timeout (errors.Is(err,
//     ErrTimeout) and errors.Is(err, context.DeadlineExceeded) hold,
//     errors.Is(err, context.Canceled) does not), or an error wrapping ctx's
//     cause.
//
// A task that ignores its cancellation keeps WaitFor waiting.
func WaitFor[T any](ctx context.Context, d time.Duration, t *Task[T]) (T, error) {
	// The timeout is named only once it has happened: on the path where
	// the task finishes in time, WaitFor formats nothing.
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if t.wait(tctx) == nil {
		return t.Result()
	}
	var timeout *TimeoutError
	var cause error
	if ctx.Err() != nil {
		cause = context.Cause(ctx)
	} else {
		timeout = &TimeoutError{What: "task", Name: t.Name(), After: d}
		cause = timeout
	}
	t.Cancel(cause)
	if w := trackedCurrent(ctx); w != nil {
		rec := waitRecord{target: &t.taskCore}
		defer w.restoreAwaiting(rec, w.setAwaiting(rec))
	}
	<-t.Done()
	v, err := t.Result()
	if !t.Cancelled() {
		return v, err
	}
	var zero T
	if timeout != nil {
		return zero, timeout
	}
	return zero, fmt.Errorf("async: wait for task %q: %w", t.Name(), cause)
}

// Timeout runs fn with a context that expires after d (asyncio.timeout, a
// deadline for a block of code rather than for a task). fn runs in the
// caller's goroutine. If the deadline expires and fn gives up because of it,
// Timeout returns a [*TimeoutError] naming the block ([WithName]; "operation"
// by default) instead of fn's context error, so a timeout is told apart from a
// cancellation by the caller. Anything else fn returns is returned as is.
// d == [NoTimeout] runs fn with ctx itself. For a deadline that fn can read
// and move, use [NewTimeout]. Inside a [Run], the task tree shows the task
// running the block as awaiting `timeout "name"` and when it expires.
//
// Options: [WithName].
func Timeout[T any](ctx context.Context, d time.Duration, fn func(context.Context) (T, error), opts ...TimeoutOption) (T, error) {
	if d == NoTimeout {
		return fn(ctx)
	}
	var name string
	if len(opts) > 0 {
		name = nameOf(opts)
	}
	// No formatting here: the message is made only if the error is read.
	timeout := &TimeoutError{Name: name, After: d}
	tctx, cancel := context.WithTimeoutCause(ctx, d, timeout)
	defer cancel()
	if w := trackedCurrent(ctx); w != nil {
		// The tree shows the block's deadline on the task running it; a
		// wait inside fn (Await, Gather, ...) replaces it while it lasts.
		rec := waitRecord{sleep: name, timeout: true, deadline: deadlineOf(tctx)}
		defer w.restoreAwaiting(rec, w.setAwaiting(rec))
	}
	v, err := fn(tctx)
	if err = timeoutOutcome(context.Cause(tctx), timeout, err); err == timeout {
		var zero T
		return zero, err
	}
	return v, err
}
