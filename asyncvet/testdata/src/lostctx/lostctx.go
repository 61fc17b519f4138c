package lostctx

import (
	"context"
	"time"

	"github.com/asyncgo/async"
	"golang.org/x/sync/errgroup"
)

func work(ctx context.Context) error { return nil }

func discarded(ctx context.Context) error {
	g, _ := errgroup.WithContext(ctx) // want `the context of errgroup.WithContext is thrown away, so the group's cancellation reaches no task: name it and pass it to the tasks \(g, gctx := errgroup.WithContext\(ctx\)\), or use a plain group \(var g errgroup.Group\)`
	g.Go(func() error { return work(ctx) })
	return g.Wait()
}

func discardedVar(ctx context.Context) error {
	var g, _ = errgroup.WithContext(ctx) // want `the context of errgroup.WithContext is thrown away`
	return g.Wait()
}

func timeoutScopeOnly(ctx context.Context) {
	_, scope := async.NewTimeout(ctx, time.Second) // only errgroup's context is checked
	_ = scope
}

// ---- correct forms: silent ----

func kept(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(gctx) })
	return g.Wait()
}

func plain(ctx context.Context) error {
	var g errgroup.Group
	g.Go(func() error { return work(ctx) })
	return g.Wait()
}

func cancelOnly(ctx context.Context) {
	_, cancel := context.WithCancel(ctx) // not this check's business (go vet's lostcancel is the other way round)
	cancel()
}
