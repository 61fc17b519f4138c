package async_test

import (
	"bytes"
	"context"
	"runtime/trace"
	"testing"

	"github.com/asyncgo/async"
)

// traceOf records an execution trace of a Run with opts whose main starts a
// task with the given name, and returns it.
func traceOf(t *testing.T, name string, opts ...async.RunOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("the execution tracer is in use: %v", err)
	}
	opts = append(opts, async.WithSignals(nil))
	err := async.Run(context.Background(), func(ctx context.Context) error {
		_, err := async.Spawn(ctx, func(ctx context.Context) (int, error) {
			// A region inside the task: attributed to the task's trace
			// task through its context.
			trace.WithRegion(ctx, "work", func() {})
			return 0, nil
		}, async.WithName(name)).Await(ctx)
		return err
	}, opts...)
	trace.Stop()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTracing checks that with WithTracing each task is a trace task under
// its own name (the tracer writes task names into the trace's string
// table), and that without it the task leaves no name in the trace.
func TestTracing(t *testing.T) {
	on := traceOf(t, "traced-task-7f3a", async.WithTracing())
	if !bytes.Contains(on, []byte("traced-task-7f3a")) {
		t.Error("with WithTracing the trace does not name the task")
	}
	off := traceOf(t, "untraced-task-9c1e")
	if bytes.Contains(off, []byte("untraced-task-9c1e")) {
		t.Error("without WithTracing the task's name is in the trace")
	}
}

// BenchmarkTracingOff is spawn+await in a scope with WithTracing while the
// execution tracer is not running: the option costs only a check.
func BenchmarkTracingOff(b *testing.B) {
	err := async.Run(context.Background(), func(ctx context.Context) error {
		spawnAwait(b, ctx, 1000)
		return nil
	}, async.WithSignals(nil), async.WithTracing())
	if err != nil {
		b.Fatal(err)
	}
}
