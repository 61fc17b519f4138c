package droppedtask

import (
	"context"

	"github.com/asyncgo/async"
)

func job(ctx context.Context) (int, error) { return 0, nil }

func dropped(ctx context.Context, t *async.Task[int]) {
	async.Spawn(ctx, job)     // want `the task started by async.Spawn is dropped: nothing can await or cancel it, and nothing waits for it; keep it \(t := async.Spawn\(...\)\) and Await it, or start it in a group`
	async.Shield(ctx, t)      // want `the task started by async.Shield is dropped`
	async.NewFuture[int](ctx) // want `the future made by async.NewFuture\[int\] is dropped: nothing can ever set, await or cancel it`
	(async.Spawn(ctx, job))   // want `the task started by async.Spawn is dropped`
}

// ---- correct forms: silent ----

func kept(ctx context.Context) error {
	t := async.Spawn(ctx, job)
	_, err := t.Await(ctx)
	return err
}

func inGroup(ctx context.Context) error {
	return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
		g.Go(func(ctx context.Context) error { return nil }) // the group keeps it
		async.Go(g, job)                                     // likewise
		return nil
	})
}

func explicitlyDiscarded(ctx context.Context) {
	_ = async.Spawn(ctx, job) // written out: the author chose to drop it
}

func underRun(ctx context.Context) error {
	return async.Run(ctx, func(ctx context.Context) error {
		async.Spawn(ctx, job) // Run cancels and waits for what main leaves, and reports leaks
		return nil
	})
}

func helperUnderRun(ctx context.Context) {
	async.Spawn(ctx, job) // want `the task started by async.Spawn is dropped`
}
