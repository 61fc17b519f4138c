package async

import (
	"context"
	"iter"
	"runtime"
	"strconv"
	"sync"
)

// Stream calls fn for every item of items, at most [WithLimit] calls at a
// time, and yields each call's result with the item's index, in the order of
// items, as soon as that call and every call before it have ended (conc's
// stream). It is [Map] for sequences that are long, endless or produced as
// they go, and for consumers that want each result in order without waiting
// for the batch: the ordered output of a crawler, a pipeline stage.
//
// Memory is bounded: at most limit + backlog items ([WithBacklog]) are taken
// from items and not yet yielded, running, queued, or finished and waiting
// for an earlier one; Stream takes the next item only when there is room
// for it in that window, which the consumer makes by taking a result. A
// slow item therefore holds up the ones after it, by at most that window.
// The defaults are limit GOMAXPROCS and backlog = limit.
//
// Each call runs as a task with its own context, ended when it returns. A
// call's error is that item's Result.Err and disturbs no other call: the
// consumer decides, and stops the stream by breaking out of the loop, which
// cancels the calls still running (cause [ErrStreamStopped]) and waits for
// them, so nothing Stream started outlives the loop. A panic in fn becomes
// that item's [*PanicError] and, being a bug rather than an outcome, cancels
// the calls after it (with the PanicError as the cause), never the ones
// before it, which yield their results; Stream then takes no more items.
// When ctx ends, Stream takes no more items and yields the ones already
// taken, those cancelled with their cancellation error. A panic in items,
// or in the consumer's loop, reaches the consumer's goroutine after the
// calls have been cancelled and have ended.
//
// Options: [WithLimit], [WithBacklog], [WithName] (names the group the
// calls run in).
func Stream[In, Out any](ctx context.Context, items iter.Seq[In], fn func(context.Context, In) (Out, error), opts ...StreamOption) iter.Seq2[int, Result[Out]] {
	cfg := configOf(opts, StreamOption.applyStream)
	limit := cfg.limit
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	backlog := limit
	if cfg.hasBacklog {
		backlog = cfg.backlog
	}
	groupCfg := config{name: cfg.name, limit: limit}
	return func(yield func(int, Result[Out]) bool) {
		window := limit + backlog
		sctx, cancel := context.WithCancelCause(ctx)
		// slots bounds the items taken and not yet yielded; tasks carries
		// them to the consumer in order, and never blocks, having room for
		// every slot.
		slots := make(chan struct{}, window)
		tasks := make(chan *Task[Result[Out]], window)
		produced := make(chan *PanicError, 1)
		cut := newStreamCut[Result[Out]](window)
		go func() {
			var itemsPanic *PanicError
			_ = withGroup(sctx, func(gctx context.Context, g *Group) error {
				defer close(tasks)
				itemsPanic = produce(gctx, g, items, fn, slots, tasks, cut)
				return nil
			}, groupCfg)
			produced <- itemsPanic
		}()

		stopped := true
		defer func() {
			if stopped { // the consumer broke out, or panicked
				cancel(ErrStreamStopped)
				for range tasks {
				}
				<-produced
			}
			cancel(nil)
		}()
		i := 0
		for t := range tasks {
			r, err := t.Await(context.Background()) // ctx's end reaches the tasks through the group
			if err != nil {
				r = Result[Out]{Err: err}
			}
			if !yield(i, r) {
				return
			}
			<-slots
			i++
		}
		stopped = false
		if p := <-produced; p != nil {
			panic(p)
		}
	}
}

// produce takes items while there is room in the window, starting a task
// for each, until items or the group's context ends, or a call panics. It
// returns a panic of items, recovered so that the group's tasks are still
// cancelled and waited for, to be raised again in the consumer's goroutine.
//
// It takes the window's room for an item before it pulls the item from the
// sequence, so that no item is ever held waiting for room.
func produce[In, Out any](ctx context.Context, g *Group, items iter.Seq[In], fn func(context.Context, In) (Out, error), slots chan struct{}, tasks chan<- *Task[Result[Out]], cut *streamCut[Result[Out]]) (p *PanicError) {
	defer func() {
		if r := recover(); r != nil {
			p = recovered(g.Name()+" items", r)
			g.Cancel(p)
		}
	}()
	room := func() bool {
		if ctx.Err() != nil || cut.done() {
			return false
		}
		select {
		case slots <- struct{}{}:
			return !cut.done() // a call may have panicked while this waited
		case <-ctx.Done():
			return false
		}
	}
	if !room() {
		return nil
	}
	i := 0
	for in := range items {
		// The call's error is its item's result, not the task's failure:
		// one item's error must not cancel the others. Its panic is its
		// item's result too, and cuts the stream after it.
		idx := i
		t := goTask(g, func(ctx context.Context) (res Result[Out], _ error) {
			defer func() {
				if r := recover(); r != nil {
					pe := recovered("item "+strconv.Itoa(idx), r)
					res = Result[Out]{Err: pe}
					cut.panicked(idx, pe)
				}
			}()
			v, err := fn(ctx, in)
			return Result[Out]{Value: v, Err: err}, nil
		}, fn, nil)
		cut.started(idx, t)
		tasks <- t
		i++
		// The window's room (the slot) is taken before the next item is pulled: the
		// window counts what was taken from items, not what was started.
		if !room() {
			return nil
		}
	}
	return nil
}

// streamCut is what a panicking call of a [Stream] needs to cancel the calls
// after it and none before: the tasks of the items taken and not yet
// yielded, by index, in a ring as big as the window (at most window of them
// are outstanding, so their places never collide).
type streamCut[T any] struct {
	mu    sync.Mutex
	at    int   // the index of the first call that panicked, or -1
	cause error // its PanicError
	ring  []streamCall[T]
}

type streamCall[T any] struct {
	idx int
	t   *Task[T]
}

func newStreamCut[T any](window int) *streamCut[T] {
	return &streamCut[T]{at: -1, ring: make([]streamCall[T], window)}
}

// started records the task of item idx; if a call before it has panicked,
// the task is cancelled at once.
func (c *streamCut[T]) started(idx int, t *Task[T]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ring[idx%len(c.ring)] = streamCall[T]{idx, t}
	if c.at >= 0 && idx > c.at {
		t.Cancel(c.cause)
	}
}

// panicked cancels the calls after item idx, whose call panicked with pe.
func (c *streamCut[T]) panicked(idx int, pe *PanicError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at >= 0 && c.at < idx {
		return // an earlier panic has cancelled this one's successors already
	}
	c.at, c.cause = idx, pe
	for _, sc := range c.ring {
		if sc.t != nil && sc.idx > idx {
			sc.t.Cancel(pe)
		}
	}
}

// done reports whether a call has panicked: no more items are taken.
func (c *streamCut[T]) done() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at >= 0
}
