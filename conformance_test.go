package async_test

// Conformance with CPython's own asyncio tests. Every case of
// Lib/test/test_asyncio/test_waitfor.py, test_timeouts.py,
// test_taskgroups.py and test_tasks.py that has a meaning in Go is here, one
// test per case, named after it (TestCPython_<file>_<case>), in virtual time
// (testing/synctest), under -race and the package's goroutine-leak check.
//
// The cases are rewritten from what they assert, not translated: a Python
// coroutine becomes a task function, `await asyncio.sleep(d)` becomes
// async.Sleep(ctx, d) (or time.Sleep where the coroutine ignores
// cancellation), `task.cancel()` becomes Cancel, CancelledError becomes an
// error matching context.Canceled. Where Go must behave differently, the test
// asserts the Go behaviour and its comment says why. Cases about Python
// machinery with no Go counterpart (coroutine objects never awaited, the
// event loop, eager task factories, repr formats, KeyboardInterrupt,
// uncancel counting) are left out; the list at the end of the file names
// them.

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// stubborn returns a task function that runs for d whatever happens to its
// context, then returns v: the SlowTask of test_waitfor.py, a coroutine that
// swallows CancelledError.
func stubborn[T any](d time.Duration, v T, exited *atomic.Bool) func(context.Context) (T, error) {
	return func(context.Context) (T, error) {
		time.Sleep(d)
		if exited != nil {
			exited.Store(true)
		}
		return v, nil
	}
}

// ---- test_waitfor.py ------------------------------------------------------

func TestCPython_test_waitfor_test_asyncio_wait_for_cancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var exited atomic.Bool
		slow := async.Spawn(t.Context(), stubborn(200*time.Millisecond, 0, &exited))
		waiter := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			return async.WaitFor(ctx, 400*time.Millisecond, slow)
		})
		synctest.Wait()
		waiter.Cancel(nil)
		waiter.Await(t.Context())
		if !exited.Load() {
			t.Fatal("wait_for returned, on its cancellation, before the task it cancelled had exited")
		}
	})
}

func TestCPython_test_waitfor_test_asyncio_wait_for_timeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var exited atomic.Bool
		slow := async.Spawn(t.Context(), stubborn(200*time.Millisecond, 7, &exited))
		// The task swallows the timeout's cancellation and returns a
		// result: as in asyncio (see test_wait_for_cancel_suppressed),
		// that result is returned, after the task has exited.
		v, err := async.WaitFor(t.Context(), 100*time.Millisecond, slow)
		if !exited.Load() || v != 7 || err != nil {
			t.Fatalf("WaitFor = %v, %v with the task exited=%v; want 7 after it exited", v, err, exited.Load())
		}
	})
}

func TestCPython_test_waitfor_test_wait_for_timeout_less_then_0_or_0_future_done(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := async.Spawn(t.Context(), func(context.Context) (string, error) { return "done", nil })
		synctest.Wait()
		start := time.Now()
		v, err := async.WaitFor(t.Context(), 0, done)
		if v != "done" || err != nil || time.Since(start) != 0 {
			t.Fatalf("WaitFor(0) of a finished task = %q, %v after %v", v, err, time.Since(start))
		}
	})
}

// Go has no coroutine object that exists without running: Spawn starts the
// function at once. The nearest thing is a task queued behind a group's
// limit, which WaitFor with 0 must time out without ever starting.
func TestCPython_test_waitfor_test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		started := false
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, after(time.Second, 0, nil))
			foo := async.Go(g, func(context.Context) (int, error) { started = true; return 0, nil })
			start := time.Now()
			if _, err := async.WaitFor(ctx, 0, foo); !errors.Is(err, async.ErrTimeout) {
				t.Errorf("WaitFor(0): %v, want a timeout", err)
			}
			if time.Since(start) != 0 {
				t.Errorf("WaitFor(0) took %v", time.Since(start))
			}
			return nil
		}, async.WithLimit(1))
		if err != nil || started {
			t.Fatalf("group: %v, foo started: %v", err, started)
		}
	})
}

func TestCPython_test_waitfor_test_wait_for_timeout_less_then_0_or_0(t *testing.T) {
	for _, timeout := range []time.Duration{0, -1} {
		synctest.Test(t, func(t *testing.T) {
			var running atomic.Bool
			foo := async.Spawn(t.Context(), func(ctx context.Context) (string, error) {
				running.Store(true)
				defer running.Store(false)
				if err := async.Sleep(ctx, 10*time.Second); err != nil {
					return "", err
				}
				return "done", nil
			})
			synctest.Wait()
			start := time.Now()
			if _, err := async.WaitFor(t.Context(), timeout, foo); !errors.Is(err, async.ErrTimeout) {
				t.Fatalf("WaitFor(%v): %v, want a timeout", timeout, err)
			}
			if !foo.Cancelled() || running.Load() || time.Since(start) != 0 {
				t.Fatalf("timeout %v: task %v, running %v, after %v", timeout, foo.State(), running.Load(), time.Since(start))
			}
		})
	}
}

func TestCPython_test_waitfor_test_wait_for(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running atomic.Bool
		foo := async.Spawn(t.Context(), func(ctx context.Context) (string, error) {
			running.Store(true)
			defer running.Store(false)
			return after(10*time.Second, "done", nil)(ctx)
		})
		start := time.Now()
		if _, err := async.WaitFor(t.Context(), 100*time.Millisecond, foo); !errors.Is(err, async.ErrTimeout) {
			t.Fatalf("WaitFor: %v, want a timeout", err)
		}
		if time.Since(start) != 100*time.Millisecond || !foo.Cancelled() || running.Load() {
			t.Fatalf("after %v: task %v, running %v", time.Since(start), foo.State(), running.Load())
		}
	})
}

func TestCPython_test_waitfor_test_wait_for_blocking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		coro := async.Spawn(t.Context(), func(context.Context) (string, error) { return "done", nil })
		if v, err := async.WaitFor(t.Context(), async.NoTimeout, coro); v != "done" || err != nil {
			t.Fatalf("WaitFor(NoTimeout) = %q, %v", v, err)
		}
	})
}

func TestCPython_test_waitfor_test_wait_for_race_condition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fut := async.Spawn(t.Context(), after(100*time.Millisecond, "ok", nil))
		if v, err := async.WaitFor(t.Context(), 200*time.Millisecond, fut); v != "ok" || err != nil {
			t.Fatalf("WaitFor = %q, %v", v, err)
		}
	})
}

func TestCPython_test_waitfor_test_wait_for_cancellation_race_condition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			if err := async.Sleep(ctx, time.Second); !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("the inner sleep ended with %v, want the cancellation", err)
			}
			return 1, nil
		})
		if v, err := async.WaitFor(t.Context(), 10*time.Millisecond, inner); v != 1 || err != nil {
			t.Fatalf("WaitFor = %v, %v; want the result of the task that handled its cancellation", v, err)
		}
	})
}

// waitsForCancellation is the inner() of the two cases below: on
// cancellation it takes a moment to clean up, then ends cancelled.
func waitsForCancellation(done *atomic.Bool) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		defer done.Store(true)
		if err := async.Sleep(ctx, 10*time.Second); err != nil {
			time.Sleep(time.Millisecond)
			return 0, err
		}
		return 0, nil
	}
}

func TestCPython_test_waitfor_test_wait_for_waits_for_task_cancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var done atomic.Bool
		inner := async.Spawn(t.Context(), waitsForCancellation(&done))
		_, err := async.WaitFor(t.Context(), time.Millisecond, inner)
		if !errors.Is(err, async.ErrTimeout) || !done.Load() {
			t.Fatalf("WaitFor: %v with the task done=%v; want a timeout after it ended", err, done.Load())
		}
		// asyncio chains the task's CancelledError as __context__; here
		// the task's own error is a CancelledError caused by the timeout.
		if !inner.Cancelled() || !errors.Is(inner.Err(), async.ErrTimeout) {
			t.Fatalf("task %v with %v, want cancelled by the timeout", inner.State(), inner.Err())
		}
	})
}

func TestCPython_test_waitfor_test_wait_for_waits_for_task_cancellation_w_timeout_0(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var done atomic.Bool
		inner := async.Spawn(t.Context(), waitsForCancellation(&done))
		time.Sleep(time.Millisecond)
		if _, err := async.WaitFor(t.Context(), 0, inner); !errors.Is(err, async.ErrTimeout) || !done.Load() {
			t.Fatalf("WaitFor(0): %v with the task done=%v; want a timeout after it ended", err, done.Load())
		}
	})
}

func TestCPython_test_waitfor_test_wait_for_reraises_exception_during_cancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errFoo := errors.New("FooException")
		inner := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			async.Sleep(ctx, 200*time.Millisecond)
			return 0, errFoo // raised in finally, whatever ended the sleep
		})
		if _, err := async.WaitFor(t.Context(), time.Millisecond, inner); !errors.Is(err, errFoo) {
			t.Fatalf("WaitFor: %v, want the error the task raised while cancelled", err)
		}
	})
}

// In asyncio the outer task is cancelled before wait_for ever runs, so it
// raises CancelledError without touching the inner task. A Go call has no
// such "not started yet" state: WaitFor with a context already cancelled is
// the caller cancelling, so it cancels the inner task and waits for it; the
// task ignores that and returns 42, which WaitFor returns too, as it does for
// any task that finishes its work despite the cancellation.
func TestCPython_test_waitfor_test_wait_for_self_cancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := async.Spawn(t.Context(), stubborn(900*time.Millisecond, 42, nil))
		synctest.Wait() // inner is running
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		v, err := async.WaitFor(ctx, 100*time.Millisecond, inner)
		if v != 42 || err != nil {
			t.Fatalf("WaitFor = %v, %v; want 42", v, err)
		}
		if v, _ := inner.Await(t.Context()); v != 42 {
			t.Fatalf("inner = %v, want 42", v)
		}
	})
}

func testCancelWaitFor(t *testing.T, timeout time.Duration) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), blocked)
		wait := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			return async.WaitFor(ctx, timeout, task)
		})
		synctest.Wait()
		wait.Cancel(nil)
		if _, err := wait.Await(t.Context()); !errors.Is(err, context.Canceled) || !wait.Cancelled() {
			t.Fatalf("wait: %v, want cancelled", err)
		}
		// Python issue #23219: cancelling the wait must also cancel the task.
		if !task.Cancelled() {
			t.Fatalf("task is %v, want cancelled with the wait", task.State())
		}
	})
}

func TestCPython_test_waitfor_test_cancel_blocking_wait_for(t *testing.T) {
	testCancelWaitFor(t, async.NoTimeout)
}

func TestCPython_test_waitfor_test_cancel_wait_for(t *testing.T) {
	testCancelWaitFor(t, time.Minute)
}

func TestCPython_test_waitfor_test_wait_for_cancel_suppressed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		return42 := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			async.Sleep(ctx, 10*time.Second)
			return 42, nil
		})
		if v, err := async.WaitFor(t.Context(), 100*time.Millisecond, return42); v != 42 || err != nil {
			t.Fatalf("WaitFor = %v, %v; want 42", v, err)
		}
	})
}

func TestCPython_test_waitfor_test_wait_for_issue86296(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var reachedEnd atomic.Bool
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			inner := async.Spawn(ctx, func(context.Context) (int, error) { return 0, nil })
			if _, err := async.WaitFor(ctx, 100*time.Second, inner); err != nil {
				return 0, err
			}
			if err := async.Sleep(ctx, time.Second); err != nil {
				return 0, err
			}
			reachedEnd.Store(true)
			return 0, nil
		})
		synctest.Wait()
		if task.State().Finished() {
			t.Fatal("task finished early")
		}
		task.Cancel(nil)
		if _, err := task.Await(t.Context()); !errors.Is(err, context.Canceled) || reachedEnd.Load() {
			t.Fatalf("task: %v, reached end %v; want cancelled in its sleep", err, reachedEnd.Load())
		}
	})
}

// ---- test_taskgroups.py ---------------------------------------------------

// errZeroDivision stands for the 1 / 0 of the Python cases.
var errZeroDivision = errors.New("division by zero")

func TestCPython_test_taskgroups_test_taskgroup_01(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var t1, t2 *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			t1 = async.Go(g, after(100*time.Millisecond, 42, nil))
			t2 = async.Go(g, after(200*time.Millisecond, 11, nil))
			return nil
		})
		v1, _ := t1.Result()
		v2, _ := t2.Result()
		if err != nil || v1 != 42 || v2 != 11 {
			t.Fatalf("group %v, results %d %d", err, v1, v2)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_02(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var t1, t2 *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			t1 = async.Go(g, after(100*time.Millisecond, 42, nil))
			time.Sleep(150 * time.Millisecond)
			t2 = async.Go(g, after(200*time.Millisecond, 11, nil))
			return nil
		})
		v1, _ := t1.Result()
		v2, _ := t2.Result()
		if err != nil || v1 != 42 || v2 != 11 {
			t.Fatalf("group %v, results %d %d", err, v1, v2)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_03(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var t1, t2 *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			t1 = async.Go(g, after(time.Second, 42, nil))
			time.Sleep(150 * time.Millisecond)
			t1.Cancel(nil) // everything else goes on working
			t2 = async.Go(g, after(200*time.Millisecond, 11, nil))
			return nil
		})
		v2, _ := t2.Result()
		if err != nil || !t1.Cancelled() || v2 != 11 {
			t.Fatalf("group %v, t1 %v, t2 %d", err, t1.State(), v2)
		}
	})
}

// cancelCounter is foo2 of the Python cases: it sleeps for d unless
// cancelled, counting cancellations and completions.
func cancelCounter(d time.Duration, cancelled, completed *atomic.Int32) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if err := async.Sleep(ctx, d); err != nil {
			cancelled.Add(1)
			return 0, err
		}
		completed.Add(1)
		return 0, nil
	}
}

func TestCPython_test_taskgroups_test_taskgroup_04(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cancelled, completed atomic.Int32
		var t2 *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, after(100*time.Millisecond, 0, errZeroDivision))
			t2 = async.Go(g, cancelCounter(time.Second, &cancelled, &completed))
			return nil
		})
		var ge *async.GroupError
		if !errors.As(err, &ge) || len(ge.Errors) != 1 || !errors.Is(err, errZeroDivision) {
			t.Fatalf("group: %v, want one ZeroDivisionError", err)
		}
		if completed.Load() != 0 || cancelled.Load() != 1 || !t2.Cancelled() {
			t.Fatalf("t2 %v, completed %d, cancelled %d", t2.State(), completed.Load(), cancelled.Load())
		}
	})
}

func TestCPython_test_taskgroups_test_cancel_children_on_child_error(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cancelled, completed atomic.Int32
		bodyCancelled := false
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			for range 3 {
				async.Go(g, after(100*time.Millisecond, 0, errZeroDivision))
			}
			async.Go(g, cancelCounter(5*time.Second, &cancelled, &completed))
			if err := async.Sleep(ctx, 10*time.Second); err != nil {
				bodyCancelled = true
				return err
			}
			return nil
		})
		var ge *async.GroupError
		if !errors.As(err, &ge) || len(ge.Errors) == 0 {
			t.Fatalf("group: %v", err)
		}
		for _, e := range ge.Errors {
			if !errors.Is(e, errZeroDivision) {
				t.Errorf("group error %v, want only ZeroDivisionErrors", e)
			}
		}
		if completed.Load() != 0 || cancelled.Load() != 1 || !bodyCancelled {
			t.Fatalf("completed %d, cancelled %d, body cancelled %v", completed.Load(), cancelled.Load(), bodyCancelled)
		}
	})
}

// runnerCancelled runs body in a group inside a task, cancels the task with
// cause after 100ms and returns the task's error.
func runnerCancelled(t *testing.T, cause error, body func(context.Context, *async.Group) error) error {
	return runnerCancelledAfter(t, 100*time.Millisecond, cause, body)
}

// justBefore100ms is when the Python cases that cancel the runner "at" 0.1 s
// really do it: just before children sleeping 0.1 s, started a moment later,
// wake up. Virtual time starts them at the same instant, so the test says
// explicitly that the cancellation comes first.
const justBefore100ms = 100*time.Millisecond - time.Nanosecond

func runnerCancelledAfter(t *testing.T, d time.Duration, cause error, body func(context.Context, *async.Group) error) error {
	r := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
		return 0, async.WithGroup(ctx, body)
	})
	time.Sleep(d)
	if r.State().Finished() {
		t.Fatal("the runner finished before it was cancelled")
	}
	r.Cancel(cause)
	_, err := r.Await(t.Context())
	return err
}

func TestCPython_test_taskgroups_test_cancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cancelled, completed atomic.Int32
		test := errors.New("test")
		err := runnerCancelled(t, test, func(ctx context.Context, g *async.Group) error {
			for range 5 {
				async.Go(g, cancelCounter(5*time.Second, &cancelled, &completed))
			}
			return nil
		})
		// The cancel message becomes the cause, kept through the group.
		if !errors.Is(err, context.Canceled) || !errors.Is(err, test) {
			t.Fatalf("runner: %v, want cancelled with cause %v", err, test)
		}
		if cancelled.Load() != 5 {
			t.Fatalf("%d children saw the cancellation, want 5", cancelled.Load())
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_07(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cancelled, completed atomic.Int32
		bodyCancelled := false
		err := runnerCancelled(t, nil, func(ctx context.Context, g *async.Group) error {
			for range 5 {
				async.Go(g, cancelCounter(5*time.Second, &cancelled, &completed))
			}
			err := async.Sleep(ctx, 10*time.Second)
			bodyCancelled = err != nil
			return err
		})
		if !errors.Is(err, context.Canceled) || cancelled.Load() != 5 || !bodyCancelled {
			t.Fatalf("runner: %v, %d children cancelled, body cancelled %v", err, cancelled.Load(), bodyCancelled)
		}
	})
}

func TestCPython_test_taskgroups_test_cancellation_in_body(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		test := errors.New("test")
		err := runnerCancelledAfter(t, justBefore100ms, test, func(ctx context.Context, g *async.Group) error {
			for range 5 {
				async.Go(g, after(100*time.Millisecond, 0, errZeroDivision))
			}
			return async.Sleep(ctx, 10*time.Second)
		})
		var ce *async.CancelledError
		if !errors.As(err, &ce) || !errors.Is(err, test) {
			t.Fatalf("runner: %v, want cancelled with cause %v", err, test)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_09(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var t1, t2 *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			t1 = async.Go(g, after(time.Second, 42, nil))
			t2 = async.Go(g, after(2*time.Second, 11, nil))
			time.Sleep(100 * time.Millisecond)
			return errZeroDivision
		})
		if !errors.Is(err, errZeroDivision) || !t1.Cancelled() || !t2.Cancelled() {
			t.Fatalf("group %v, t1 %v, t2 %v", err, t1.State(), t2.State())
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_10(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var t1, t2 *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			t1 = async.Go(g, after(time.Second, 42, nil))
			t2 = async.Go(g, after(2*time.Second, 11, nil))
			return errZeroDivision
		})
		if !errors.Is(err, errZeroDivision) || !t1.Cancelled() || !t2.Cancelled() {
			t.Fatalf("group %v, t1 %v, t2 %v", err, t1.State(), t2.State())
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_11(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := runnerCancelledAfter(t, justBefore100ms, nil, func(ctx context.Context, g *async.Group) error {
			return async.WithGroup(ctx, func(ctx context.Context, g2 *async.Group) error {
				for range 5 {
					async.Go(g2, after(100*time.Millisecond, 0, errZeroDivision))
				}
				return async.Sleep(ctx, 10*time.Second)
			})
		})
		var ce *async.CancelledError
		if !errors.As(err, &ce) {
			t.Fatalf("runner: %v, want cancelled", err)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_12(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := runnerCancelledAfter(t, justBefore100ms, nil, func(ctx context.Context, g1 *async.Group) error {
			async.Go(g1, after(10*time.Second, 0, nil))
			return async.WithGroup(ctx, func(ctx context.Context, g2 *async.Group) error {
				for range 5 {
					async.Go(g2, after(100*time.Millisecond, 0, errZeroDivision))
				}
				return async.Sleep(ctx, 10*time.Second)
			})
		})
		var ce *async.CancelledError
		if !errors.As(err, &ce) {
			t.Fatalf("runner: %v, want cancelled", err)
		}
	})
}

func crashAfter(d time.Duration) func(context.Context) (int, error) {
	return after(d, 0, errors.New("ValueError("+d.String()+")"))
}

func TestCPython_test_taskgroups_test_taskgroup_13(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.WithGroup(t.Context(), func(ctx context.Context, g1 *async.Group) error {
			async.Go(g1, crashAfter(100*time.Millisecond))
			return async.WithGroup(ctx, func(ctx context.Context, g2 *async.Group) error {
				async.Go(g2, crashAfter(10*time.Second))
				return nil
			})
		})
		// g2's task is cancelled by g1's failure; the inner group's
		// cancellation is the body echoing it, not a second failure.
		var ge *async.GroupError
		if !errors.As(err, &ge) || len(ge.Errors) != 1 || ge.Errors[0].Error() != `task "`+taskName(ge.Errors[0])+`": ValueError(100ms)` {
			t.Fatalf("group: %v, want only the ValueError of g1's task", err)
		}
	})
}

// taskName returns the task a TaskError names.
func taskName(err error) string {
	var te *async.TaskError
	if errors.As(err, &te) {
		return te.Task
	}
	return ""
}

func TestCPython_test_taskgroups_test_taskgroup_14(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.WithGroup(t.Context(), func(ctx context.Context, g1 *async.Group) error {
			async.Go(g1, crashAfter(10*time.Second))
			return async.WithGroup(ctx, func(ctx context.Context, g2 *async.Group) error {
				async.Go(g2, crashAfter(100*time.Millisecond))
				return nil
			})
		})
		// The inner group's GroupError is the outer body's failure: a
		// group error nested in a group error, as the ExceptionGroup is.
		var outer *async.GroupError
		if !errors.As(err, &outer) || len(outer.Errors) != 1 {
			t.Fatalf("group: %v", err)
		}
		var inner *async.GroupError
		if !errors.As(outer.Errors[0], &inner) || len(inner.Errors) != 1 {
			t.Fatalf("outer failure %v, want the inner group's error", outer.Errors[0])
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_15(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := runnerCancelled(t, nil, func(ctx context.Context, g1 *async.Group) error {
			async.Go(g1, after(300*time.Millisecond, 0, errZeroDivision))
			if err := async.Sleep(ctx, 10*time.Second); err != nil {
				time.Sleep(500 * time.Millisecond)
				return err
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("runner: %v, want cancelled", err)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_16(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := runnerCancelled(t, nil, func(ctx context.Context, _ *async.Group) error {
			nested := async.Spawn(ctx, func(ctx context.Context) (int, error) {
				return 0, async.WithGroup(ctx, func(ctx context.Context, g1 *async.Group) error {
					async.Go(g1, after(300*time.Millisecond, 0, errZeroDivision))
					if err := async.Sleep(ctx, 10*time.Second); err != nil {
						time.Sleep(500 * time.Millisecond)
						return err
					}
					return nil
				})
			})
			_, err := nested.Await(ctx)
			nested.Await(context.Background()) // do not leave it behind
			return err
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("runner: %v, want cancelled", err)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_17(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bodyCancelled := false
		err := runnerCancelled(t, nil, func(ctx context.Context, g *async.Group) error {
			err := async.Sleep(ctx, 10*time.Second)
			bodyCancelled = err != nil
			return err
		})
		if !errors.Is(err, context.Canceled) || !bodyCancelled {
			t.Fatalf("runner: %v, body cancelled %v", err, bodyCancelled)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_18(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		myExc := errors.New("MyExc")
		err := runnerCancelled(t, nil, func(ctx context.Context, g *async.Group) error {
			if err := async.Sleep(ctx, 10*time.Second); err != nil {
				return myExc // "not a good idea, but we have to support this weird case"
			}
			return nil
		})
		var ge *async.GroupError
		if !errors.As(err, &ge) || !errors.Is(err, myExc) {
			t.Fatalf("runner: %v, want a group error with MyExc", err)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_19(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		myExc := errors.New("MyExc")
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, after(100*time.Millisecond, 0, errZeroDivision))
			async.Sleep(ctx, 10*time.Second)
			return myExc // raised in finally
		})
		if !errors.Is(err, myExc) || !errors.Is(err, errZeroDivision) {
			t.Fatalf("group: %v, want both MyExc and ZeroDivisionError", err)
		}
	})
}

// test_taskgroup_20 and 20a raise BaseExceptions (KeyboardInterrupt, a
// BaseException subclass) from the body; Go's nearest thing is a panic,
// which the group turns into a *PanicError failure next to the others.
func TestCPython_test_taskgroups_test_taskgroup_20a(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, after(100*time.Millisecond, 0, errZeroDivision))
			async.Sleep(ctx, 10*time.Second)
			panic("MyBaseExc")
		})
		var pe *async.PanicError
		if !errors.As(err, &pe) || !errors.Is(err, errZeroDivision) {
			t.Fatalf("group: %v, want the panic and ZeroDivisionError", err)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_21a(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		typeError := errors.New("TypeError")
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, func(ctx context.Context) (int, error) {
				time.Sleep(100 * time.Millisecond)
				panic("MyBaseExc")
			})
			async.Sleep(ctx, 10*time.Second)
			return typeError
		})
		var pe *async.PanicError
		if !errors.As(err, &pe) || !errors.Is(err, typeError) {
			t.Fatalf("group: %v, want the panic and TypeError", err)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_22(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			return 0, async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				async.Go(g, after(time.Second, 42, nil))
				async.Go(g, after(2*time.Second, 11, nil))
				return nil
			})
		})
		time.Sleep(50 * time.Millisecond)
		r.Cancel(nil)
		if _, err := r.Await(t.Context()); !errors.Is(err, context.Canceled) || !r.Cancelled() {
			t.Fatalf("runner: %v, want cancelled", err)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_23(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			for count := range 10 {
				time.Sleep(100 * time.Millisecond)
				async.Go(g, after(300*time.Millisecond, 0, nil))
				if count == 5 && g.Len() >= 5 {
					t.Errorf("the group holds %d tasks, want finished ones gone", g.Len())
				}
			}
			time.Sleep(1350 * time.Millisecond)
			if g.Len() != 0 {
				t.Errorf("the group holds %d tasks after all finished", g.Len())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_24(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ran atomic.Int32
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, func(ctx context.Context) (int, error) {
				time.Sleep(100 * time.Millisecond)
				for _, d := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
					g.Go(func(ctx context.Context) error { ran.Add(1); return async.Sleep(ctx, d) })
				}
				return 0, nil
			})
			return nil
		})
		if err != nil || ran.Load() != 2 {
			t.Fatalf("group %v, %d tasks added by a task ran, want 2", err, ran.Load())
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_25(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var nhydras atomic.Int32
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			var hydra func(ctx context.Context) error
			hydra = func(ctx context.Context) error {
				nhydras.Add(1)
				if err := async.Sleep(ctx, 10*time.Millisecond); err != nil {
					return err
				}
				g.Go(hydra)
				g.Go(hydra)
				return nil
			}
			g.Go(hydra)
			g.Go(func(ctx context.Context) error {
				for nhydras.Load() < 10 {
					if err := async.Sleep(ctx, 15*time.Millisecond); err != nil {
						return err
					}
				}
				return errZeroDivision
			})
			return nil
		})
		var ge *async.GroupError
		if !errors.As(err, &ge) || len(ge.Errors) != 1 || !errors.Is(err, errZeroDivision) || nhydras.Load() < 10 {
			t.Fatalf("group: %v with %d hydras", err, nhydras.Load())
		}
	})
}

func TestCPython_test_taskgroups_test_taskgroup_task_name(t *testing.T) {
	async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		if task := g.Go(func(context.Context) error { return nil }, async.WithName("yolo")); task.Name() != "yolo" {
			t.Errorf("name %q, want yolo", task.Name())
		}
		return nil
	})
}

// ---- test_timeouts.py -----------------------------------------------------
//
// `async with asyncio.timeout(d) as cm: body` is
//
//	ctx, cm := async.NewTimeout(ctx, d); err := cm.Exit(body(ctx))
//
// and a plain asyncio.timeout whose object is not needed is async.Timeout.

func TestCPython_test_timeouts_test_timeout_basic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cm := async.NewTimeout(t.Context(), 10*time.Millisecond)
		err := cm.Exit(async.Sleep(ctx, 10*time.Second))
		if !errors.Is(err, async.ErrTimeout) || !cm.Expired() {
			t.Fatalf("Exit: %v, expired %v", err, cm.Expired())
		}
	})
}

func TestCPython_test_timeouts_test_timeout_at_basic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Millisecond)
		ctx, cm := async.NewTimeoutAt(t.Context(), deadline)
		err := cm.Exit(async.Sleep(ctx, 10*time.Second))
		when, ok := cm.Deadline()
		if !errors.Is(err, async.ErrTimeout) || !cm.Expired() || !ok || !when.Equal(deadline) {
			t.Fatalf("Exit: %v, expired %v, deadline %v", err, cm.Expired(), when)
		}
	})
}

// Only the outer scope raises TimeoutError; the inner one sees the
// cancellation. With both deadlines at the same instant, which timer fires
// first is up to the runtime in Go, so the test pins what must hold
// whichever does: the outer scope reports the timeout, the inner block sees
// a cancellation, and both scopes say they expired.
func TestCPython_test_timeouts_test_nested_timeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Millisecond)
		ctx1, cm1 := async.NewTimeoutAt(t.Context(), deadline)
		ctx2, cm2 := async.NewTimeoutAt(ctx1, deadline)
		inner := async.Sleep(ctx2, 10*time.Second)
		cancelled := errors.Is(inner, context.Canceled) || errors.Is(inner, context.DeadlineExceeded)
		err := cm1.Exit(cm2.Exit(inner))
		if !errors.Is(err, async.ErrTimeout) || !cancelled || !cm1.Expired() || !cm2.Expired() {
			t.Fatalf("outer Exit: %v, inner cancelled %v, expired %v %v", err, cancelled, cm1.Expired(), cm2.Expired())
		}
	})
}

func TestCPython_test_timeouts_test_waiter_cancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cancelled := false
		_, err := async.Timeout(t.Context(), 10*time.Millisecond, func(ctx context.Context) (int, error) {
			err := async.Sleep(ctx, 10*time.Second)
			cancelled = err != nil
			return 0, err
		})
		if !errors.Is(err, async.ErrTimeout) || !cancelled {
			t.Fatalf("Timeout: %v, the block saw its cancellation: %v", err, cancelled)
		}
	})
}

func TestCPython_test_timeouts_test_timeout_not_called(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cm := async.NewTimeout(t.Context(), 10*time.Second)
		err := cm.Exit(async.Sleep(ctx, 10*time.Millisecond))
		when, _ := cm.Deadline()
		if err != nil || cm.Expired() || !when.After(time.Now()) {
			t.Fatalf("Exit: %v, expired %v, deadline %v", err, cm.Expired(), when)
		}
	})
}

func TestCPython_test_timeouts_test_timeout_disabled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cm := async.NewTimeout(t.Context(), async.NoTimeout)
		err := cm.Exit(async.Sleep(ctx, 10*time.Millisecond))
		if _, ok := cm.Deadline(); err != nil || cm.Expired() || ok {
			t.Fatalf("Exit: %v, expired %v, has a deadline %v", err, cm.Expired(), ok)
		}
	})
}

func TestCPython_test_timeouts_test_timeout_at_disabled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cm := async.NewTimeoutAt(t.Context(), time.Time{})
		err := cm.Exit(async.Sleep(ctx, 10*time.Millisecond))
		if _, ok := cm.Deadline(); err != nil || cm.Expired() || ok {
			t.Fatalf("Exit: %v, expired %v, has a deadline %v", err, cm.Expired(), ok)
		}
	})
}

func TestCPython_test_timeouts_test_timeout_zero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		ctx, cm := async.NewTimeout(t.Context(), 0)
		err := cm.Exit(async.Sleep(ctx, 10*time.Second))
		when, _ := cm.Deadline()
		if !errors.Is(err, async.ErrTimeout) || !cm.Expired() || when.Before(t0) || when.After(time.Now()) {
			t.Fatalf("Exit: %v, expired %v, deadline %v", err, cm.Expired(), when)
		}
	})
}

func TestCPython_test_timeouts_test_timeout_zero_sleep_zero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cm := async.NewTimeout(t.Context(), 0)
		err := cm.Exit(async.Sleep(ctx, 0))
		if !errors.Is(err, async.ErrTimeout) || !cm.Expired() {
			t.Fatalf("Exit: %v, expired %v", err, cm.Expired())
		}
	})
}

func TestCPython_test_timeouts_test_timeout_in_the_past_sleep_zero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cm := async.NewTimeout(t.Context(), -11*time.Second)
		err := cm.Exit(async.Sleep(ctx, 0))
		when, _ := cm.Deadline()
		if !errors.Is(err, async.ErrTimeout) || !cm.Expired() || !when.Before(time.Now()) {
			t.Fatalf("Exit: %v, expired %v, deadline %v", err, cm.Expired(), when)
		}
	})
}

func TestCPython_test_timeouts_test_foreign_exception_passed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		keyError := errors.New("KeyError")
		_, cm := async.NewTimeout(t.Context(), 10*time.Millisecond)
		if err := cm.Exit(keyError); err != keyError || cm.Expired() {
			t.Fatalf("Exit: %v, expired %v", err, cm.Expired())
		}
	})
}

func TestCPython_test_timeouts_test_foreign_exception_on_timeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, err := async.Timeout(t.Context(), 10*time.Millisecond, func(ctx context.Context) (int, error) {
			async.Sleep(ctx, time.Second)
			return 0, errZeroDivision // raised in finally
		})
		if !errors.Is(err, errZeroDivision) {
			t.Fatalf("Timeout: %v, want the block's own error", err)
		}
	})
}

func TestCPython_test_timeouts_test_foreign_cancel_doesnt_timeout_if_not_expired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancel(t.Context())
		ctx, cm := async.NewTimeout(parent, 10*time.Second)
		cancel() // the current task is cancelled
		err := cm.Exit(async.Sleep(ctx, 10*time.Second))
		if !errors.Is(err, context.Canceled) || errors.Is(err, async.ErrTimeout) || cm.Expired() {
			t.Fatalf("Exit: %v, expired %v; want the cancellation", err, cm.Expired())
		}
	})
}

func TestCPython_test_timeouts_test_outer_task_is_not_cancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			if _, err := async.Timeout(ctx, time.Millisecond, func(ctx context.Context) (int, error) {
				return 0, async.Sleep(ctx, 10*time.Second)
			}); !errors.Is(err, async.ErrTimeout) {
				t.Errorf("Timeout: %v", err)
			}
			return 0, nil
		})
		task.Await(t.Context())
		if task.Cancelled() || task.State() != async.Done {
			t.Fatalf("outer task %v, want done", task.State())
		}
	})
}

func TestCPython_test_timeouts_test_nested_timeouts_concurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, err := async.Timeout(t.Context(), 2*time.Millisecond, func(ctx context.Context) (int, error) {
			_, err := async.Timeout(ctx, 100*time.Millisecond, func(ctx context.Context) (int, error) {
				time.Sleep(10 * time.Millisecond) // crunching numbers, deaf to ctx
				return 0, async.Sleep(ctx, time.Second)
			})
			// The outer deadline passed first: for the inner scope that
			// is its parent's cancellation, passed on as is, which the
			// outer scope then reports as its timeout. (asyncio reports
			// TimeoutError at both levels here.)
			return 0, err
		})
		if !errors.Is(err, async.ErrTimeout) {
			t.Fatalf("outer: %v, want a timeout", err)
		}
	})
}

func TestCPython_test_timeouts_test_nested_timeouts_loop_busy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		_, err := async.Timeout(t.Context(), 100*time.Millisecond, func(ctx context.Context) (int, error) {
			_, err := async.Timeout(ctx, 10*time.Millisecond, func(ctx context.Context) (int, error) {
				time.Sleep(100 * time.Millisecond) // the loop is busy
				return 0, async.Sleep(ctx, time.Second)
			})
			if !errors.Is(err, async.ErrTimeout) {
				t.Errorf("inner: %v, want a timeout", err)
			}
			return 0, async.Sleep(ctx, 10*time.Second) // interrupted by the outer scope
		})
		if !errors.Is(err, async.ErrTimeout) || time.Since(t0) > time.Second {
			t.Fatalf("outer: %v after %v", err, time.Since(t0))
		}
	})
}

func TestCPython_test_timeouts_test_reschedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		deadline1 := time.Now().Add(10 * time.Second)
		deadline2 := deadline1.Add(20 * time.Second)
		scopes := make(chan *async.TimeoutScope, 1)
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			ctx, cm := async.NewTimeoutAt(ctx, deadline1)
			scopes <- cm
			return 0, cm.Exit(async.Sleep(ctx, 50*time.Second))
		})
		cm := <-scopes
		if when, _ := cm.Deadline(); !when.Equal(deadline1) {
			t.Fatalf("deadline %v, want %v", when, deadline1)
		}
		cm.Reschedule(deadline2)
		if when, _ := cm.Deadline(); !when.Equal(deadline2) {
			t.Fatalf("deadline %v, want %v", when, deadline2)
		}
		cm.Reschedule(time.Time{})
		if _, ok := cm.Deadline(); ok {
			t.Fatal("a removed deadline is still there")
		}
		task.Cancel(nil)
		if _, err := task.Await(t.Context()); !errors.Is(err, context.Canceled) || cm.Expired() {
			t.Fatalf("task: %v, expired %v", err, cm.Expired())
		}
	})
}

func TestCPython_test_timeouts_test_nested_timeout_in_finally(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, err := async.Timeout(t.Context(), 10*time.Millisecond, func(ctx context.Context) (int, error) {
			err := async.Sleep(ctx, time.Second)
			// finally: a cleanup with a timeout of its own. Its context
			// must not be derived from the expired one, or it would be
			// cancelled before it started: in Go, cleanup that must run
			// after a cancellation uses context.WithoutCancel.
			_, inner := async.Timeout(context.WithoutCancel(ctx), 10*time.Millisecond, func(ctx context.Context) (int, error) {
				return 0, async.Sleep(ctx, 10*time.Second)
			})
			if !errors.Is(inner, async.ErrTimeout) {
				t.Errorf("cleanup: %v, want its own timeout", inner)
			}
			return 0, err
		})
		if !errors.Is(err, async.ErrTimeout) {
			t.Fatalf("outer: %v", err)
		}
	})
}

// The task's own cancellation, caught, is over: a timeout used in the
// cleanup after it works. In Go a cancelled context stays cancelled, so the
// cleanup runs under context.WithoutCancel, as above.
func TestCPython_test_timeouts_test_timeout_after_cancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		async.Sleep(ctx, time.Second) // work which will be cancelled
		_, err := async.Timeout(context.WithoutCancel(ctx), 0, func(ctx context.Context) (int, error) {
			return 0, async.Sleep(ctx, time.Second) // some cleanup
		})
		if !errors.Is(err, async.ErrTimeout) {
			t.Fatalf("cleanup: %v, want a timeout", err)
		}
	})
}

func TestCPython_test_timeouts_test_cancel_in_timeout_after_cancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		async.Sleep(ctx, time.Second)
		cleanup, cancelCleanup := context.WithCancel(context.WithoutCancel(ctx))
		_, err := async.Timeout(cleanup, time.Second, func(ctx context.Context) (int, error) {
			cancelCleanup() // cancelled again, during the cleanup
			return 0, async.Sleep(ctx, 2*time.Second)
		})
		if !errors.Is(err, context.Canceled) || errors.Is(err, async.ErrTimeout) {
			t.Fatalf("cleanup: %v, want the cancellation", err)
		}
	})
}

// asyncio chains the CancelledError as the TimeoutError's __cause__. In Go
// the TimeoutError is the cause of the block's context, and the block's own
// error is the context's.
func TestCPython_test_timeouts_test_timeout_exception_cause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var inner error
		_, err := async.Timeout(t.Context(), 0, func(ctx context.Context) (int, error) {
			inner = async.Sleep(ctx, time.Second)
			if !errors.Is(context.Cause(ctx), async.ErrTimeout) {
				t.Errorf("the block's context cause is %v, want the timeout", context.Cause(ctx))
			}
			return 0, inner
		})
		if !errors.Is(err, async.ErrTimeout) || inner == nil {
			t.Fatalf("Timeout: %v, block: %v", err, inner)
		}
	})
}

func TestCPython_test_timeouts_test_timeout_finished(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, cm := async.NewTimeout(t.Context(), 10*time.Millisecond)
		cm.Exit(nil)
		// asyncio raises RuntimeError; Reschedule reports false.
		if cm.Reschedule(time.Now().Add(20 * time.Millisecond)) {
			t.Fatal("Reschedule of a finished scope reported true")
		}
	})
}
