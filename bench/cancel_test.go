package bench

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/alitto/pond/v2"
	"github.com/asyncgo/async"
	"github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"
)

const cancelTasks = 10000 // tasks in workload (d), the failing one included

// blocker is the shared shape of workload (d): cancelTasks-1 tasks wait on
// their context, and one fails once all of them are waiting, so that what is
// measured is a real wake-up of blocked tasks, not tasks that find their
// context already done when they start.
type blocker struct{ ready sync.WaitGroup }

func newBlocker() *blocker {
	bl := new(blocker)
	bl.ready.Add(cancelTasks - 1)
	return bl
}

// block is the body of the tasks that wait.
func (bl *blocker) block(ctx context.Context) error {
	bl.ready.Done()
	<-ctx.Done()
	return context.Cause(ctx)
}

// fail is the body of the task that fails.
func (bl *blocker) fail() error {
	bl.ready.Wait()
	return errBoom
}

func wantBoom(b *testing.B, err error) {
	if !errors.Is(err, errBoom) {
		b.Fatalf("err = %v, want %v", err, errBoom)
	}
}

// BenchmarkCancel is workload (d): 10,000 tasks blocked on their context,
// one fails; each op lasts until every task has returned.
func BenchmarkCancel(b *testing.B) {
	warmUp()
	bg := context.Background()
	const n = cancelTasks
	run(b, "floor-wg", func(b *testing.B) {
		for b.Loop() {
			bl := newBlocker()
			ctx, cancel := context.WithCancelCause(bg)
			var wg sync.WaitGroup
			for range n - 1 {
				wg.Go(func() { bl.block(ctx) })
			}
			wg.Go(func() { cancel(bl.fail()) })
			wg.Wait()
			wantBoom(b, context.Cause(ctx))
		}
	})
	run(b, "floor-chan", func(b *testing.B) {
		for b.Loop() {
			bl := newBlocker()
			ctx, cancel := context.WithCancelCause(bg)
			errs := make(chan error, n)
			for range n - 1 {
				go func() { errs <- bl.block(ctx) }()
			}
			go func() { errs <- bl.fail() }()
			var first error
			for range n {
				if err := <-errs; err != nil && first == nil {
					first = err
					cancel(err)
				}
			}
			cancel(nil)
			wantBoom(b, first)
		}
	})
	run(b, "async", func(b *testing.B) {
		for b.Loop() {
			bl := newBlocker()
			err := async.WithGroup(bg, func(ctx context.Context, g *async.Group) error {
				for range n - 1 {
					g.Go(bl.block)
				}
				g.Go(func(context.Context) error { return bl.fail() })
				return nil
			})
			wantBoom(b, err)
		}
	})
	run(b, "errgroup", func(b *testing.B) {
		for b.Loop() {
			bl := newBlocker()
			g, ctx := errgroup.WithContext(bg)
			for range n - 1 {
				g.Go(func() error { return bl.block(ctx) })
			}
			g.Go(bl.fail)
			wantBoom(b, g.Wait())
		}
	})
	run(b, "conc", func(b *testing.B) {
		for b.Loop() {
			bl := newBlocker()
			p := pool.New().WithContext(bg).WithCancelOnError().WithFirstError()
			for range n - 1 {
				p.Go(bl.block)
			}
			p.Go(func(context.Context) error { return bl.fail() })
			wantBoom(b, p.Wait())
		}
	})
	run(b, "pond", func(b *testing.B) {
		p := pond.NewPool(0)
		defer p.StopAndWait()
		for b.Loop() {
			bl := newBlocker()
			g := p.NewGroup()
			ctx := g.Context()
			for range n - 1 {
				g.SubmitErr(func() error { return bl.block(ctx) })
			}
			g.SubmitErr(bl.fail)
			wantBoom(b, g.Wait())
		}
	})
}
