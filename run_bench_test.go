package async_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

// spawnAwait starts n trivial tasks with ctx and awaits each, b.N times.
func spawnAwait(b *testing.B, ctx context.Context, n int) {
	b.ReportAllocs()
	tasks := make([]*async.Task[int], n)
	for b.Loop() {
		for i := range tasks {
			tasks[i] = async.Spawn(ctx, trivial)
		}
		for _, t := range tasks {
			if _, err := t.Await(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
}

// BenchmarkTracking measures what a scope's task tracking costs on the
// spawn+await benchmark. All three start tasks from a cancellable context,
// since a task's context is one: "untracked" from a plain
// context.WithCancel, "tracked" from main's context inside async.Run, where
// every task is recorded in the scope's registry and removed when it ends.
// "background" is the cheapest case, context.Background, for reference.
func BenchmarkTracking(b *testing.B) {
	for _, n := range []int{1, 1000} {
		b.Run("n="+strconv.Itoa(n)+"/background", func(b *testing.B) {
			spawnAwait(b, context.Background(), n)
		})
		b.Run("n="+strconv.Itoa(n)+"/untracked", func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			spawnAwait(b, ctx, n)
		})
		b.Run("n="+strconv.Itoa(n)+"/tracked", func(b *testing.B) {
			err := async.Run(context.Background(), func(ctx context.Context) error {
				spawnAwait(b, ctx, n)
				return nil
			}, async.WithSignals(nil))
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

// holdTasks starts n tasks in a group limited to one running task, whose
// first task blocks until release is closed: every task is live and tracked
// but only one has a goroutine, so a million fit in memory. It returns once
// the tasks exist.
func holdTasks(ctx context.Context, n int, release <-chan struct{}, ready chan<- struct{}) error {
	return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
		g.Go(func(ctx context.Context) error {
			async.Report(ctx, 1, 2, "holding")
			<-release
			return nil
		}, async.WithName("holder"))
		for range n - 1 {
			g.Go(func(context.Context) error { return nil })
		}
		close(ready)
		return nil
	}, async.WithLimit(1), async.WithName("million"))
}

// BenchmarkSnapshot takes a snapshot of a scope with n live tasks: its time
// and, in B/op, the memory the snapshot itself allocates.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		b.Run("tasks="+strconv.Itoa(n), func(b *testing.B) {
			release, ready := make(chan struct{}), make(chan struct{})
			done := make(chan error, 1)
			var scope *async.Scope
			go func() {
				done <- async.Run(context.Background(), func(ctx context.Context) error {
					scope = async.ScopeOf(ctx)
					return holdTasks(ctx, n, release, ready)
				}, async.WithSignals(nil))
			}()
			<-ready
			before := heapInUse()
			b.ReportAllocs()
			b.ResetTimer()
			var nodes int
			for b.Loop() {
				nodes = len(scope.Snapshot().Nodes)
			}
			b.StopTimer()
			close(release)
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			// main, the group and its n tasks.
			if want := n + 2; nodes != want {
				b.Fatalf("snapshot has %d nodes, want %d", nodes, want)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/snapshot")
			// What the live tasks held, and that it is returned once they
			// have finished: the registry keeps none of them.
			after := heapInUse()
			b.ReportMetric(float64(before)/1e6, "MB-heap-live")
			b.ReportMetric(float64(after)/1e6, "MB-heap-after")
		})
	}
}

// heapInUse returns the bytes of live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkTrackingPaired measures the same thing as BenchmarkTracking with
// n=1000, but alternates a tracked and an untracked batch within every
// iteration (in ABBA order), so both meet the same load on a shared machine
// and their ratio is steadier than that of two separate benchmarks. It
// reports each side's ns/task and the overhead of tracking in percent.
func BenchmarkTrackingPaired(b *testing.B) {
	const n = 1000
	untracked, cancel := context.WithCancel(context.Background())
	defer cancel()
	batch := func(ctx context.Context, tasks []*async.Task[int]) time.Duration {
		start := time.Now()
		for i := range tasks {
			tasks[i] = async.Spawn(ctx, trivial)
		}
		for _, t := range tasks {
			if _, err := t.Await(ctx); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	var onTime, offTime time.Duration
	err := async.Run(context.Background(), func(tracked context.Context) error {
		tasks := make([]*async.Task[int], n)
		i := 0
		for b.Loop() {
			if i%2 == 0 {
				offTime += batch(untracked, tasks)
				onTime += batch(tracked, tasks)
			} else {
				onTime += batch(tracked, tasks)
				offTime += batch(untracked, tasks)
			}
			i++
		}
		return nil
	}, async.WithSignals(nil))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(offTime.Nanoseconds())/float64(b.N*n), "untracked-ns/task")
	b.ReportMetric(float64(onTime.Nanoseconds())/float64(b.N*n), "tracked-ns/task")
	b.ReportMetric(100*(float64(onTime)/float64(offTime)-1), "overhead-%")
}
