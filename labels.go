package async

import (
	"context"
	"runtime/pprof"
	"strconv"
)

// WithProfileLabels puts runtime/pprof labels on the goroutine of every task
// of the scope: async.task (the task's name when it was made), async.id (its
// ID) and, for a task in a group, async.group (the group's name). A CPU
// profile can then be cut by task (`go tool pprof -tagfocus
// async.task=fetch`), the goroutine profile names the task each goroutine
// runs, and goroutines a task starts inherit its labels. The task's context
// carries them too, so that pprof.Do inside a task adds to them rather than
// replacing them. It costs a few allocations per task; without it, nothing.
func WithProfileLabels() RunOption { return runOptionFunc(func(c *runConfig) { c.labels = true }) }

// withTaskLabels returns ctx with t's profiler labels added. t is being
// made and not yet shared; its mutex is not needed for its name.
func withTaskLabels(ctx context.Context, t *taskCore) context.Context {
	labels := []string{"async.task", t.nameLocked(), "async.id", strconv.FormatUint(t.id, 10)}
	if g, ok := parentNode(ctx).(*Group); ok {
		labels = append(labels, "async.group", g.Name())
	}
	return pprof.WithLabels(ctx, pprof.Labels(labels...))
}

// labelGoroutine sets the task's profiler labels on the goroutine that has
// just started running it, if its scope asked for them: only the goroutine
// itself can. A goroutine that runs several tasks of a group in turn takes
// each one's labels as it starts it. x is the task's extra part: a task
// without one (untracked, unnamed) never gets here.
func (x *taskExtra) labelGoroutine() {
	if m := x.more.Load(); m != nil {
		if r := m.rare.Load(); r != nil && r.trace.labels {
			setGoroutineLabels(r)
		}
	}
}

// setGoroutineLabels is kept out of labelGoroutine so that the check stays
// small enough to be inlined.
//
//go:noinline
func setGoroutineLabels(r *taskRare) { pprof.SetGoroutineLabels(r.trace.ctx) }
