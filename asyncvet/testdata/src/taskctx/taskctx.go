package taskctx

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/asyncgo/async"
	"golang.org/x/sync/errgroup"
)

func work(ctx context.Context) error                     { return nil }
func fetch(ctx context.Context, url string) (int, error) { return 0, nil }

// ---- mistakes ----

func errgroupOuter(ctx context.Context, urls []string) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, u := range urls {
		g.Go(func() error {
			_, err := fetch(ctx, u) // want `errgroup task passes the outer context ctx to fetch, so the group's cancellation never reaches it: pass the group's context gctx instead`
			return err
		})
	}
	_ = gctx
	return g.Wait()
}

func errgroupTryGoOuter(ctx context.Context) {
	g, gctx := errgroup.WithContext(ctx)
	g.TryGo(func() error { return work(ctx) }) // want `errgroup task passes the outer context ctx`
	_ = gctx
	g.Wait()
}

func spawnOuter(ctx context.Context) {
	t := async.Spawn(ctx, func(tctx context.Context) (int, error) {
		return fetch(ctx, "a") // want `task passes the outer context ctx to fetch, so cancelling the task does not reach it: pass the task's own context tctx instead`
	})
	t.Await(ctx)
}

func spawnIgnoresOwn(ctx context.Context) {
	t := async.Spawn(ctx, func(_ context.Context) (int, error) {
		return fetch(ctx, "a") // want `task ignores its own context \(_\) and passes the outer context ctx to fetch`
	})
	t.Await(ctx)
}

func withGroupOuter(ctx context.Context) error {
	return async.WithGroup(ctx, func(gctx context.Context, g *async.Group) error {
		g.Go(func(tctx context.Context) error {
			return work(gctx) // want `task passes the outer context gctx to work, so cancelling the task does not reach it: pass the task's own context tctx instead`
		})
		async.Go(g, func(context.Context) (int, error) {
			return fetch(ctx, "b") // want `task ignores its own context \(_\) and passes the outer context ctx`
		})
		async.Submit(gctx, g, func(sctx context.Context) (int, error) {
			return 0, work(ctx) // want `task passes the outer context ctx to work`
		})
		async.TryGo(g, func(tctx context.Context) (int, error) {
			return fetch(gctx, "c") // want `task passes the outer context gctx`
		})
		return work(ctx) // want `task passes the outer context ctx to work, so cancelling the task does not reach it: pass the task's own context gctx instead`
	})
}

func fanOutOuter(ctx context.Context, urls []string) {
	async.Map(ctx, urls, func(mctx context.Context, u string) (int, error) {
		return fetch(ctx, u) // want `task passes the outer context ctx to fetch`
	})
	async.GatherFunc(ctx, []func(context.Context) (int, error){
		func(c context.Context) (int, error) { return fetch(c, "ok") },
		func(c context.Context) (int, error) { return fetch(ctx, "x") }, // want `task passes the outer context ctx to fetch`
	})
	for range async.Stream(ctx, slices.Values(urls), func(sctx context.Context, u string) (int, error) {
		return fetch(ctx, u) // want `task passes the outer context ctx to fetch`
	}) {
	}
}

func derivedParentOuter(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	g, gctx := errgroup.WithContext(cctx)
	g.Go(func() error {
		work(cctx)       // want `errgroup task passes the outer context cctx`
		return work(ctx) // want `errgroup task passes the outer context ctx`
	})
	_ = gctx
	g.Wait()
}

// ---- correct forms: silent ----

func errgroupOwn(ctx context.Context, urls []string) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, u := range urls {
		g.Go(func() error {
			_, err := fetch(gctx, u)
			return err
		})
	}
	return g.Wait()
}

func errgroupShadow(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(ctx) })
	return g.Wait()
}

func errgroupDerivedFromOwn(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	tctx, cancel := context.WithTimeout(gctx, time.Second)
	defer cancel()
	g.Go(func() error { return work(tctx) })
	return g.Wait()
}

func plainGroup(ctx context.Context) error {
	var g errgroup.Group // no derived context: the outer one is the only one
	g.Go(func() error { return work(ctx) })
	return g.Wait()
}

func spawnOwn(ctx context.Context) {
	t := async.Spawn(ctx, func(ctx context.Context) (int, error) { return fetch(ctx, "a") })
	t.Await(ctx)
}

func spawnDerivedFromOwn(ctx context.Context) {
	t := async.Spawn(ctx, func(tctx context.Context) (int, error) {
		c, cancel := context.WithTimeout(tctx, time.Second)
		defer cancel()
		return fetch(c, "a")
	})
	t.Await(ctx)
}

func withoutCancelOnPurpose(ctx context.Context) {
	detached := context.WithoutCancel(ctx)
	bg := context.Background()
	t := async.Spawn(ctx, func(tctx context.Context) (int, error) {
		work(detached)                   // finishes even if the task is cancelled, on purpose
		work(bg)                         // likewise
		work(context.WithoutCancel(ctx)) // likewise, inline
		return fetch(tctx, "a")
	})
	t.Await(ctx)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(detached) })
	_ = gctx
	g.Wait()
}

type holder struct{ ctx context.Context }

func structField(ctx context.Context) {
	h := holder{ctx: ctx}
	t := async.Spawn(ctx, func(tctx context.Context) (int, error) {
		return fetch(h.ctx, "a") // through a field: not decided, not reported
	})
	t.Await(ctx)
}

func logsWithOuter(ctx context.Context) {
	t := async.Spawn(ctx, func(tctx context.Context) (int, error) {
		slog.InfoContext(ctx, "starting") // reads values only
		_ = context.Cause(ctx)
		return fetch(tctx, "a")
	})
	t.Await(ctx)
}

func shutdownAfterGroupEnds(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return work(gctx) })
	g.Go(func() error {
		<-gctx.Done()
		return work(ctx) // the group ended: the outer context is the right one here
	})
	return g.Wait()
}

func nestedTasksEachOwn(ctx context.Context) error {
	return async.WithGroup(ctx, func(gctx context.Context, g *async.Group) error {
		g.Go(func(tctx context.Context) error {
			inner := async.Spawn(tctx, func(ictx context.Context) (int, error) { return fetch(ictx, "x") })
			_, err := inner.Await(tctx)
			return err
		})
		return nil
	})
}

func reassignedInside(ctx context.Context) {
	var c context.Context
	t := async.Spawn(ctx, func(tctx context.Context) (int, error) {
		c = tctx
		return fetch(c, "a")
	})
	t.Await(ctx)
}

type ticket struct{ self context.Context }

func handsOwnOnThroughField(ctx context.Context, tk *ticket) {
	t := async.Spawn(ctx, func(self context.Context) (int, error) {
		tk.self = self // the callee reaches the task's context through tk
		return fetch(ctx, "a")
	})
	t.Await(ctx)
}

type logger struct{}

func (logger) Infof(ctx context.Context, format string, args ...any) {}

func logsInErrgroup(ctx context.Context, log logger) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		log.Infof(ctx, "start") // a logger only reads values from the context
		return work(gctx)
	})
	return g.Wait()
}
