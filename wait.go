package async

import (
	"context"
	"fmt"
	"iter"
)

// WaitMode says when [Wait] returns (asyncio's return_when).
type WaitMode int

const (
	// AllCompleted: when every task has finished.
	AllCompleted WaitMode = iota
	// FirstCompleted: when any task finishes.
	FirstCompleted
	// FirstError: when any task fails, or else when all have finished. A
	// cancelled task is not a failure here, as in asyncio.
	FirstError
)

// String returns the asyncio name of the mode.
func (m WaitMode) String() string {
	switch m {
	case AllCompleted:
		return "ALL_COMPLETED"
	case FirstCompleted:
		return "FIRST_COMPLETED"
	case FirstError:
		return "FIRST_EXCEPTION"
	}
	return fmt.Sprintf("WaitMode(%d)", int(m))
}

// Wait waits for tasks as mode says and returns the finished ones and the
// others, each in the order of tasks (asyncio.wait). It cancels nothing and
// retrieves no error: the caller decides what to do with both sets. If ctx
// ends first, Wait returns the sets as they are then and an error wrapping
// ctx's cause. An unknown mode is an error, and nothing is waited for.
// With no tasks, Wait returns at once two nil sets and a nil error,
// whatever the (known) mode, even if ctx has ended: there is nothing to
// wait for (asyncio.wait raises ValueError instead).
//
// The tasks may be of one result type (H is then *Task[T] and the sets are
// typed) or of any mix: Wait[Handle](ctx, mode, a, b) takes a *Task[int] and
// a *Task[string] alike. Wait leaves nothing behind on the tasks still
// pending, so calling it in a loop until every task is done costs memory in
// proportion to the tasks, not to the calls.
func Wait[H Handle](ctx context.Context, mode WaitMode, tasks ...H) (done, pending []H, err error) {
	if mode != AllCompleted && mode != FirstCompleted && mode != FirstError {
		return nil, nil, fmt.Errorf("async: wait: invalid mode %v", mode)
	}
	c := watch(tasks)
	defer c.stop()
	if end := awaitingAny(ctx, tasks); end != nil {
		defer end()
	}
	finished := 0
wait:
	for finished < len(tasks) {
		select {
		case i := <-c.ch:
			finished++
			if mode == FirstCompleted || mode == FirstError && failed(tasks[i], c.cores[i]) {
				break wait
			}
		case <-ctx.Done():
			err = fmt.Errorf("async: wait: %w", context.Cause(ctx))
			break wait
		}
	}
	for _, t := range tasks {
		if t.State().Finished() {
			done = append(done, t)
		} else {
			pending = append(pending, t)
		}
	}
	return done, pending, err
}

// AsCompleted yields each task as it finishes, in the order they finish,
// with its error (nil if it succeeded); asyncio.as_completed. The caller may
// stop early: nothing is left blocked or registered on the tasks. If ctx ends
// before every task has been yielded, the sequence ends with one pair (the
// zero H, error wrapping ctx's cause). It cancels nothing. Like [Wait], it
// takes tasks of one type or, as AsCompleted[Handle], of any mix.
func AsCompleted[H Handle](ctx context.Context, tasks ...H) iter.Seq2[H, error] {
	return func(yield func(H, error) bool) {
		c := watch(tasks)
		defer c.stop()
		if end := awaitingAny(ctx, tasks); end != nil {
			defer end()
		}
		for range tasks {
			select {
			case i := <-c.ch:
				if !yield(tasks[i], retrieve(tasks[i], c.cores[i])) {
					return
				}
			case <-ctx.Done():
				var zero H
				yield(zero, fmt.Errorf("async: as completed: %w", context.Cause(ctx)))
				return
			}
		}
	}
}
