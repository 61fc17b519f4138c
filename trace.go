package async

import (
	"context"
	"runtime/trace"
)

// The execution tracer integration: with [WithTracing], each task of a scope
// is a runtime/trace task named after it, begun when the task is made and
// ended when it finishes, so `go tool trace` can list tasks by name, show
// their duration and group the goroutines, regions and logs that belong to
// each. When the option is off, or the tracer is not running, nothing here
// is reached, or only trace.IsEnabled is.

// prepare makes the task a runtime/trace task when the scope traces and the
// execution tracer is on. The task's context derives from the trace
// context, so regions and logs inside the task, and its child tasks, are
// attributed to it.
//
// With [WithProfileLabels], the context also carries the task's profiler
// labels (see labels.go).
func (s *Scope) prepare(t *taskCore, ctx context.Context) {
	var rare *taskRare
	if s.labels {
		rare = &taskRare{trace: taskTrace{ctx: withTaskLabels(ctx, t), labels: true}}
		ctx = rare.trace.ctx
	}
	if s.tracing && trace.IsEnabled() {
		if rare == nil {
			rare = new(taskRare)
		}
		rare.trace.ctx, rare.trace.task = trace.NewTask(ctx, t.nameLocked())
	}
	if rare != nil {
		// A tracked task has its extra part from the start; it is not shared yet.
		t.extra.Load().moreLocked().rare.Store(rare)
	}
}

// endTrace ends t's trace task, if it has one.
func endTrace(t *taskCore) {
	t.mu.Lock()
	var tt *trace.Task
	if r := t.madeRare(); r != nil {
		tt, r.trace.task = r.trace.task, nil
	}
	t.mu.Unlock()
	if tt != nil {
		tt.End()
	}
}
