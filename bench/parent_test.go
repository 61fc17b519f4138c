package bench

import (
	"context"
	"testing"

	"github.com/asyncgo/async"
)

// parentTasks is the number of tasks per op in BenchmarkParent and
// BenchmarkTrackingCPU.
const parentTasks = 1000

// spawnAwait starts len(tasks) trivial tasks with ctx and awaits each,
// collecting the results in out.
func spawnAwait(b *testing.B, ctx context.Context, tasks []*async.Task[int], out []int) {
	for i := range tasks {
		tasks[i] = async.Spawn(ctx, func(context.Context) (int, error) { return trivial(i), nil })
	}
	for i, t := range tasks {
		v, err := t.Await(ctx)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = v
	}
}

// BenchmarkParent is spawn + await of 1,000 trivial tasks under each kind
// of parent a task meets: context.Background; a cancellable context, whose
// children a task's own context would join; inside a Group (async.Go, then
// Await); inside Run, where the scope tracks every task. The cost under
// each should stay close to the cost under Background.
func BenchmarkParent(b *testing.B) {
	warmUp()
	bg := context.Background()
	loop := func(b *testing.B, ctx context.Context) {
		tasks := make([]*async.Task[int], parentTasks)
		out := make([]int, parentTasks)
		for b.Loop() {
			spawnAwait(b, ctx, tasks, out)
		}
		checkResults(b, out)
		perTask(b, parentTasks)
	}
	run(b, "background", func(b *testing.B) { loop(b, bg) })
	run(b, "cancellable", func(b *testing.B) {
		ctx, cancel := context.WithCancel(bg)
		defer cancel()
		loop(b, ctx)
	})
	run(b, "group", func(b *testing.B) {
		err := async.WithGroup(bg, func(ctx context.Context, g *async.Group) error {
			tasks := make([]*async.Task[int], parentTasks)
			out := make([]int, parentTasks)
			for b.Loop() {
				for i := range tasks {
					tasks[i] = async.Go(g, func(context.Context) (int, error) { return trivial(i), nil })
				}
				for i, t := range tasks {
					v, err := t.Await(ctx)
					if err != nil {
						return err
					}
					out[i] = v
				}
			}
			checkResults(b, out)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		perTask(b, parentTasks)
	})
	run(b, "run", func(b *testing.B) {
		err := async.Run(bg, func(ctx context.Context) error {
			loop(b, ctx)
			return nil
		}, async.WithSignals(nil))
		if err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkTracking is what a scope's tracking costs, paired in one
// process: every op runs a batch of spawn + await under main's context
// inside Run (tracked) and a batch under a plain cancellable context
// (untracked), in ABBA order, and charges each batch the CPU time the
// process spent on it. It reports both per task and the overhead in percent.
func BenchmarkTracking(b *testing.B) {
	warmUp()
	run(b, "paired", func(b *testing.B) {
		untracked, cancel := context.WithCancel(context.Background())
		defer cancel()
		tasks := make([]*async.Task[int], parentTasks)
		out := make([]int, parentTasks)
		var on, off int64
		batch := func(ctx context.Context, total *int64) {
			cpu0, _ := processCPU()
			spawnAwait(b, ctx, tasks, out)
			cpu1, ok := processCPU()
			if !ok {
				b.Skip("no CPU time on this platform")
			}
			*total += int64(cpu1 - cpu0)
		}
		err := async.Run(context.Background(), func(tracked context.Context) error {
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
		}, async.WithSignals(nil))
		if err != nil {
			b.Fatal(err)
		}
		checkResults(b, out)
		tasksRun := float64(b.N * parentTasks)
		b.ReportMetric(float64(off)/tasksRun, "untracked-cpu-ns/task")
		b.ReportMetric(float64(on)/tasksRun, "tracked-cpu-ns/task")
		b.ReportMetric(100*(float64(on)/float64(off)-1), "overhead-%")
	})
}
