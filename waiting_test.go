package async_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// TestWaitingState blocks a tracked task in each of the package's waits and
// checks its snapshot: Waiting, with what it waits on and since when, while
// it waits; Running with nothing awaited once the wait is over and the task
// is busy again.
func TestWaitingState(t *testing.T) {
	type target = struct {
		name            string // what Awaiting names
		sleep, timeout  bool
		deadline, group bool // Awaiting has a deadline; the target is a group
	}
	cases := []struct {
		name string
		want target
		// wait blocks until the "blocker" task ends (10s in), in the way
		// under test.
		wait func(ctx context.Context, blocker *async.Task[int]) error
	}{
		{"Await", target{name: "blocker"}, func(ctx context.Context, b *async.Task[int]) error {
			_, err := b.Await(ctx)
			return err
		}},
		{"Gather", target{name: "blocker"}, func(ctx context.Context, b *async.Task[int]) error {
			_, err := async.Gather(ctx, b)
			return err
		}},
		{"Wait", target{name: "blocker"}, func(ctx context.Context, b *async.Task[int]) error {
			_, _, err := async.Wait(ctx, async.AllCompleted, b)
			return err
		}},
		{"AsCompleted", target{name: "blocker"}, func(ctx context.Context, b *async.Task[int]) error {
			for _, err := range async.AsCompleted(ctx, b) {
				return err
			}
			return nil
		}},
		{"WaitFor", target{name: "blocker", deadline: true}, func(ctx context.Context, b *async.Task[int]) error {
			_, err := async.WaitFor(ctx, time.Minute, b)
			return err
		}},
		{"Timeout", target{name: "block", timeout: true, deadline: true}, func(ctx context.Context, b *async.Task[int]) error {
			_, err := async.Timeout(ctx, time.Minute, func(ctx context.Context) (int, error) {
				<-b.Done() // not a wait of the package: the block's deadline shows
				return 0, nil
			}, async.WithName("block"))
			return err
		}},
		{"WithGroup", target{name: "inner", group: true}, func(ctx context.Context, b *async.Task[int]) error {
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				g.Go(func(context.Context) error { <-b.Done(); return nil })
				return nil
			}, async.WithName("inner"))
		}},
		{"Sleep", target{sleep: true, deadline: true}, func(ctx context.Context, _ *async.Task[int]) error {
			return async.Sleep(ctx, 9*time.Second)
		}},
		{"SleepNamed", target{name: "backoff", sleep: true, deadline: true}, func(ctx context.Context, _ *async.Task[int]) error {
			return async.SleepNamed(ctx, 9*time.Second, "backoff")
		}},
		{"Future", target{name: "reply"}, func(ctx context.Context, b *async.Task[int]) error {
			f := async.NewFuture[int](ctx, async.WithName("reply"))
			b.AddDoneCallback(func(*async.Task[int]) { f.Set(1) })
			_, err := f.Await(ctx)
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				err := async.Run(t.Context(), func(ctx context.Context) error {
					scope := async.ScopeOf(ctx)
					start := time.Now()
					blocker := async.Spawn(ctx, func(ctx context.Context) (int, error) {
						time.Sleep(10 * time.Second)
						return 1, nil
					}, async.WithName("blocker"))
					w := async.Spawn(ctx, func(ctx context.Context) (int, error) {
						time.Sleep(time.Second) // running, not waiting
						if err := c.wait(ctx, blocker); err != nil {
							return 0, err
						}
						time.Sleep(5 * time.Second) // running again
						return 0, nil
					}, async.WithName("waiter"))

					time.Sleep(500 * time.Millisecond)
					if n := nodeByName(t, scope.Snapshot(), "waiter"); n.State != async.Running || n.Awaiting != nil {
						t.Errorf("before the wait: %v awaiting %v, want running, awaiting nothing", n.State, n.Awaiting)
					}
					time.Sleep(2500 * time.Millisecond) // 3s in, 2s into the wait
					snap := scope.Snapshot()
					n := nodeByName(t, snap, "waiter")
					if n.State != async.Waiting {
						t.Errorf("in %s the task is %v, want waiting", c.name, n.State)
					}
					if !n.WaitingSince.Equal(start.Add(time.Second)) || n.Waited != 2*time.Second {
						t.Errorf("waiting since %v for %v; want since start+1s, for 2s", n.WaitingSince.Sub(start), n.Waited)
					}
					a := n.Awaiting
					if a == nil {
						t.Fatalf("waiting on nothing")
					}
					if a.Name != c.want.name || a.Sleep != c.want.sleep || a.Timeout != c.want.timeout || a.Deadline.IsZero() == c.want.deadline {
						t.Errorf("awaiting %+v, want %+v", *a, c.want)
					}
					if c.want.group != (a.Target.Kind == async.KindGroup) {
						t.Errorf("awaiting %v, want a group: %v", a.Target, c.want.group)
					}
					b, _ := json.Marshal(n)
					if !strings.Contains(string(b), `"state":"waiting"`) || !strings.Contains(string(b), `"waited_seconds":2`) || !strings.Contains(string(b), `"waiting_since":`) {
						t.Errorf("JSON %s lacks the waiting state, since and for how long", b)
					}

					time.Sleep(9 * time.Second) // 12s in: the wait is over
					if n := nodeByName(t, scope.Snapshot(), "waiter"); n.State != async.Running || n.Awaiting != nil || !n.WaitingSince.IsZero() {
						t.Errorf("after the wait: %v awaiting %v since %v, want running, awaiting nothing", n.State, n.Awaiting, n.WaitingSince)
					}
					_, err := w.Await(ctx)
					return err
				}, async.WithSignals(nil))
				if err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// TestWaitingIsNotATaskState: Task.State never reports Waiting, which is a
// view of Running only snapshots take, and Waiting is not a final state.
func TestWaitingIsNotATaskState(t *testing.T) {
	if async.Waiting.Finished() || async.Waiting.String() != "waiting" {
		t.Errorf("Waiting: finished %v, named %q", async.Waiting.Finished(), async.Waiting)
	}
	synctest.Test(t, func(t *testing.T) {
		err := async.Run(t.Context(), func(ctx context.Context) error {
			s := async.Spawn(ctx, func(ctx context.Context) (int, error) {
				return 0, async.Sleep(ctx, time.Second)
			})
			synctest.Wait()
			if st := s.State(); st != async.Running {
				t.Errorf("a sleeping task's State() = %v, want running", st)
			}
			_, err := s.Await(ctx)
			return err
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
	})
}
