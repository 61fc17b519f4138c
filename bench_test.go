package async_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/asyncgo/async"
)

// Every benchmark here runs beside its floor: the same work done with bare
// goroutines, so that the library's cost reads as a ratio. The ns/task metric
// divides the time of one iteration by the number of tasks in it.

func trivial(context.Context) (int, error) { return 1, nil }

func perTask(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
}

// BenchmarkSpawnAwait starts n trivial tasks and awaits each, against a
// goroutine with a result channel per task and goroutines writing into a
// slice under a WaitGroup.
func BenchmarkSpawnAwait(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1, 1000, 100_000} {
		b.Run("n="+strconv.Itoa(n)+"/async", func(b *testing.B) {
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
			perTask(b, n)
		})
		b.Run("n="+strconv.Itoa(n)+"/floor-chan", func(b *testing.B) {
			b.ReportAllocs()
			chans := make([]chan int, n)
			for b.Loop() {
				for i := range chans {
					ch := make(chan int, 1)
					chans[i] = ch
					go func() { v, _ := trivial(ctx); ch <- v }()
				}
				for _, ch := range chans {
					<-ch
				}
			}
			perTask(b, n)
		})
		b.Run("n="+strconv.Itoa(n)+"/floor-waitgroup", func(b *testing.B) {
			b.ReportAllocs()
			out := make([]int, n)
			for b.Loop() {
				var wg sync.WaitGroup
				for i := range out {
					wg.Go(func() { out[i], _ = trivial(ctx) })
				}
				wg.Wait()
			}
			perTask(b, n)
		})
	}
}

// BenchmarkGather gathers 100,000 trivial tasks.
func BenchmarkGather(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	b.Run("async", func(b *testing.B) {
		b.ReportAllocs()
		tasks := make([]*async.Task[int], n)
		for b.Loop() {
			for i := range tasks {
				tasks[i] = async.Spawn(ctx, trivial)
			}
			if _, err := async.Gather(ctx, tasks...); err != nil {
				b.Fatal(err)
			}
		}
		perTask(b, n)
	})
	b.Run("floor-waitgroup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out := make([]int, n)
			var wg sync.WaitGroup
			for i := range out {
				wg.Go(func() { out[i], _ = trivial(ctx) })
			}
			wg.Wait()
		}
		perTask(b, n)
	})
}

// BenchmarkGroupLimit runs 100,000 trivial calls at most 64 at a time: as a
// task each in a group with a limit, and through Map with a limit, against
// goroutines gated by a 64-slot semaphore channel.
func BenchmarkGroupLimit(b *testing.B) {
	const n, limit = 100_000, 64
	ctx := context.Background()
	b.Run("async", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			err := async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				for range n {
					async.Go(g, trivial)
				}
				return nil
			}, async.WithLimit(limit))
			if err != nil {
				b.Fatal(err)
			}
		}
		perTask(b, n)
	})
	b.Run("async-map", func(b *testing.B) {
		b.ReportAllocs()
		items := make([]int, n)
		call := func(ctx context.Context, _ int) (int, error) { return trivial(ctx) }
		for b.Loop() {
			if _, err := async.Map(ctx, items, call, async.WithLimit(limit)); err != nil {
				b.Fatal(err)
			}
		}
		perTask(b, n)
	})
	b.Run("floor-semaphore", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sem := make(chan struct{}, limit)
			var wg sync.WaitGroup
			for range n {
				sem <- struct{}{}
				wg.Go(func() {
					trivial(ctx)
					<-sem
				})
			}
			wg.Wait()
		}
		perTask(b, n)
	})
}

// blockOnContext is a task that waits until it is cancelled, after telling
// started that it runs.
func blockOnContext(started *sync.WaitGroup) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		started.Done()
		<-ctx.Done()
		return 0, ctx.Err()
	}
}

// BenchmarkCancelBlocked measures cancelling 10,000 tasks blocked on their
// context, from the cancel until every one has returned, against the same
// number of bare goroutines blocked on a shared context.
func BenchmarkCancelBlocked(b *testing.B) {
	const n = 10_000
	b.Run("async", func(b *testing.B) {
		b.ReportAllocs()
		tasks := make([]*async.Task[int], n)
		for range b.N {
			b.StopTimer()
			ctx, cancel := context.WithCancel(context.Background())
			var started sync.WaitGroup
			started.Add(n)
			fn := blockOnContext(&started)
			for i := range tasks {
				tasks[i] = async.Spawn(ctx, fn)
			}
			started.Wait()
			b.StartTimer()
			cancel()
			for _, t := range tasks {
				t.Await(context.Background())
			}
		}
		perTask(b, n)
	})
	b.Run("floor-goroutines", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			b.StopTimer()
			ctx, cancel := context.WithCancel(context.Background())
			var started, stopped sync.WaitGroup
			started.Add(n)
			for range n {
				stopped.Go(func() {
					started.Done()
					<-ctx.Done()
				})
			}
			started.Wait()
			b.StartTimer()
			cancel()
			stopped.Wait()
		}
		perTask(b, n)
	})
}

// BenchmarkBlockedMemory reports the memory (heap and stacks) that one task
// blocked on its context holds, against a bare goroutine blocked the same way.
//
// Run each side alone, in a fresh process, for numbers that mean something:
// the runtime reuses the stacks of goroutines that ended earlier in the same
// process, which hides their cost:
//
//	go test -run '^$' -bench 'BlockedMemory/async$' -benchtime 1x
//	go test -run '^$' -bench 'BlockedMemory/floor-goroutine$' -benchtime 1x
func BenchmarkBlockedMemory(b *testing.B) {
	const n = 100_000
	measure := func(b *testing.B, start func(ctx context.Context, started *sync.WaitGroup)) {
		var total float64
		for range b.N {
			ctx, cancel := context.WithCancel(context.Background())
			before := inUse()
			var started sync.WaitGroup
			started.Add(n)
			start(ctx, &started)
			started.Wait()
			total += float64(inUse()-before) / n
			cancel()
		}
		b.ReportMetric(total/float64(b.N), "B/blocked-task")
	}
	b.Run("async", func(b *testing.B) {
		var tasks []*async.Task[int]
		measure(b, func(ctx context.Context, started *sync.WaitGroup) {
			tasks = tasks[:0]
			fn := blockOnContext(started)
			for range n {
				tasks = append(tasks, async.Spawn(ctx, fn))
			}
		})
		for _, t := range tasks {
			<-t.Done()
		}
	})
	b.Run("floor-goroutine", func(b *testing.B) {
		var stopped sync.WaitGroup
		measure(b, func(ctx context.Context, started *sync.WaitGroup) {
			for range n {
				stopped.Go(func() {
					started.Done()
					<-ctx.Done()
				})
			}
		})
		stopped.Wait()
	})
}

var sink atomic.Uint64

// inUse returns the bytes of heap and goroutine stacks in use after a GC.
func inUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	sink.Store(m.HeapAlloc)
	return m.HeapAlloc + m.StackInuse
}

// BenchmarkDoneCallback starts tasks named and given a done callback, as
// fetchall starts a task per URL, and awaits each: untracked, and tracked
// inside Run, where the task comes with its extra part and the callback
// needs only the part after it.
func BenchmarkDoneCallback(b *testing.B) {
	const n = 1000
	f := func(*async.Task[int]) {}
	batch := func(ctx context.Context, tasks []*async.Task[int]) {
		for i := range tasks {
			tasks[i] = async.Spawn(ctx, trivial, async.WithName("item"))
			tasks[i].AddDoneCallback(f)
		}
		for _, t := range tasks {
			if _, err := t.Await(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("untracked", func(b *testing.B) {
		tasks := make([]*async.Task[int], n)
		for b.Loop() {
			batch(context.Background(), tasks)
		}
		perTask(b, n)
	})
	b.Run("tracked", func(b *testing.B) {
		tasks := make([]*async.Task[int], n)
		err := async.Run(context.Background(), func(ctx context.Context) error {
			for b.Loop() {
				batch(ctx, tasks)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		perTask(b, n)
	})
}
