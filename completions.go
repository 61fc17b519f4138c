package async

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// completions tells, on ch, the index of each of a list of tasks as it
// finishes. It is the one mechanism behind Wait, AsCompleted, Gather and
// GatherSettled. stop removes what it left on tasks that have not finished,
// so that a caller who waits on the same unfinished tasks again and again
// (the FirstCompleted loop) does not pile up callbacks on them: memory stays
// proportional to the tasks, as asyncio's remove_done_callback keeps it.
type completions struct {
	ch    chan int    // has room for every task, so that a finishing task never blocks; nil when counting
	cores []*taskCore // the tasks watched, in order (watch); counting reads its caller's (taskCount)

	// Counting, for Gather and GatherSettled, which need to hear only of
	// the first failure and of the last task to finish: a finishing task
	// counts itself down instead of sending its index, and wakes the
	// waiter only then.
	counting bool
	failFast bool                     // a failure wakes the waiter too (Gather)
	left     atomic.Int64             // tasks not finished yet
	failed   atomic.Pointer[taskCore] // the first task seen to fail
	wake     chan struct{}            // room for one: the waiter looks again at left and failed

	// Handles that are not this package's tasks are watched through their
	// Done channel, by a goroutine each, which stop ends.
	quit    chan struct{}
	foreign sync.WaitGroup
}

// coreOf returns the task behind h, or nil if h is not this package's.
func coreOf(h Handle) *taskCore {
	if c, ok := h.(interface{ core() *taskCore }); ok {
		return c.core()
	}
	return nil
}

// watch starts watching hs. The caller must call stop.
func watch[H Handle](hs []H) *completions {
	c := &completions{ch: make(chan int, len(hs)), cores: make([]*taskCore, len(hs))}
	for i, h := range hs {
		t := coreOf(h)
		c.cores[i] = t
		if t == nil {
			if c.quit == nil {
				c.quit = make(chan struct{})
			}
			c.foreign.Add(1)
			go c.watchForeign(h, i)
			continue
		}
		if t.finished() || !t.addCallback(doneCallback{c: c, i: i}) {
			c.ch <- i
		}
	}
	return c
}

// taskCount is completions in counting mode over tasks of one type, for
// Gather and GatherSettled. It reads the tasks from the caller's slice,
// which the caller keeps unchanged until stop: copying their cores, as
// watch does, cost an allocation of a pointer per task.
type taskCount[T any] struct {
	completions
	tasks []*Task[T]
}

// count starts watching tasks in counting mode (see completions.counting).
// The caller waits with next or waitAll, and must call stop.
func count[T any](tasks []*Task[T], failFast bool) *taskCount[T] {
	c := &taskCount[T]{completions: completions{counting: true, failFast: failFast, wake: make(chan struct{}, 1)}, tasks: tasks}
	c.left.Store(int64(len(tasks)))
	for _, t := range tasks {
		if t.finished() || !t.addCounter(&c.completions) {
			c.finished(&t.taskCore)
		}
	}
	return c
}

// firstFailed returns the index of the first task seen to fail, or -1.
func (c *taskCount[T]) firstFailed() int {
	f := c.failed.Load()
	if f == nil {
		return -1
	}
	return slices.IndexFunc(c.tasks, func(t *Task[T]) bool { return &t.taskCore == f })
}

// stop removes the counter from the tasks that have not finished.
func (c *taskCount[T]) stop() {
	for _, t := range c.tasks {
		if !t.finished() {
			t.removeCallbacks(&c.completions)
		}
	}
}

// finished counts t as finished, and wakes the waiter if it was the last
// or, under failFast, the first to fail. It runs after t's end is
// published.
func (c *completions) finished(t *taskCore) {
	if c.failFast && (t.state.is(Cancelled) || t.endError() != nil) && c.failed.CompareAndSwap(nil, t) {
		c.signal()
	}
	if c.left.Add(-1) == 0 {
		c.signal()
	}
}

func (c *completions) signal() {
	select {
	case c.wake <- struct{}{}:
	default: // a wake-up is pending already: the waiter will look again
	}
}

// next waits, in counting mode, until every task has finished or, under
// failFast, one has failed, and reports true; or until ctx ends first, and
// reports false.
func (c *completions) next(ctx context.Context) bool {
	for c.left.Load() > 0 && c.failed.Load() == nil {
		select {
		case <-c.wake:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// waitAll waits, in counting mode, until every task has finished.
func (c *completions) waitAll() {
	for c.left.Load() > 0 {
		<-c.wake
	}
}

func (c *completions) watchForeign(h Handle, i int) {
	defer c.foreign.Done()
	select {
	case <-h.Done():
		c.ch <- i
	case <-c.quit:
	}
}

// stop removes the callbacks left on the tasks that have not finished.
func (c *completions) stop() {
	for _, t := range c.cores {
		if t != nil && !t.finished() {
			t.removeCallbacks(c)
		}
	}
	if c.quit != nil {
		close(c.quit)
		c.foreign.Wait()
	}
}

// failed reports whether h ended with a failure (Done with an error),
// without marking the error retrieved.
func failed(h Handle, t *taskCore) bool {
	if t != nil {
		return t.State() == Done && t.endError() != nil
	}
	return h.State() == Done && h.Err() != nil
}

// retrieve returns h's error, marking it retrieved.
func retrieve(h Handle, t *taskCore) error {
	if t != nil {
		t.markRetrieved()
		return t.error()
	}
	return h.Err()
}

// awaitingAny records, for the task tree, that the task running with ctx
// (if a scope tracks it) waits for hs, and returns the function that ends
// the record, or nil if nothing was recorded. The tree shows one target: the
// first of hs that has not finished.
func awaitingAny[H Handle](ctx context.Context, hs []H) (end func()) {
	w := trackedCurrent(ctx)
	if w == nil {
		return nil
	}
	for _, h := range hs {
		if t := coreOf(h); t != nil && !t.finished() {
			rec := waitRecord{target: t, deadline: deadlineOf(ctx)}
			prev := w.setAwaiting(rec)
			return func() { w.restoreAwaiting(rec, prev) }
		}
	}
	return nil
}
