package async_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// A deadline derived from a scope's context is kept whatever the scope's
// deadline does afterwards: context.WithTimeout, WaitFor and Timeout inside
// the scope still end at their own 2s when the scope moves to 10s. (They
// used to see the scope's earlier deadline through ctx.Deadline, set no
// timer of their own, and run to 10s.)
func TestTimeoutScopeRescheduleKeepsDerivedDeadlines(t *testing.T) {
	cases := map[string]func(ctx context.Context) error{
		"context.WithTimeout": func(ctx context.Context) error {
			child, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			<-child.Done()
			return child.Err()
		},
		"WaitFor": func(ctx context.Context) error {
			task := async.Spawn(ctx, after(time.Hour, 0, nil))
			_, err := async.WaitFor(ctx, 2*time.Second, task)
			return err
		},
		"Timeout": func(ctx context.Context) error {
			_, err := async.Timeout(ctx, 2*time.Second, func(ctx context.Context) (int, error) {
				return 0, async.Sleep(ctx, time.Hour)
			})
			return err
		},
	}
	for name, inner := range cases {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				ctx, tm := async.NewTimeout(t.Context(), time.Second)
				defer tm.Stop()
				errc := make(chan error, 1)
				go func() { errc <- inner(ctx) }()
				synctest.Wait() // the inner deadline is set against the scope's 1s
				tm.Reschedule(start.Add(10 * time.Second))
				err := <-errc
				if got := time.Since(start); got != 2*time.Second {
					t.Errorf("inner deadline ended at %v, want its own 2s", got)
				}
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("inner error = %v, want a deadline", err)
				}
				if tm.Expired() {
					t.Error("the scope expired, though its deadline moved to 10s")
				}
			})
		})
	}
}

// A scope's context gives the same Deadline every time it is asked, as
// context.Context requires, however the scope's deadline moves: it is the
// parent's. The scope's own deadline is TimeoutScope.Deadline.
func TestTimeoutScopeContextDeadlineIsStable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		want, _ := parent.Deadline()
		ctx, tm := async.NewTimeout(parent, time.Second)
		defer tm.Stop()
		check := func(when string) {
			t.Helper()
			if d, ok := ctx.Deadline(); !ok || !d.Equal(want) {
				t.Errorf("%s: ctx.Deadline() = %v, %v, want the parent's %v", when, d, ok, want)
			}
		}
		check("at the start")
		tm.Reschedule(time.Now().Add(10 * time.Second))
		check("moved later")
		tm.Reschedule(time.Now().Add(time.Millisecond))
		check("moved earlier")
		tm.Reschedule(time.Time{})
		check("removed")
		if d, ok := tm.Deadline(); ok {
			t.Errorf("tm.Deadline() = %v after the deadline was removed", d)
		}

		ctx, tm = async.NewTimeout(t.Context(), time.Second)
		defer tm.Stop()
		if d, ok := ctx.Deadline(); ok {
			t.Errorf("ctx.Deadline() = %v under a parent without one, want none", d)
		}
	})
}

// Once the scope has expired, its context's Err is
// context.DeadlineExceeded, as context.WithTimeout's is, and its cause
// matches ErrTimeout. (It used to be context.Canceled.)
func TestTimeoutScopeExpiredErrIsDeadlineExceeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, tm := async.NewTimeout(t.Context(), time.Second)
		defer tm.Stop()
		derived, cancel := context.WithCancel(ctx)
		defer cancel()
		<-derived.Done()
		// A derived context is cancelled with the scope and carries the
		// timeout as its cause (its Err is the standard library's:
		// Canceled).
		if err := derived.Err(); err != context.Canceled || !errors.Is(context.Cause(derived), async.ErrTimeout) {
			t.Errorf("derived context: Err %v, cause %v; want Canceled with the timeout as cause", err, context.Cause(derived))
		}
		if err := ctx.Err(); err != context.DeadlineExceeded {
			t.Errorf("ctx.Err() = %v, want context.DeadlineExceeded", err)
		}
		if cause := context.Cause(ctx); !errors.Is(cause, async.ErrTimeout) {
			t.Errorf("context.Cause = %v, want a timeout", cause)
		}

		// Stopped before its deadline: cancelled, not timed out.
		ctx, tm = async.NewTimeout(t.Context(), time.Second)
		tm.Stop()
		if err := ctx.Err(); err != context.Canceled {
			t.Errorf("stopped scope: ctx.Err() = %v, want context.Canceled", err)
		}

		// The parent cancelled first: its error, whatever happens after.
		parent, cancel := context.WithCancel(t.Context())
		ctx, tm = async.NewTimeout(parent, time.Second)
		cancel()
		time.Sleep(2 * time.Second)
		if err := ctx.Err(); err != context.Canceled {
			t.Errorf("parent cancelled first: ctx.Err() = %v, want context.Canceled", err)
		}
		tm.Stop()
	})
}

// A task that returns its scope's Err after the scope expired fails with
// the deadline, as it does with context.WithTimeout and Timeout: the
// timeout is a failure of the task, not a cancellation of it.
func TestTimeoutScopeErrReturnedByATaskIsAFailure(t *testing.T) {
	scopes := map[string]func(context.Context) (context.Context, func()){
		"NewTimeout": func(ctx context.Context) (context.Context, func()) {
			ctx, tm := async.NewTimeout(ctx, time.Second)
			return ctx, tm.Stop
		},
		"context.WithTimeout": func(ctx context.Context) (context.Context, func()) {
			return context.WithTimeout(ctx, time.Second)
		},
	}
	for name, scope := range scopes {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
					sctx, stop := scope(ctx)
					defer stop()
					<-sctx.Done()
					return 0, sctx.Err()
				})
				_, err := task.Await(t.Context())
				if task.Cancelled() || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("task ended cancelled=%v with %v, want a failure with the deadline", task.Cancelled(), err)
				}
			})
		})
	}
}

// A task started with an expired scope's context answers Err as the scope
// does, DeadlineExceeded, whether or not something made its own context
// (here by asking for Done), and before or after it returned: a made
// context answers what the one not made does.
func TestTimeoutScopeTaskContextErrMadeOrNot(t *testing.T) {
	for _, made := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			sctx, tm := async.NewTimeout(t.Context(), time.Second)
			defer tm.Stop()
			var kept context.Context
			task := async.Spawn(sctx, func(ctx context.Context) (error, error) {
				kept = ctx
				if made {
					<-ctx.Done()
				} else {
					time.Sleep(2 * time.Second)
				}
				return ctx.Err(), nil
			})
			inside, _ := task.Await(t.Context())
			if inside != context.DeadlineExceeded {
				t.Errorf("made %v: Err inside the task = %v, want DeadlineExceeded", made, inside)
			}
			if err := kept.Err(); err != context.DeadlineExceeded || !errors.Is(context.Cause(kept), async.ErrTimeout) {
				t.Errorf("made %v: Err after the return = %v, cause %v; want DeadlineExceeded and the timeout", made, err, context.Cause(kept))
			}
		})
	}
}
