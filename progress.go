package async

import (
	"context"
	"iter"
	"time"
)

// Progress is what a task last said about how far it has come.
type Progress struct {
	Done    int64     // units of work finished
	Total   int64     // units of work in all; 0 when unknown
	Message string    // what the task is doing, optional
	Updated time.Time // when it was reported; zero if never
}

// Fraction returns Done/Total in [0, 1], or -1 when Total is unknown.
func (p Progress) Fraction() float64 {
	if p.Total <= 0 {
		return -1
	}
	f := float64(p.Done) / float64(p.Total)
	return min(max(f, 0), 1)
}

// progressState lives in the task under its mutex. version counts reports so
// a watcher can tell a new report from one it has seen; changed is made only
// when someone watches.
type progressState struct {
	latest  Progress
	version uint64
	changed chan struct{}
}

// Report records the progress of the task running with ctx: done units out of
// total (0 if unknown), with an optional message. The progress is the task's
// own; whoever holds the task reads it with [Task.Progress] or follows it with
// [Task.WatchProgress]. Outside a task Report does nothing, so library code
// may call it unconditionally.
func Report(ctx context.Context, done, total int64, message string) {
	t, ok := Current(ctx).(*taskCore)
	if !ok || t == nil {
		return
	}
	now := time.Now()
	t.mu.Lock()
	ps := &t.rareLocked().progress
	ps.latest = Progress{Done: done, Total: total, Message: message, Updated: now}
	ps.version++
	if ps.changed != nil {
		close(ps.changed)
		ps.changed = nil
	}
	t.mu.Unlock()
}

// Progress returns the latest progress the task reported, or the zero
// Progress if it never did.
func (t *taskCore) Progress() Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.madeRare(); r != nil {
		return r.progress.latest
	}
	return Progress{}
}

// WatchProgress returns a sequence of the task's progress reports, from the
// latest one on, that ends when the task finishes (after its final report)
// or ctx ends. It blocks between reports instead of polling. A slow consumer
// sees the latest report, not every one: progress is a level, not a log.
func (t *taskCore) WatchProgress(ctx context.Context) iter.Seq[Progress] {
	return func(yield func(Progress) bool) {
		var seen uint64
		for {
			t.mu.Lock()
			ps := &t.rareLocked().progress
			p, v := ps.latest, ps.version
			var changed chan struct{}
			if v == seen {
				if ps.changed == nil {
					ps.changed = make(chan struct{})
				}
				changed = ps.changed
			}
			t.mu.Unlock()

			if changed == nil {
				seen = v
				if !yield(p) {
					return
				}
				continue
			}
			select {
			case <-changed:
			case <-t.Done():
				// One last look: the final report may have raced the end.
				t.mu.Lock()
				p, v = ps.latest, ps.version
				t.mu.Unlock()
				if v != seen {
					yield(p)
				}
				return
			case <-ctx.Done():
				return
			}
		}
	}
}
