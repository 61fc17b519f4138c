package async_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/asyncgo/async"
)

func trivial(context.Context) (int, error) { return 1, nil }

var sizes = []int{1, 1000, 100000}

// BenchmarkSpawnAwait starts n trivial tasks and awaits each, beside the two
// floors it is measured against: a goroutine with a result channel per task,
// and goroutines writing into a slice under a WaitGroup.
func BenchmarkSpawnAwait(b *testing.B) {
	ctx := context.Background()
	for _, n := range sizes {
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
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
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
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
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
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
		})
	}
}
