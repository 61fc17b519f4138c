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
// ctx's cause.
func Wait[T any](ctx context.Context, mode WaitMode, tasks ...*Task[T]) (done, pending []*Task[T], err error) {
	ch := make(chan int, len(tasks))
	notifyDone(ch, tasks)
	finished := 0
wait:
	for finished < len(tasks) {
		select {
		case i := <-ch:
			finished++
			t := tasks[i]
			if mode == FirstCompleted || mode == FirstError && t.State() == Done && t.err != nil {
				break wait
			}
		case <-ctx.Done():
			err = fmt.Errorf("async: wait: %w", context.Cause(ctx))
			break wait
		}
	}
	for _, t := range tasks {
		if t.finished() {
			done = append(done, t)
		} else {
			pending = append(pending, t)
		}
	}
	return done, pending, err
}

// AsCompleted yields each task as it finishes, in the order they finish,
// with its error (nil if it succeeded); asyncio.as_completed. The caller may
// stop early: nothing is left blocked. If ctx ends before every task has been
// yielded, the sequence ends with one pair (nil, error wrapping ctx's cause).
// It cancels nothing.
func AsCompleted[T any](ctx context.Context, tasks ...*Task[T]) iter.Seq2[*Task[T], error] {
	return func(yield func(*Task[T], error) bool) {
		ch := make(chan int, len(tasks))
		notifyDone(ch, tasks)
		for range tasks {
			select {
			case i := <-ch:
				t := tasks[i]
				t.markRetrieved()
				if !yield(t, t.err) {
					return
				}
			case <-ctx.Done():
				yield(nil, fmt.Errorf("async: as completed: %w", context.Cause(ctx)))
				return
			}
		}
	}
}
