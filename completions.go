package async

import (
	"context"
	"sync"
)

// completions tells, on ch, the index of each of a list of tasks as it
// finishes. It is the one mechanism behind Wait, AsCompleted, Gather and
// GatherSettled. stop removes what it left on tasks that have not finished,
// so that a caller who waits on the same unfinished tasks again and again
// (the FirstCompleted loop) does not pile up callbacks on them: memory stays
// proportional to the tasks, as asyncio's remove_done_callback keeps it.
type completions struct {
	ch    chan int // has room for every task, so that a finishing task never blocks
	cores []*taskCore

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
		return t.State() == Done && t.err != nil
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
