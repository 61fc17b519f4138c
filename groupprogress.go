package async

import (
	"context"
	"iter"
)

// Progress returns the group's progress, which it keeps on its own: Done is
// how many of its tasks have finished and Total how many were added, so a
// crawl shows "37/50" in the task tree and to [Group.WatchProgress] without
// a line of code. Total grows as tasks are added. Updated is the zero Time:
// the group does not read the clock for it.
//
// [Report] is always about a task, never a group: called with a task's
// context, it reports on that task. To report on the group's work as a
// whole, in bytes, say, rather than in tasks, report with the context that
// WithGroup's body receives: that reports on the task running WithGroup.
func (g *Group) Progress() Progress {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.progressLocked()
}

func (g *Group) progressLocked() Progress {
	return Progress{Done: int64(g.added) - g.active.Load(), Total: int64(g.added)}
}

// WatchProgress returns a sequence of the group's progress (see
// [Group.Progress]), from now on, each time a task is added or finishes,
// that ends when ctx ends or the group has ended. A slow consumer sees the
// latest count, not every step.
func (g *Group) WatchProgress(ctx context.Context) iter.Seq[Progress] {
	return func(yield func(Progress) bool) {
		// Before the first look at the count: from now on every task
		// that finishes tells the watchers (see Group.release).
		g.watched.Store(true)
		var last Progress
		first := true
		for {
			g.mu.Lock()
			p, closed := g.progressLocked(), g.closed
			var changed <-chan struct{}
			if !closed {
				changed = g.changedChanLocked()
			}
			g.mu.Unlock()
			if first || p != last {
				first, last = false, p
				if !yield(p) {
					return
				}
			}
			if closed {
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}
}

// changedChanLocked returns the channel that the next add or end of a task
// closes. g.mu must be held.
func (g *Group) changedChanLocked() <-chan struct{} {
	if g.changed == nil {
		g.changed = make(chan struct{})
	}
	return g.changed
}

// changedLocked wakes whoever waits for the group to change: adds waiting
// for room, progress watchers. g.mu must be held.
func (g *Group) changedLocked() {
	if g.changed != nil {
		close(g.changed)
		g.changed = nil
	}
}
