package bench

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/asyncgo/async"
	"github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"
)

const (
	sleepTasks = 100000                // tasks in workload (c)
	sleepFor   = 10 * time.Millisecond // how long each one sleeps
)

// gate holds every task of workload (c) until all of them exist, so that
// all 100,000 are alive at once, as they are in asyncio (whose tasks do not
// start before the creating coroutine yields). Without it, the first tasks
// would have woken and gone before the last were started (starting 100,000
// takes longer than 10 ms), and the bytes per task would look smaller than
// they are. A watcher notes the memory held at that moment, then opens it.
type gate struct {
	n       int64
	blocked atomic.Int64
	open    chan struct{}
	held    uint64 // bytes held with every task blocked, less the baseline
	done    chan struct{}
}

// startGate makes a gate for n tasks and starts its watcher; base is the
// memory held before the tasks were started.
func startGate(n int, base uint64) *gate {
	g := &gate{n: int64(n), open: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		for g.blocked.Load() < g.n {
			time.Sleep(50 * time.Microsecond)
		}
		if now := liveBytes(); now > base {
			g.held = now - base
		}
		close(g.open)
	}()
	return g
}

// sleep is the body of every task of workload (c).
func (g *gate) sleep() {
	g.blocked.Add(1)
	<-g.open
	time.Sleep(sleepFor)
}

// sleepRound runs b.Loop with a fresh gate per round and reports the bytes
// held per blocked task (B/task), and the memory the process took from the
// OS during the rounds per task (sys-B/task): run once in a fresh process,
// as run.sh does, that is the peak footprint of the round, comparable to
// asyncio's peak RSS. round starts sleepTasks tasks running g.sleep and
// waits for all of them.
func sleepRound(b *testing.B, round func(g *gate)) {
	var held uint64
	sys0 := sysBytes()
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		base := liveBytes()
		b.StartTimer()
		g := startGate(sleepTasks, base)
		round(g)
		<-g.done
		held += g.held
	}
	b.ReportMetric(float64(held)/float64(b.N)/sleepTasks, "B/task")
	b.ReportMetric(float64(sysBytes()-sys0)/float64(b.N)/sleepTasks, "sys-B/task")
}

// BenchmarkSleep is workload (c): 100,000 tasks sleeping 10 ms at the same
// time, gathered. Its B/task metric is the heap and stack the tasks hold
// while all of them are blocked.
func BenchmarkSleep(b *testing.B) {
	ctx := context.Background()
	const n = sleepTasks
	run(b, "floor-wg", func(b *testing.B) {
		sleepRound(b, func(g *gate) {
			var wg sync.WaitGroup
			for range n {
				wg.Go(g.sleep)
			}
			wg.Wait()
		})
	})
	run(b, "floor-chan", func(b *testing.B) {
		chans := make([]chan struct{}, n)
		sleepRound(b, func(g *gate) {
			for i := range chans {
				ch := make(chan struct{}, 1)
				chans[i] = ch
				go func() { g.sleep(); ch <- struct{}{} }()
			}
			for _, ch := range chans {
				<-ch
			}
		})
	})
	run(b, "async", func(b *testing.B) {
		tasks := make([]*async.Task[struct{}], n)
		sleepRound(b, func(g *gate) {
			for i := range tasks {
				tasks[i] = async.Spawn(ctx, func(context.Context) (struct{}, error) { g.sleep(); return struct{}{}, nil })
			}
			if _, err := async.Gather(ctx, tasks...); err != nil {
				b.Fatal(err)
			}
		})
	})
	run(b, "async-group", func(b *testing.B) {
		sleepRound(b, func(g *gate) {
			err := async.WithGroup(ctx, func(ctx context.Context, grp *async.Group) error {
				for range n {
					grp.Go(func(context.Context) error { g.sleep(); return nil })
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	})
	run(b, "errgroup", func(b *testing.B) {
		sleepRound(b, func(g *gate) {
			var grp errgroup.Group
			for range n {
				grp.Go(func() error { g.sleep(); return nil })
			}
			if err := grp.Wait(); err != nil {
				b.Fatal(err)
			}
		})
	})
	run(b, "conc", func(b *testing.B) {
		sleepRound(b, func(g *gate) {
			p := pool.New()
			for range n {
				p.Go(g.sleep)
			}
			p.Wait()
		})
	})
	run(b, "pond", func(b *testing.B) {
		p := pond.NewPool(0)
		defer p.StopAndWait()
		sleepRound(b, func(g *gate) {
			grp := p.NewGroup()
			for range n {
				grp.Submit(g.sleep)
			}
			if err := grp.Wait(); err != nil {
				b.Fatal(err)
			}
		})
	})
}
