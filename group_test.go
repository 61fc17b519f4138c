package async_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

func TestGroupWaitsForEveryTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var finished atomic.Int32
		start := time.Now()
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			for i := range 5 {
				g.Go(func(ctx context.Context) error {
					err := async.Sleep(ctx, time.Duration(i+1)*time.Second)
					finished.Add(1)
					return err
				})
			}
			return nil
		})
		if err != nil || finished.Load() != 5 {
			t.Fatalf("err %v, %d of 5 finished", err, finished.Load())
		}
		if elapsed := time.Since(start); elapsed != 5*time.Second {
			t.Fatalf("group took %v, want the longest task's 5s", elapsed)
		}
	})
}

func TestGroupFailureCancelsSiblingsAndKeepsEveryRealError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errDisk := errors.New("disk full")
		var siblingCause error
		var sibling *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			sibling = async.Go(g, func(ctx context.Context) (int, error) {
				err := async.Sleep(ctx, time.Hour)
				siblingCause = context.Cause(ctx)
				return 0, err
			}, async.WithName("sibling"))
			async.Go(g, func(ctx context.Context) (int, error) {
				time.Sleep(time.Second)
				return 0, errBoom
			}, async.WithName("first"))
			async.Go(g, func(ctx context.Context) (int, error) {
				<-ctx.Done()
				return 0, errDisk // a real error returned during the cancellation: kept
			}, async.WithName("second"))
			return nil
		})
		var ge *async.GroupError
		if !errors.As(err, &ge) {
			t.Fatalf("err %v, want *GroupError", err)
		}
		if len(ge.Errors) != 2 {
			t.Fatalf("group kept %d errors, want 2 (the sibling's cancellation is noise):\n%v", len(ge.Errors), err)
		}
		if !errors.Is(err, errBoom) || !errors.Is(err, errDisk) {
			t.Fatalf("err %v, want both real errors", err)
		}
		var te *async.TaskError
		if !errors.As(ge.Errors[0], &te) || te.Task != "first" {
			t.Fatalf("first error %v, want attributed to task \"first\"", ge.Errors[0])
		}
		if !sibling.Cancelled() {
			t.Fatalf("sibling state %v, want cancelled", sibling.State())
		}
		if !errors.Is(siblingCause, errBoom) {
			t.Fatalf("sibling saw cause %v, want the first failure", siblingCause)
		}
		if !strings.Contains(err.Error(), `task "first": boom`) {
			t.Fatalf("message %q does not name the failing task", err)
		}
	})
}

func TestGroupPanicCancelsSiblings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sibling *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			sibling = async.Go(g, func(ctx context.Context) (int, error) { return 0, async.Sleep(ctx, time.Hour) })
			async.Go(g, panicky)
			return nil
		})
		var pe *async.PanicError
		if !errors.As(err, &pe) || pe.Value != "kaboom" {
			t.Fatalf("err %v, want the panic as an error", err)
		}
		if !sibling.Cancelled() {
			t.Fatalf("sibling %v, want cancelled", sibling.State())
		}
	})
}

func TestGroupBodyErrorCancelsTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var task *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			task = async.Go(g, func(ctx context.Context) (int, error) { return 0, async.Sleep(ctx, time.Hour) })
			return errBoom
		})
		if !errors.Is(err, errBoom) || !task.Cancelled() {
			t.Fatalf("err %v task %v; want the body's error and the task cancelled", err, task.State())
		}
	})
}

func TestGroupLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running, peak atomic.Int32
		start := time.Now()
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			for range 20 {
				g.Go(func(ctx context.Context) error {
					n := running.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					defer running.Add(-1)
					return async.Sleep(ctx, time.Second)
				})
			}
			return nil
		}, async.WithLimit(4))
		if err != nil {
			t.Fatal(err)
		}
		if peak.Load() != 4 {
			t.Fatalf("peak concurrency %d, want the limit 4", peak.Load())
		}
		if elapsed := time.Since(start); elapsed != 5*time.Second {
			t.Fatalf("20 one-second tasks 4 at a time took %v, want 5s", elapsed)
		}
	})
}

func TestGroupTasksAddTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var count atomic.Int32
		var spawn func(g *async.Group, depth int)
		spawn = func(g *async.Group, depth int) {
			g.Go(func(ctx context.Context) error {
				count.Add(1)
				time.Sleep(time.Second) // the body has long returned by now
				if depth < 3 {
					spawn(g, depth+1)
					spawn(g, depth+1)
				}
				return nil
			})
		}
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			spawn(g, 0)
			return nil
		}, async.WithLimit(2))
		if err != nil || count.Load() != 15 {
			t.Fatalf("err %v, %d tasks ran, want 15 (a binary tree of depth 3)", err, count.Load())
		}
	})
}

func TestGroupParentCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancelCause(t.Context())
		errStop := errors.New("operator stop")
		var tasks []*async.Task[int]
		done := make(chan error)
		go func() {
			done <- async.WithGroup(parent, func(ctx context.Context, g *async.Group) error {
				for range 3 {
					tasks = append(tasks, async.Go(g, func(ctx context.Context) (int, error) { return 0, async.Sleep(ctx, time.Hour) }))
				}
				return nil
			})
		}()
		synctest.Wait()
		cancel(errStop)
		err := <-done
		var ce *async.CancelledError
		if !errors.As(err, &ce) || !errors.Is(err, errStop) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want a *CancelledError with the parent's cause", err)
		}
		for _, task := range tasks {
			if !task.Cancelled() {
				t.Fatalf("task %s %v, want cancelled", task.Name(), task.State())
			}
		}
	})
}

func TestGroupCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var queuedRan atomic.Bool
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			g.Go(func(ctx context.Context) error { return async.Sleep(ctx, time.Hour) })
			g.Go(func(ctx context.Context) error { queuedRan.Store(true); return nil })
			synctest.Wait()
			g.Cancel(nil)
			return nil
		}, async.WithLimit(1))
		if err != nil {
			t.Fatalf("err %v: cancelling the group on purpose is not a failure", err)
		}
		if queuedRan.Load() {
			t.Fatal("a queued task started after the group was cancelled")
		}
	})
}

func TestGroupOfTenThousandOneFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cancelled atomic.Int32
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			for i := range 10_000 {
				g.Go(func(ctx context.Context) error {
					if i == 5000 {
						time.Sleep(time.Second)
						return fmt.Errorf("task %d: %w", i, errBoom)
					}
					err := async.Sleep(ctx, time.Hour)
					if err != nil {
						cancelled.Add(1)
					}
					return err
				})
			}
			return nil
		})
		var ge *async.GroupError
		if !errors.As(err, &ge) || len(ge.Errors) != 1 || !errors.Is(err, errBoom) {
			t.Fatalf("err %v, want exactly the one real failure", err)
		}
		if cancelled.Load() != 9_999 {
			t.Fatalf("%d siblings cancelled, want 9999", cancelled.Load())
		}
	})
}

func TestNestedGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var outerSibling *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, outer *async.Group) error {
			outerSibling = async.Go(outer, func(ctx context.Context) (int, error) { return 0, async.Sleep(ctx, time.Hour) })
			outer.Go(func(ctx context.Context) error {
				return async.WithGroup(ctx, func(ctx context.Context, inner *async.Group) error {
					inner.Go(func(ctx context.Context) error { return async.Sleep(ctx, time.Hour) })
					inner.Go(func(ctx context.Context) error {
						time.Sleep(time.Second)
						return errBoom
					})
					return nil
				}, async.WithName("inner"))
			}, async.WithName("runs inner"))
			return nil
		}, async.WithName("outer"))
		var ge *async.GroupError
		if !errors.As(err, &ge) || ge.Group != "outer" || !errors.Is(err, errBoom) {
			t.Fatalf("err %v, want the outer group's error wrapping the inner failure", err)
		}
		var inner *async.GroupError
		if !errors.As(ge.Errors[0], &inner) || inner.Group != "inner" {
			t.Fatalf("outer error %v, want it to hold the inner group's error", ge.Errors[0])
		}
		if !outerSibling.Cancelled() {
			t.Fatalf("outer sibling %v, want cancelled by the inner failure", outerSibling.State())
		}
	})
}

func TestGoAfterGroupEnded(t *testing.T) {
	var kept *async.Group
	async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		kept = g
		return nil
	})
	late := async.Go(kept, func(ctx context.Context) (int, error) {
		t.Error("a task added to a finished group ran")
		return 0, nil
	})
	if _, err := late.Await(t.Context()); !errors.Is(err, async.ErrGroupClosed) || !late.Cancelled() {
		t.Fatalf("late task: %v %v, want cancelled with ErrGroupClosed", late.State(), err)
	}
}

func TestGroupTaskCancelledAloneIsNotAFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var other *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			victim := async.Go(g, func(ctx context.Context) (int, error) { return 0, async.Sleep(ctx, time.Hour) })
			other = async.Go(g, func(ctx context.Context) (int, error) { return 1, async.Sleep(ctx, time.Second) })
			synctest.Wait()
			victim.Cancel(nil)
			return nil
		})
		if err != nil {
			t.Fatalf("err %v: one task cancelled on purpose must not fail the group", err)
		}
		if v, err := other.Result(); v != 1 || err != nil {
			t.Fatalf("other task: %v, %v; want it untouched", v, err)
		}
	})
}

// Group.Go keeps the function as it is given, so a task that ignores its
// context costs its Task and its goroutine's closure, as one from Spawn.
func TestGroupGoAllocatesTwice(t *testing.T) {
	err := async.WithGroup(context.Background(), func(ctx context.Context, g *async.Group) error {
		allocs := testing.AllocsPerRun(1000, func() {
			task := g.Go(ignoreContext)
			for task.State() != async.Done {
				runtime.Gosched()
			}
		})
		if allocs > 2 {
			t.Errorf("%v allocations per task, want at most 2", allocs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ignoreContext(context.Context) error { return nil }
