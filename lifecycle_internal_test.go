package async

import (
	"context"
	"testing"
)

// BenchmarkTaskLifecycle is a task's own path, tracked and not, without its
// goroutine: make the task, run it in the caller's goroutine (begin, the
// function, finish) and let it end, a batch of 1,000 at a time. Spawn +
// Await adds a goroutine and the scheduler on both sides, which cost more
// than tracking does and vary more on a shared machine; here what differs
// between the two sides is what tracking adds (the larger allocation, the
// registry, the times, the parent context's questions). Every op runs one
// batch with main's context inside Run and one with a plain cancellable
// context, in ABBA order, each charged the CPU time the process spent on it.
func BenchmarkTaskLifecycle(b *testing.B) {
	const n = 1000
	fn := func(context.Context) (int, error) { return 1, nil }
	untracked, cancel := context.WithCancel(context.Background())
	defer cancel()
	var on, off int64
	batch := func(ctx context.Context, total *int64) {
		cpu0, _ := processCPU()
		for range n {
			t := newTask(ctx, false, fn, fn, nil)
			t.runOnce()
		}
		cpu1, ok := processCPU()
		if !ok {
			b.Skip("no CPU time on this platform")
		}
		*total += int64(cpu1 - cpu0)
	}
	b.ReportAllocs()
	err := Run(context.Background(), func(tracked context.Context) error {
		i := 0
		for b.Loop() {
			if i%2 == 0 {
				batch(untracked, &off)
				batch(tracked, &on)
			} else {
				batch(tracked, &on)
				batch(untracked, &off)
			}
			i++
		}
		return nil
	}, WithSignals(nil))
	if err != nil {
		b.Fatal(err)
	}
	tasks := float64(b.N * n)
	b.ReportMetric(float64(off)/tasks, "untracked-cpu-ns/task")
	b.ReportMetric(float64(on)/tasks, "tracked-cpu-ns/task")
	b.ReportMetric(100*(float64(on)/float64(off)-1), "overhead-%")
}
