package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/alitto/pond/v2"
	"github.com/asyncgo/async"
	"github.com/sourcegraph/conc/iter"
	"github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"
)

const (
	limitTasks = 100000 // tasks in workload (b)
	limitWidth = 64     // at most this many run at once
)

// BenchmarkLimit is workload (b): 100,000 trivial tasks, at most 64 at a
// time, results collected in order.
func BenchmarkLimit(b *testing.B) {
	warmUp()
	ctx := context.Background()
	const n = limitTasks
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	// The floor: 64 goroutines taking the next index until none is left.
	run(b, "floor-wg", func(b *testing.B) {
		out := make([]int, n)
		for b.Loop() {
			var wg sync.WaitGroup
			var next atomic.Int64
			for range limitWidth {
				wg.Go(func() {
					for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
						out[i] = trivial(i)
					}
				})
			}
			wg.Wait()
		}
		checkResults(b, out)
		perTask(b, n)
	})
	// The channel idiom: a goroutine per task, a buffered channel as the
	// semaphore.
	run(b, "floor-chan", func(b *testing.B) {
		out := make([]int, n)
		for b.Loop() {
			sem := make(chan struct{}, limitWidth)
			var wg sync.WaitGroup
			for i := range n {
				sem <- struct{}{}
				wg.Go(func() {
					out[i] = trivial(i)
					<-sem
				})
			}
			wg.Wait()
		}
		checkResults(b, out)
		perTask(b, n)
	})
	run(b, "async", func(b *testing.B) {
		var out []int
		for b.Loop() {
			var err error
			out, err = async.Map(ctx, items, func(_ context.Context, i int) (int, error) { return trivial(i), nil }, async.WithLimit(limitWidth))
			if err != nil {
				b.Fatal(err)
			}
		}
		checkResults(b, out)
		perTask(b, n)
	})
	run(b, "async-group", func(b *testing.B) {
		out := make([]int, n)
		for b.Loop() {
			err := async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				for i := range n {
					g.Go(func(context.Context) error { out[i] = trivial(i); return nil })
				}
				return nil
			}, async.WithLimit(limitWidth))
			if err != nil {
				b.Fatal(err)
			}
		}
		checkResults(b, out)
		perTask(b, n)
	})
	run(b, "errgroup", func(b *testing.B) {
		out := make([]int, n)
		for b.Loop() {
			var g errgroup.Group
			g.SetLimit(limitWidth)
			for i := range n {
				g.Go(func() error { out[i] = trivial(i); return nil })
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
		checkResults(b, out)
		perTask(b, n)
	})
	run(b, "conc", func(b *testing.B) {
		out := make([]int, n)
		for b.Loop() {
			p := pool.New().WithMaxGoroutines(limitWidth)
			for i := range n {
				p.Go(func() { out[i] = trivial(i) })
			}
			p.Wait()
		}
		checkResults(b, out)
		perTask(b, n)
	})
	// conc's own answer to "map over a slice with a limit".
	run(b, "conc-iter", func(b *testing.B) {
		var out []int
		m := iter.Mapper[int, int]{MaxGoroutines: limitWidth}
		for b.Loop() {
			out = m.Map(items, func(i *int) int { return trivial(*i) })
		}
		checkResults(b, out)
		perTask(b, n)
	})
	run(b, "pond", func(b *testing.B) {
		p := pond.NewResultPool[int](limitWidth)
		defer p.StopAndWait()
		var out []int
		for b.Loop() {
			g := p.NewGroup()
			for i := range n {
				g.Submit(func() int { return trivial(i) })
			}
			var err error
			if out, err = g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
		checkResults(b, out)
		perTask(b, n)
	})
}
