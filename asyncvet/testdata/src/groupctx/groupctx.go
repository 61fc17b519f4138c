package groupctx

import (
	"context"

	"github.com/asyncgo/async"
	"golang.org/x/sync/errgroup"
)

func work(ctx context.Context) error { return nil }

// ---- mistakes ----

func afterWait(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(gctx) })
	if err := g.Wait(); err != nil {
		return err
	}
	return work(gctx) // want `gctx is the context of errgroup.WithContext, cancelled once g.Wait returned: use ctx instead`
}

func afterWaitShadowed(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(ctx) })
	err := g.Wait()
	work(ctx) // want `ctx is the context of errgroup.WithContext, cancelled once g.Wait returned: use the parent context under its own name`
	return err
}

func afterWaitInErrBranch(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(gctx) })
	if err := g.Wait(); err != nil {
		work(gctx) // want `gctx is the context of errgroup.WithContext`
		return err
	}
	return nil
}

func reusedAfterWait(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(gctx) })
	g.Wait()
	g.Go(func() error { return work(gctx) }) // want `g.Go after g.Wait returned: the group's context gctx is cancelled already and a failure here cancels nothing; make a new group` `gctx is the context of errgroup.WithContext`
	return g.Wait()
}

func reusedWithoutCtx(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(gctx) })
	if err := g.Wait(); err != nil {
		return err
	}
	next := func() error {
		g.Go(func() error { return nil }) // want `g.Go after g.Wait returned`
		return g.Wait()
	}
	return next()
}

func waitInGoroutine(ctx context.Context, items []int) error {
	g, gctx := errgroup.WithContext(ctx)
	results := make(chan int)
	g.Go(func() error { return work(gctx) })
	go func() {
		_ = g.Wait()
		close(results)
	}()
	for range results {
		if err := work(gctx); err != nil { // want `gctx is the context of errgroup.WithContext, cancelled as soon as g.Wait returns in the goroutine above, while this code may still run: use ctx instead`
			return err
		}
	}
	return g.Wait()
}

func savedFromWithGroup(ctx context.Context) error {
	var saved context.Context
	err := async.WithGroup(ctx, func(gctx context.Context, g *async.Group) error {
		saved = gctx
		return work(gctx)
	})
	work(saved) // want `saved holds the context of a async.WithGroup body, cancelled once async.WithGroup returned`
	return err
}

// ---- correct forms: silent ----

func parentAfterWait(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(gctx) })
	if err := g.Wait(); err != nil {
		return err
	}
	return work(ctx)
}

func causeAfterWait(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(gctx) })
	err := g.Wait()
	if cause := context.Cause(gctx); cause != nil && err == nil {
		return cause
	}
	return err
}

func newGroupAfterWait(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(gctx) })
	g.Wait()
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() error { return work(gctx) })
	return g.Wait()
}

func beforeWait(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	work(gctx)
	g.Go(func() error { return work(gctx) })
	return g.Wait()
}

func newGroupEachRound(ctx context.Context, rounds int) error {
	for i := 0; i < rounds; i++ {
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() error { return work(gctx) })
		if err := g.Wait(); err != nil {
			return err
		}
	}
	return nil
}

func deferredWait(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	defer g.Wait()
	return work(gctx)
}

func waitInBranch(ctx context.Context, early bool) error {
	g, gctx := errgroup.WithContext(ctx)
	if early {
		g.Wait()
	}
	return work(gctx) // Wait may not have run: not decided
}

func usedInsideWithGroupOnly(ctx context.Context) error {
	var saved context.Context
	err := async.WithGroup(ctx, func(gctx context.Context, g *async.Group) error {
		saved = gctx
		return work(saved)
	})
	return err
}

func shadowedInBlock(ctx context.Context, ok bool) error {
	if ok {
		g, ctx := errgroup.WithContext(ctx)
		g.Go(func() error { return work(ctx) })
		if err := g.Wait(); err != nil {
			return err
		}
		return work(ctx) // want `ctx is the context of errgroup.WithContext, cancelled once g.Wait returned: use the parent context under its own name`
	}
	return nil
}
