package async

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
)

// IndexError is the error of one call of [Map] or [GatherFunc] under a join
// policy other than the default: the index of its item or function, and
// what the call returned (or a [*PanicError]). errors.Is and errors.As see
// through it.
type IndexError struct {
	What  string // "item" for Map, "function" for GatherFunc
	Index int
	Err   error
}

// Error returns e.g. "item 3: connection refused".
func (e *IndexError) Error() string {
	return e.What + " " + strconv.Itoa(e.Index) + ": " + e.Err.Error()
}

// Unwrap returns the call's error.
func (e *IndexError) Unwrap() error { return e.Err }

// Index returns, after [Map] or [GatherFunc] under this policy, the index
// of the item or function whose call succeeded first, or -1 if none did.
// (For a group, see [Race.Winner].)
func (r *Race) Index() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.indexSet {
		return -1
	}
	return r.index
}

// fanOutJoin is Map and GatherFunc under [CollectAll] or [FirstSuccess]:
// every call's outcome is kept by index. Under CollectAll no failure
// cancels anything, every result is returned, and the error is a
// [*GroupError] of an [*IndexError] per call that failed or never ran
// because ctx ended, in index order. Under FirstSuccess the first call to
// succeed cancels the others; its result is the only one returned, at
// race.Index(), and the error is nil, or if none succeeded a GroupError of
// every real failure.
func fanOutJoin[T any](ctx context.Context, what string, n int, call func(context.Context, int) (T, error), cfg config, collector *Collector, race *Race) ([]T, error) {
	out := make([]T, n)
	errs := make([]error, n)
	ran := make([]bool, n)
	var winner atomic.Int64
	winner.Store(-1)
	var mu sync.Mutex // guards out, errs and ran against the winner's check
	one := func(ctx context.Context, g *Group, i int) {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(ErrTaskReturned)
		var v T
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = recovered(what+" "+strconv.Itoa(i), r)
				}
			}()
			v, err = call(ctx, i)
		}()
		mu.Lock()
		defer mu.Unlock()
		ran[i] = true
		if err != nil {
			errs[i] = err
			return
		}
		if race == nil {
			out[i] = v
		} else if winner.CompareAndSwap(-1, int64(i)) {
			out[i] = v
			g.Cancel(ErrFirstSuccess)
		}
	}
	workers := n
	if cfg.limit > 0 && cfg.limit < n {
		workers = cfg.limit
	}
	// The calls never fail their tasks (outcomes are kept by index), so the
	// group, fail-fast by default, cancels only when ctx ends or a call wins.
	groupErr := withGroup(ctx, func(gctx context.Context, g *Group) error {
		var next atomic.Int64
		for range workers {
			g.Go(func(ctx context.Context) error {
				for {
					i := int(next.Add(1) - 1)
					if i >= n || ctx.Err() != nil {
						return nil
					}
					one(ctx, g, i)
				}
			})
		}
		return nil
	}, config{name: cfg.name})
	_ = groupErr // no task fails; a cancellation by ctx is told by each call's record below

	name := cfg.name
	if name == "" {
		name = what + "s"
	}
	var failures []error
	for i := range n {
		switch {
		case race != nil && errs[i] != nil && isCancellation(errs[i], ctx) && winner.Load() >= 0:
			// A sibling cancelled by the winner: a consequence, not a failure.
		case errs[i] != nil:
			failures = append(failures, &IndexError{What: what, Index: i, Err: errs[i]})
		case !ran[i] && winner.Load() < 0:
			cause := context.Cause(ctx)
			if cause == nil {
				cause = context.Canceled
			}
			failures = append(failures, &IndexError{What: what, Index: i, Err: &CancelledError{Task: fmt.Sprintf("%s %d", what, i), Cause: cause}})
		}
	}
	if race != nil {
		w := int(winner.Load())
		race.mu.Lock()
		race.index, race.indexSet = w, w >= 0
		race.mu.Unlock()
		if w >= 0 {
			return out, nil
		}
		if len(failures) == 0 {
			return out, ErrNoSuccess
		}
	}
	if collector != nil {
		collector.mu.Lock()
		collector.errs = append(collector.errs, failures...)
		collector.mu.Unlock()
	}
	if len(failures) > 0 {
		return out, &GroupError{Group: name, Errors: failures}
	}
	return out, nil
}

// fanOutPolicy dispatches Map and GatherFunc on their join policy. It
// returns ok false for the default, fail-fast, which fanOut does itself.
func fanOutPolicy[T any](ctx context.Context, what string, n int, call func(context.Context, int) (T, error), cfg config) (out []T, handled bool, err error) {
	switch p := cfg.join.(type) {
	case nil, failFast:
		return nil, false, nil
	case *Collector:
		out, err = fanOutJoin(ctx, what, n, call, cfg, p, nil)
	case *Race:
		out, err = fanOutJoin(ctx, what, n, call, cfg, nil, p)
	default:
		err = fmt.Errorf("async: Map and GatherFunc honour FailFast, CollectAll and FirstSuccess, not the join policy %T", p)
	}
	return out, true, err
}
