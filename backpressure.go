package async

import (
	"context"
	"fmt"
)

// Backpressure: under [WithLimit] a group runs at most limit tasks and
// queues the rest. [Go] never blocks, so a producer that adds faster than
// the tasks finish grows the queue without bound. [WithBacklog] bounds it
// for the two adds that respect it: [Submit] waits for room, errgroup's Go
// under SetLimit, and [TryGo] reports false instead of waiting.
//
// The rule for adding from inside the group: a task of the group that
// waited for room could wait forever, every running task waiting for a
// slot that only their own end frees. So Submit never waits when its
// context belongs to one of the group's own tasks, or to anything they
// started: those adds go over the backlog, and the bound holds for the
// producers outside, the body included.

// Submit adds a task running fn to g, as [Go] does, but first waits while
// the group is full: its limit of tasks running and its backlog
// ([WithBacklog]) queued. It returns ctx's error, and adds nothing, if ctx
// ends while it waits, so the caller still holds the work it did not hand
// over. Without a limit, or without a backlog, the group is never full and
// Submit does not wait.
//
// From one of g's own tasks (ctx is its context, or derives from it)
// Submit never waits: see the rule above.
//
// Options: [WithName].
func Submit[T any](ctx context.Context, g *Group, fn func(context.Context) (T, error), opts ...TaskOption) (*Task[T], error) {
	if err := g.waitForRoom(ctx); err != nil {
		return nil, err
	}
	return goTask(g, fn, fn, opts), nil
}

// Submit adds a task that returns only an error; see [Submit].
func (g *Group) Submit(ctx context.Context, fn func(ctx context.Context) error, opts ...TaskOption) (*Task[struct{}], error) {
	if err := g.waitForRoom(ctx); err != nil {
		return nil, err
	}
	return g.Go(fn, opts...), nil
}

// TryGo adds a task running fn to g if the group is not full (see
// [Submit]) and reports whether it did; errgroup's TryGo. It never blocks.
//
// Options: [WithName].
func TryGo[T any](g *Group, fn func(context.Context) (T, error), opts ...TaskOption) (*Task[T], bool) {
	g.mu.Lock()
	full := g.fullLocked()
	g.mu.Unlock()
	if full {
		return nil, false
	}
	return goTask(g, fn, fn, opts), true
}

// TryGo adds a task that returns only an error if the group is not full;
// see [TryGo].
func (g *Group) TryGo(fn func(ctx context.Context) error, opts ...TaskOption) (*Task[struct{}], bool) {
	g.mu.Lock()
	full := g.fullLocked()
	g.mu.Unlock()
	if full {
		return nil, false
	}
	return g.Go(fn, opts...), true
}

// fullLocked reports whether an add that respects the backlog must wait.
// g.mu must be held.
func (g *Group) fullLocked() bool {
	return g.backlog >= 0 && g.limit > 0 && !g.closed &&
		g.running >= g.limit && g.queuedLocked() >= g.backlog
}

// waitForRoom blocks while the group is full, unless ctx is inside the
// group. Room is made by a task finishing, which takes a queued task off
// the queue or frees a running slot.
func (g *Group) waitForRoom(ctx context.Context) error {
	if g.backlog < 0 || g.limit <= 0 || g.inside(ctx) {
		return nil
	}
	g.mu.Lock()
	for g.fullLocked() {
		changed := g.changedChanLocked()
		g.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("async: waiting for room in group %q: %w", g.name, context.Cause(ctx))
		}
		g.mu.Lock()
	}
	g.mu.Unlock()
	return nil
}

// inside reports whether ctx belongs to one of g's tasks or to something
// they started.
// The body's context answers with g itself: the body is outside.
func (g *Group) inside(ctx context.Context) bool {
	for n := parentNode(ctx); n != nil; {
		switch v := n.(type) {
		case *taskCore:
			up := parentNode(v.parent)
			if up == node(g) {
				return true
			}
			n = up
		case *Group:
			n = v.parent
		default:
			return false
		}
	}
	return false
}

// queuedLocked returns how many tasks wait in the queue. g.mu must be held.
func (g *Group) queuedLocked() int { return len(g.queue.items) - g.queue.head - g.queue.removed }
