// Package planted holds five structured-concurrency mistakes, each marked
// with a "planted:" comment on the line a checker should report, and the
// correct form of each, which must stay silent.
package planted

import (
	"context"
	"time"

	"github.com/asyncgo/async"
	"golang.org/x/sync/errgroup"
)

func get(ctx context.Context, url string) error { return ctx.Err() }

// ---- the five mistakes ----

func OuterCtxErrgroup(ctx context.Context, urls []string) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, u := range urls {
		g.Go(func() error {
			return get(ctx, u) // planted: taskctx
		})
	}
	g.Go(func() error { return get(gctx, "index") })
	return g.Wait()
}

func OuterCtxAsync(ctx context.Context, urls []string) error {
	return async.WithGroup(ctx, func(gctx context.Context, g *async.Group) error {
		for _, u := range urls {
			g.Go(func(tctx context.Context) error {
				return get(gctx, u) // planted: taskctx
			})
		}
		return nil
	})
}

func GroupCtxAfterWait(ctx context.Context, urls []string) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, u := range urls {
		g.Go(func() error { return get(gctx, u) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return get(gctx, "summary") // planted: groupctx
}

func DiscardedCtx(ctx context.Context, urls []string) error {
	g, _ := errgroup.WithContext(ctx) // planted: lostctx
	for _, u := range urls {
		g.Go(func() error { return get(ctx, u) })
	}
	return g.Wait()
}

func DroppedTask(ctx context.Context) {
	async.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, get(ctx, "x") }) // planted: droppedtask
}

// ---- the correct forms ----

func ErrgroupOwnCtx(ctx context.Context, urls []string) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, u := range urls {
		g.Go(func() error { return get(gctx, u) })
	}
	return g.Wait()
}

func AsyncOwnCtx(ctx context.Context, urls []string) error {
	return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
		for _, u := range urls {
			g.Go(func(ctx context.Context) error { return get(ctx, u) })
		}
		return nil
	})
}

func DerivedFromOwn(ctx context.Context, urls []string) error {
	return async.WithGroup(ctx, func(gctx context.Context, g *async.Group) error {
		for _, u := range urls {
			g.Go(func(tctx context.Context) error {
				c, cancel := context.WithTimeout(tctx, time.Second)
				defer cancel()
				return get(c, u)
			})
		}
		return nil
	})
}

func WithoutCancelOnPurpose(ctx context.Context) error {
	audit := context.WithoutCancel(ctx)
	t := async.Spawn(ctx, func(tctx context.Context) (int, error) {
		defer get(audit, "audit") // must run even if the task is cancelled
		return 0, get(tctx, "work")
	})
	_, err := t.Await(ctx)
	return err
}

type job struct{ ctx context.Context }

func ThroughStructField(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	j := &job{ctx: gctx}
	g.Go(func() error { return get(j.ctx, "field") })
	g.Go(func() error { return get(gctx, "own") })
	return g.Wait()
}

func ParentCtxAfterWait(ctx context.Context, urls []string) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, u := range urls {
		g.Go(func() error { return get(gctx, u) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return get(ctx, "summary")
}

func PlainGroup(ctx context.Context, urls []string) error {
	var g errgroup.Group
	for _, u := range urls {
		g.Go(func() error { return get(ctx, u) })
	}
	return g.Wait()
}

func KeptTask(ctx context.Context) (int, error) {
	t := async.Spawn(ctx, func(ctx context.Context) (int, error) { return 1, get(ctx, "x") })
	return t.Await(ctx)
}

func GoroutineUsesCtx(ctx context.Context, done chan<- error) {
	go func() { done <- get(ctx, "x") }()
}
