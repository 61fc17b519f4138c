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
// Submit does not wait. The check for room and the add are one step: any
// number of producers calling Submit at once never make the group hold
// more than limit + backlog tasks.
//
// Submit never waits when ctx is the context of one of g's tasks, or
// derives from one (a task started by one of them, a timeout inside one):
// see the rule above. Every other context waits, the context WithGroup's
// body receives included.
//
// On a group that has finished (WithGroup has returned) Submit adds
// nothing and returns an error matching [ErrGroupClosed].
//
// Options: [WithName].
func Submit[T any](ctx context.Context, g *Group, fn func(context.Context) (T, error), opts ...TaskOption) (*Task[T], error) {
	if err := g.waitForRoom(ctx); err != nil {
		return nil, err
	}
	t := newTask(&g.ctx, true, fn, fn, opts)
	g.add(t, true)
	return t, nil
}

// TryGo adds a task running fn to g if the group is not full (see
// [Submit]) and reports whether it did; errgroup's TryGo. It never blocks.
// The check and the add are one step: of any number of calls at once, only
// as many as there is room for succeed. On a group that has finished
// (WithGroup has returned) it adds nothing and reports false.
//
// Options: [WithName].
func TryGo[T any](g *Group, fn func(context.Context) (T, error), opts ...TaskOption) (*Task[T], bool) {
	if !g.tryReserve() {
		return nil, false
	}
	t := newTask(&g.ctx, true, fn, fn, opts)
	g.add(t, true)
	return t, true
}

// reserveLocked reserves a place for a task the caller is about to make
// and add with add(r, true). The place counts as room taken, and as a
// task alive, so that the group neither lets another producer take it nor
// closes before the task is added. g.mu must be held, and the group open.
func (g *Group) reserveLocked() {
	g.slots.reserved++
	g.alive.Add(1)
}

// tryReserve reserves a place (see reserveLocked) if the group is open and
// not full, and reports whether it did.
func (g *Group) tryReserve() bool {
	if g.cancel == nil {
		panic(errZeroGroup)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.slots.full() {
		return false
	}
	g.reserveLocked()
	return true
}

// waitForRoom blocks while the group is full, unless ctx is inside the
// group, and then reserves a place (see reserveLocked). Room is made by a
// task finishing, which takes a queued task off the queue or frees a
// running slot.
func (g *Group) waitForRoom(ctx context.Context) error {
	if g.cancel == nil {
		panic(errZeroGroup)
	}
	bounded := g.slots.bounded() && !g.inside(ctx)
	g.mu.Lock()
	defer g.mu.Unlock()
	for bounded && !g.closed && g.slots.full() {
		changed := g.changedChanLocked()
		g.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			g.mu.Lock()
			return fmt.Errorf("async: waiting for room in group %q: %w", g.name, context.Cause(ctx))
		}
		g.mu.Lock()
	}
	if g.closed {
		return fmt.Errorf("async: submitting to group %q: %w", g.name, ErrGroupClosed)
	}
	g.reserveLocked()
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
