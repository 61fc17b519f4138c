package bench

import (
	"context"
	"sync"
	"testing"

	"github.com/alitto/pond/v2"
	"github.com/asyncgo/async"
	"github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"
)

// spawnSizes are the sizes of workload (a).
var spawnSizes = []int{1, 1000, 100000}

// BenchmarkSpawn is workload (a): start n tasks that each return a trivial
// result, and collect the n results in order.
func BenchmarkSpawn(b *testing.B) {
	warmUp()
	ctx := context.Background()
	for _, n := range spawnSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			run(b, "floor-wg", func(b *testing.B) {
				out := make([]int, n)
				for b.Loop() {
					var wg sync.WaitGroup
					for i := range n {
						wg.Go(func() { out[i] = trivial(i) })
					}
					wg.Wait()
				}
				checkResults(b, out)
				perTask(b, n)
			})
			run(b, "floor-chan", func(b *testing.B) {
				chans := make([]chan int, n)
				out := make([]int, n)
				for b.Loop() {
					for i := range n {
						ch := make(chan int, 1)
						chans[i] = ch
						go func() { ch <- trivial(i) }()
					}
					for i, ch := range chans {
						out[i] = <-ch
					}
				}
				checkResults(b, out)
				perTask(b, n)
			})
			// The library's own way to collect results: spawn, then Gather.
			run(b, "async", func(b *testing.B) {
				tasks := make([]*async.Task[int], n)
				var out []int
				for b.Loop() {
					for i := range n {
						tasks[i] = async.Spawn(ctx, func(context.Context) (int, error) { return trivial(i), nil })
					}
					var err error
					if out, err = async.Gather(ctx, tasks...); err != nil {
						b.Fatal(err)
					}
				}
				checkResults(b, out)
				perTask(b, n)
			})
			run(b, "async-await", func(b *testing.B) {
				tasks := make([]*async.Task[int], n)
				out := make([]int, n)
				for b.Loop() {
					spawnAwait(b, ctx, tasks, out)
				}
				checkResults(b, out)
				perTask(b, n)
			})
			run(b, "async-gatherfunc", func(b *testing.B) {
				fns := make([]func(context.Context) (int, error), n)
				for i := range n {
					fns[i] = func(context.Context) (int, error) { return trivial(i), nil }
				}
				var out []int
				for b.Loop() {
					var err error
					if out, err = async.GatherFunc(ctx, fns); err != nil {
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
			// conc's ResultPool collects results in completion order, so
			// each result carries its index back.
			run(b, "conc", func(b *testing.B) {
				out := make([]int, n)
				type indexed struct{ i, v int }
				for b.Loop() {
					p := pool.NewWithResults[indexed]()
					for i := range n {
						p.Go(func() indexed { return indexed{i, trivial(i)} })
					}
					for _, r := range p.Wait() {
						out[r.i] = r.v
					}
				}
				checkResults(b, out)
				perTask(b, n)
			})
			// A pond pool lives as long as the program, as its docs suggest;
			// each round of work is a group on it, whose Wait returns the
			// results in submission order.
			run(b, "pond", func(b *testing.B) {
				p := pond.NewResultPool[int](0)
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
		})
	}
}
