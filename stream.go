package async

import (
	"context"
	"iter"
	"runtime"
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
// for an earlier one; Stream takes the next item only when the consumer has
// taken a result. A slow item therefore holds up the ones after it, by at
// most that window. The defaults are limit GOMAXPROCS and backlog = limit.
//
// Each call runs as a task with its own context, ended when it returns. A
// call's error is that item's Result.Err and disturbs no other call: the
// consumer decides, and stops the stream by breaking out of the loop, which
// cancels the calls still running (cause [ErrStreamStopped]) and waits for
// them, so nothing Stream started outlives the loop. A panic in fn becomes
// that item's [*PanicError] and, being a bug rather than an outcome, cancels
// the calls after it. When ctx ends, Stream takes no more items and yields
// the ones already taken, those cancelled with their cancellation error.
// A panic in items, or in the consumer's loop, reaches the consumer's
// goroutine after the calls have been cancelled and have ended.
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
		go func() {
			var itemsPanic *PanicError
			_ = withGroup(sctx, func(gctx context.Context, g *Group) error {
				defer close(tasks)
				itemsPanic = produce(gctx, g, items, fn, slots, tasks)
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
// for each, until items or the group's context ends. It returns a panic of
// items, recovered so that the group's tasks are still cancelled and waited
// for, to be raised again in the consumer's goroutine.
func produce[In, Out any](ctx context.Context, g *Group, items iter.Seq[In], fn func(context.Context, In) (Out, error), slots chan struct{}, tasks chan<- *Task[Result[Out]]) (p *PanicError) {
	defer func() {
		if r := recover(); r != nil {
			p = recovered(g.Name()+" items", r)
			g.Cancel(p)
		}
	}()
	for in := range items {
		if ctx.Err() != nil {
			return nil
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		// The call's error is its item's result, not the task's failure:
		// one item's error must not cancel the others.
		tasks <- goTask(g, func(ctx context.Context) (Result[Out], error) {
			v, err := fn(ctx, in)
			return Result[Out]{Value: v, Err: err}, nil
		}, fn, nil)
	}
	return nil
}
