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

// The three cases below are in newer versions of test_taskgroups.py than the
// one the cases above follow.

// asyncio raises RuntimeError for create_task on a TaskGroup never entered.
// A Group exists only inside WithGroup; the zero Group panics with a message
// naming the misuse.
func TestCPython_test_taskgroups_test_taskgroup_not_entered(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("Go on a Group made outside WithGroup did not panic")
		}
	}()
	var g async.Group
	g.Go(func(context.Context) error { return nil })
}

// asyncio raises RuntimeError for create_task on a finished TaskGroup. A
// task added to a closed group never runs and ends cancelled with cause
// ErrGroupClosed, so that code adding tasks from elsewhere needs no check.
func TestCPython_test_taskgroups_test_taskgroup_finished(t *testing.T) {
	var group *async.Group
	async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error { group = g; return nil })
	late := async.Go(group, func(context.Context) (int, error) { t.Error("ran"); return 0, nil })
	if !late.Cancelled() || !errors.Is(late.Err(), async.ErrGroupClosed) {
		t.Fatalf("late task %v with %v", late.State(), late.Err())
	}
}

// The group cancelling its children because one failed does not leak out:
// the task running the group is not cancelled by it.
func TestCPython_test_taskgroups_test_cancellation_does_not_leak_out_of_tg(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		outer := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			err := async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				async.Go(g, after(time.Millisecond, 0, errZeroDivision))
				async.Go(g, blocked)
				return nil
			})
			if !errors.Is(err, errZeroDivision) || ctx.Err() != nil {
				t.Errorf("group: %v, outer context: %v", err, ctx.Err())
			}
			return 1, nil
		})
		if v, err := outer.Await(t.Context()); v != 1 || err != nil || outer.Cancelled() {
			t.Fatalf("outer = %v, %v (%v)", v, err, outer.State())
		}
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
// whichever does: a timeout comes out of the outer scope, one of the scopes
// says it expired, and the inner block sees a cancellation. (In asyncio
// both expire and the outer one raises; here the first timer to run decides
// which scope reports, and the other's may not have run yet.)
func TestCPython_test_timeouts_test_nested_timeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Millisecond)
		ctx1, cm1 := async.NewTimeoutAt(t.Context(), deadline)
		ctx2, cm2 := async.NewTimeoutAt(ctx1, deadline)
		inner := async.Sleep(ctx2, 10*time.Second)
		cancelled := errors.Is(inner, context.Canceled) || errors.Is(inner, context.DeadlineExceeded)
		err := cm1.Exit(cm2.Exit(inner))
		if !errors.Is(err, async.ErrTimeout) || !cancelled || !cm1.Expired() && !cm2.Expired() {
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
				// The loop is busy past the inner deadline. (Python
				// sleeps 0.1 s of wall time, which its loop clock only
				// partly sees; in virtual time 0.1 s would reach the
				// outer deadline too, so 50ms keeps the case's order.)
				time.Sleep(50 * time.Millisecond)
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

// ---- test_tasks.py --------------------------------------------------------
//
// test_tasks.py's test_wait_for, test_wait_for_blocking,
// test_wait_for_race_condition, test_cancel_blocking_wait_for and
// test_cancel_wait_for are the cases of the same names in test_waitfor.py,
// ported above.

// future is a stand-in for an asyncio.Future set from outside: a task that
// waits for a value on set, or ends cancelled when cancelled.
func future[T any](ctx context.Context) (*async.Task[T], chan<- T) {
	set := make(chan T, 1)
	return async.Spawn(ctx, func(ctx context.Context) (T, error) {
		select {
		case v := <-set:
			return v, nil
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}), set
}

func TestCPython_test_tasks_test_task_basics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		outer := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			a, _ := async.Spawn(ctx, func(context.Context) (int, error) { return 42, nil }).Await(ctx)
			b, _ := async.Spawn(ctx, func(context.Context) (int, error) { return 1000, nil }).Await(ctx)
			return a + b, nil
		})
		if v, err := outer.Await(t.Context()); v != 1042 || err != nil {
			t.Fatalf("outer = %v, %v", v, err)
		}
	})
}

func TestCPython_test_tasks_test_cancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), after(10*time.Second, 12, nil))
		task.Cancel(nil)
		if _, err := task.Await(t.Context()); !errors.Is(err, context.Canceled) {
			t.Fatalf("Await: %v", err)
		}
		if !task.State().Finished() || !task.Cancelled() || task.Cancel(nil) {
			t.Fatalf("task %v, Cancel after the end must report false", task.State())
		}
	})
}

func TestCPython_test_tasks_test_cancel_inner_future(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, _ := future[int](t.Context())
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			if _, err := f.Await(ctx); err != nil {
				return 0, err
			}
			return 12, nil
		})
		synctest.Wait()
		f.Cancel(nil)
		if _, err := task.Await(t.Context()); !errors.Is(err, context.Canceled) {
			t.Fatalf("Await: %v", err)
		}
		// The awaiting task passed on f's cancellation: it is cancelled,
		// as in asyncio (see the package doc's cancellation rule).
		if !f.Cancelled() || !task.Cancelled() {
			t.Fatalf("f %v, task %v; want both cancelled", f.State(), task.State())
		}
	})
}

func TestCPython_test_tasks_test_cancel_both_task_and_inner_future(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, _ := future[int](t.Context())
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			if _, err := f.Await(ctx); err != nil {
				return 0, err
			}
			return 12, nil
		})
		synctest.Wait()
		f.Cancel(nil)
		task.Cancel(nil)
		task.Await(t.Context())
		f.Await(t.Context())
		if !task.State().Finished() || !f.Cancelled() || !task.Cancelled() {
			t.Fatalf("f %v, task %v; want both cancelled", f.State(), task.State())
		}
	})
}

func TestCPython_test_tasks_test_cancel_task_catching(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fut1, set1 := future[int](t.Context())
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			fut1.Await(ctx)
			fut2, _ := future[int](ctx)
			if _, err := fut2.Await(ctx); errors.Is(err, context.Canceled) {
				return 42, nil // except CancelledError: return 42
			}
			return 0, nil
		})
		set1 <- 0
		synctest.Wait()
		task.Cancel(nil)
		if v, err := task.Await(t.Context()); v != 42 || err != nil || task.Cancelled() {
			t.Fatalf("task = %v, %v (%v); want 42, not cancelled", v, err, task.State())
		}
	})
}

func TestCPython_test_tasks_test_cancel_task_ignoring(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fut3, set3 := future[int](context.Background())
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			async.Sleep(ctx, time.Hour) // fut2: its cancellation is swallowed
			return fut3.Await(context.Background())
		})
		synctest.Wait()
		task.Cancel(nil)
		synctest.Wait()
		set3 <- 42
		if v, err := task.Await(t.Context()); v != 42 || err != nil || task.Cancelled() || fut3.Cancelled() {
			t.Fatalf("task = %v, %v (%v), fut3 %v", v, err, task.State(), fut3.State())
		}
	})
}

func TestCPython_test_tasks_test_cancel_current_task(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			async.Current(ctx).Cancel(nil)
			if err := async.Sleep(ctx, 100*time.Second); err != nil { // cancelled at once
				return 0, err
			}
			return 12, nil
		})
		start := time.Now()
		if _, err := task.Await(t.Context()); !errors.Is(err, context.Canceled) || time.Since(start) != 0 {
			t.Fatalf("Await: %v after %v", err, time.Since(start))
		}
		if task.Cancel(nil) {
			t.Fatal("Cancel of a finished task reported true")
		}
	})
}

func TestCPython_test_tasks_test_wait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		a := async.Spawn(t.Context(), after(100*time.Millisecond, 0, nil))
		b := async.Spawn(t.Context(), after(150*time.Millisecond, 0, nil))
		for range 2 { // doing it again takes no time
			done, pending, err := async.Wait(t.Context(), async.AllCompleted, b, a)
			if err != nil || len(done) != 2 || len(pending) != 0 || time.Since(start) != 150*time.Millisecond {
				t.Fatalf("Wait: %d done, %d pending, %v, at %v", len(done), len(pending), err, time.Since(start))
			}
		}
	})
}

// asyncio.wait works on a set, so a task given twice counts once. Wait keeps
// the order of its arguments instead, so a task given twice appears twice.
func TestCPython_test_tasks_test_wait_duplicate_coroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := async.Spawn(t.Context(), func(context.Context) (string, error) { return "test", nil })
		spam := async.Spawn(t.Context(), func(context.Context) (string, error) { return "spam", nil })
		done, pending, err := async.Wait(t.Context(), async.AllCompleted, c, c, spam)
		if err != nil || len(pending) != 0 || len(done) != 3 {
			t.Fatalf("Wait: %d done, %d pending, %v", len(done), len(pending), err)
		}
		results := map[string]bool{}
		for _, d := range done {
			v, _ := d.Result()
			results[v] = true
		}
		if len(results) != 2 || !results["test"] || !results["spam"] {
			t.Fatalf("results %v", results)
		}
	})
}

// asyncio.wait raises ValueError for an empty set; a variadic Go call with
// no tasks has nothing to wait for and returns at once. An invalid mode is
// an error, as in asyncio.
func TestCPython_test_tasks_test_wait_errors(t *testing.T) {
	done, pending, err := async.Wait[*async.Task[int]](t.Context(), async.AllCompleted)
	if len(done) != 0 || len(pending) != 0 || err != nil {
		t.Fatalf("Wait of nothing: %v %v %v", done, pending, err)
	}
	synctest.Test(t, func(t *testing.T) {
		sleep := async.Spawn(t.Context(), after(10*time.Second, 0, nil))
		if _, _, err := async.Wait(t.Context(), async.WaitMode(-1), sleep); err == nil {
			t.Fatal("Wait with mode -1 did not fail")
		}
		sleep.Cancel(nil)
	})
}

func TestCPython_test_tasks_test_wait_first_completed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		a := async.Spawn(t.Context(), after(10*time.Second, 0, nil))
		b := async.Spawn(t.Context(), after(100*time.Millisecond, 0, nil))
		done, pending, err := async.Wait(t.Context(), async.FirstCompleted, b, a)
		if err != nil || len(done) != 1 || done[0] != b || len(pending) != 1 || pending[0] != a || time.Since(start) != 100*time.Millisecond {
			t.Fatalf("Wait: done %v, pending %v, %v at %v", done, pending, err, time.Since(start))
		}
		if a.State().Finished() {
			t.Fatal("a finished")
		}
		a.Cancel(nil)
	})
}

func TestCPython_test_tasks_test_wait_really_done(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := async.Spawn(t.Context(), func(context.Context) (int, error) { return 0, nil })
		b := async.Spawn(t.Context(), func(context.Context) (int, error) { return 0, nil })
		synctest.Wait() // both are done, whatever their callbacks have done yet
		done, pending, err := async.Wait(t.Context(), async.FirstCompleted, b, a)
		if err != nil || len(done) != 2 || len(pending) != 0 {
			t.Fatalf("Wait: %d done, %d pending, %v; want every finished task in done", len(done), len(pending), err)
		}
	})
}

func TestCPython_test_tasks_test_wait_first_exception(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		a := async.Spawn(t.Context(), after(10*time.Second, 0, nil))
		b := async.Spawn(t.Context(), func(context.Context) (int, error) { return 0, errZeroDivision })
		done, pending, err := async.Wait(t.Context(), async.FirstError, b, a)
		if err != nil || len(done) != 1 || done[0] != b || len(pending) != 1 || time.Since(start) != 0 {
			t.Fatalf("Wait: done %v, pending %v, %v at %v", done, pending, err, time.Since(start))
		}
		b.Err()
		a.Cancel(nil)
	})
}

func TestCPython_test_tasks_test_wait_first_exception_in_wait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		a := async.Spawn(t.Context(), after(10*time.Second, 0, nil))
		b := async.Spawn(t.Context(), after(10*time.Millisecond, 0, errZeroDivision))
		done, pending, err := async.Wait(t.Context(), async.FirstError, b, a)
		if err != nil || len(done) != 1 || done[0] != b || len(pending) != 1 || time.Since(start) != 10*time.Millisecond {
			t.Fatalf("Wait: done %v, pending %v, %v at %v", done, pending, err, time.Since(start))
		}
		b.Err()
		a.Cancel(nil)
	})
}

func TestCPython_test_tasks_test_wait_with_exception(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := async.Spawn(t.Context(), after(100*time.Millisecond, 0, nil))
		b := async.Spawn(t.Context(), after(150*time.Millisecond, 0, errors.New("really")))
		done, pending, err := async.Wait(t.Context(), async.AllCompleted, b, a)
		failed := 0
		for _, d := range done {
			if d.Err() != nil {
				failed++
			}
		}
		if err != nil || len(done) != 2 || len(pending) != 0 || failed != 1 {
			t.Fatalf("Wait: %d done, %d pending, %d failed, %v", len(done), len(pending), failed, err)
		}
	})
}

// asyncio.wait's timeout is quiet: it returns the two sets and no error.
// Wait has no timeout of its own; the caller's context carries it, and when
// that ends Wait returns the sets as they are and an error wrapping the
// context's cause, as every Go call that stops on its context does.
func TestCPython_test_tasks_test_wait_with_timeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		a := async.Spawn(t.Context(), after(100*time.Millisecond, 0, nil))
		b := async.Spawn(t.Context(), after(150*time.Millisecond, 0, nil))
		ctx, cancel := context.WithTimeout(t.Context(), 110*time.Millisecond)
		defer cancel()
		done, pending, err := async.Wait(ctx, async.AllCompleted, b, a)
		if !errors.Is(err, context.DeadlineExceeded) || len(done) != 1 || done[0] != a || len(pending) != 1 || pending[0] != b || time.Since(start) != 110*time.Millisecond {
			t.Fatalf("Wait: done %v, pending %v, %v at %v", done, pending, err, time.Since(start))
		}
		b.Await(t.Context())
	})
}

func TestCPython_test_tasks_test_wait_concurrent_complete(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := async.Spawn(t.Context(), after(100*time.Millisecond, 0, nil))
		b := async.Spawn(t.Context(), after(150*time.Millisecond, 0, nil))
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		// a ends at the instant the timeout does; in virtual time either
		// may be seen first, so a may be in either set, b must be pending.
		done, pending, _ := async.Wait(ctx, async.AllCompleted, b, a)
		if len(done)+len(pending) != 2 || pending[len(pending)-1] != b && pending[0] != b {
			t.Fatalf("Wait: done %v, pending %v", done, pending)
		}
		b.Await(t.Context())
	})
}

func TestCPython_test_tasks_test_as_completed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		a := async.Spawn(t.Context(), after(10*time.Millisecond, "a", nil))
		b := async.Spawn(t.Context(), after(10*time.Millisecond, "b", nil))
		c := async.Spawn(t.Context(), after(150*time.Millisecond, "c", nil))
		var values []string
		for task, err := range async.AsCompleted(t.Context(), b, c, a) {
			v, _ := task.Result()
			if err != nil {
				t.Fatal(err)
			}
			values = append(values, v)
		}
		if len(values) != 3 || values[2] != "c" || values[0] == "c" || values[1] == "c" || time.Since(start) != 150*time.Millisecond {
			t.Fatalf("values %v at %v", values, time.Since(start))
		}
	})
}

func TestCPython_test_tasks_test_as_completed_with_timeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		a := async.Spawn(t.Context(), after(100*time.Millisecond, "a", nil))
		b := async.Spawn(t.Context(), after(150*time.Millisecond, "b", nil))
		ctx, cancel := context.WithTimeout(t.Context(), 120*time.Millisecond)
		defer cancel()
		var got []string
		var timeout error
		for task, err := range async.AsCompleted(ctx, a, b) {
			if err != nil && task == nil {
				timeout = err
				continue
			}
			v, _ := task.Result()
			got = append(got, v)
		}
		if len(got) != 1 || got[0] != "a" || !errors.Is(timeout, context.DeadlineExceeded) || time.Since(start) != 120*time.Millisecond {
			t.Fatalf("got %v, then %v, at %v", got, timeout, time.Since(start))
		}
		b.Await(t.Context())
	})
}

func TestCPython_test_tasks_test_as_completed_with_unused_timeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := async.Spawn(t.Context(), after(10*time.Millisecond, "a", nil))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		for task, err := range async.AsCompleted(ctx, a) {
			if v, _ := task.Result(); err != nil || v != "a" {
				t.Fatalf("%v, %v", v, err)
			}
		}
	})
}

func TestCPython_test_tasks_test_as_completed_concurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := async.Spawn(t.Context(), after(50*time.Millisecond, "a", nil))
		b := async.Spawn(t.Context(), after(50*time.Millisecond, "b", nil))
		got := map[string]bool{}
		for task, err := range async.AsCompleted(t.Context(), a, b) {
			v, _ := task.Result()
			got[v] = err == nil
		}
		if len(got) != 2 || !got["a"] || !got["b"] {
			t.Fatalf("got %v", got)
		}
	})
}

// As with Wait, a task given twice is yielded twice: AsCompleted keeps its
// arguments as given rather than making a set of them.
func TestCPython_test_tasks_test_as_completed_duplicate_coroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := async.Spawn(t.Context(), func(context.Context) (string, error) { return "ham", nil })
		spam := async.Spawn(t.Context(), func(context.Context) (string, error) { return "spam", nil })
		got := map[string]int{}
		for task := range async.AsCompleted(t.Context(), c, c, spam) {
			v, _ := task.Result()
			got[v]++
		}
		if got["ham"] != 2 || got["spam"] != 1 {
			t.Fatalf("got %v", got)
		}
	})
}

func TestCPython_test_tasks_test_sleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		task := async.Spawn(t.Context(), func(ctx context.Context) (string, error) {
			async.Sleep(ctx, 50*time.Millisecond)
			return after(50*time.Millisecond, "yeah", nil)(ctx)
		})
		if v, err := task.Await(t.Context()); v != "yeah" || err != nil || time.Since(start) != 100*time.Millisecond {
			t.Fatalf("task = %v, %v at %v", v, err, time.Since(start))
		}
	})
}

func TestCPython_test_tasks_test_task_cancel_sleeping_task(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		doer := async.Spawn(t.Context(), func(ctx context.Context) (string, error) {
			sleeper := async.Spawn(ctx, after(5000*time.Second, 0, nil))
			time.AfterFunc(100*time.Millisecond, func() { sleeper.Cancel(nil) })
			if _, err := sleeper.Await(ctx); errors.Is(err, context.Canceled) {
				return "cancelled", nil
			}
			return "slept in", nil
		})
		if v, _ := doer.Await(t.Context()); v != "cancelled" || time.Since(start) != 100*time.Millisecond {
			t.Fatalf("doer = %q at %v", v, time.Since(start))
		}
	})
}

func TestCPython_test_tasks_test_baseexception_during_cancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		baseExc := errors.New("BaseException")
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			if err := async.Sleep(ctx, 10*time.Second); err != nil {
				return 0, baseExc // raised on the cancellation
			}
			return 0, nil
		})
		synctest.Wait()
		task.Cancel(nil)
		if task.State().Finished() {
			t.Fatal("the task finished inside Cancel")
		}
		if _, err := task.Await(t.Context()); err != baseExc || task.Cancelled() {
			t.Fatalf("task %v with %v; want done with its own error", task.State(), err)
		}
	})
}

func TestCPython_test_tasks_test_current_task(t *testing.T) {
	if async.Current(t.Context()) != nil {
		t.Fatal("a current task outside any task")
	}
	var task *async.Task[int]
	ready := make(chan struct{})
	task = async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
		<-ready
		if c := async.Current(ctx); c == nil || c.ID() != task.ID() {
			t.Error("Current is not the task")
		}
		return 0, nil
	})
	close(ready)
	task.Await(t.Context())
}

func TestCPython_test_tasks_test_current_task_with_interleaving_tasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fut1, fut2 := make(chan struct{}), make(chan struct{})
		var task1, task2 *async.Task[int]
		start := make(chan struct{})
		check := func(ctx context.Context, want **async.Task[int]) {
			if c := async.Current(ctx); c == nil || c.ID() != (*want).ID() {
				t.Error("Current is not the running task")
			}
		}
		task1 = async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-start
			check(ctx, &task1)
			<-fut1
			check(ctx, &task1)
			close(fut2)
			return 0, nil
		})
		task2 = async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-start
			check(ctx, &task2)
			close(fut1)
			<-fut2
			check(ctx, &task2)
			return 0, nil
		})
		close(start)
		async.Wait(t.Context(), async.AllCompleted, task1, task2)
	})
}

// Cancelling outer cancels inner (a function it calls with its context).
// The future inner awaits is a task, and in Go awaiting a task never cancels
// it (Await stops waiting, the task runs on): waiter is not cancelled,
// unless it was started with the cancelled context.
func TestCPython_test_tasks_test_yield_future_passes_cancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var proof atomic.Int32
		waiter, _ := future[int](context.Background())
		inner := func(ctx context.Context) error {
			if _, err := waiter.Await(ctx); err != nil {
				proof.Add(1)
				return err
			}
			t.Error("got past the wait in inner")
			return nil
		}
		f := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			if err := inner(ctx); errors.Is(err, context.Canceled) {
				proof.Add(100) // expect this path
			} else {
				proof.Add(10)
			}
			return 0, nil
		})
		synctest.Wait()
		f.Cancel(nil)
		f.Await(t.Context())
		if proof.Load() != 101 || waiter.Cancelled() {
			t.Fatalf("proof %d, waiter %v", proof.Load(), waiter.State())
		}
		waiter.Cancel(nil)
	})
}

func TestCPython_test_tasks_test_yield_wait_does_not_shield_cancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var proof atomic.Int32
		waiter, set := future[int](context.Background())
		inner := async.Spawn(context.Background(), func(ctx context.Context) (int, error) {
			waiter.Await(ctx)
			proof.Add(1)
			return 0, nil
		})
		f := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			if _, _, err := async.Wait(ctx, async.AllCompleted, inner); err != nil {
				return 0, err
			}
			proof.Add(100)
			return 0, nil
		})
		synctest.Wait()
		f.Cancel(nil)
		if _, err := f.Await(t.Context()); !errors.Is(err, context.Canceled) {
			t.Fatalf("outer: %v", err)
		}
		set <- 0
		inner.Await(t.Context())
		if proof.Load() != 1 {
			t.Fatalf("proof %d, want 1: Wait returned early and inner ran on", proof.Load())
		}
	})
}

func TestCPython_test_tasks_test_shield_result(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner, set := future[int](t.Context())
		outer := async.Shield(t.Context(), inner)
		set <- 42
		if v, err := outer.Await(t.Context()); v != 42 || err != nil {
			t.Fatalf("outer = %v, %v", v, err)
		}
	})
}

func TestCPython_test_tasks_test_shield_exception(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		exc := errors.New("expected")
		inner := async.Spawn(t.Context(), after(time.Millisecond, 0, exc))
		outer := async.Shield(t.Context(), inner)
		if _, err := outer.Await(t.Context()); err != exc {
			t.Fatalf("outer: %v", err)
		}
	})
}

func TestCPython_test_tasks_test_shield_cancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner, _ := future[int](t.Context())
		outer := async.Shield(t.Context(), inner)
		synctest.Wait()
		inner.Cancel(nil)
		outer.Await(t.Context())
		if !outer.Cancelled() {
			t.Fatalf("outer %v, want cancelled with its inner task", outer.State())
		}
	})
}

func TestCPython_test_tasks_test_shield_shortcut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fut := async.Spawn(t.Context(), func(context.Context) (int, error) { return 42, nil })
		fut.Await(t.Context())
		if v, err := async.Shield(t.Context(), fut).Await(t.Context()); v != 42 || err != nil {
			t.Fatalf("shield = %v, %v", v, err)
		}
	})
}

func TestCPython_test_tasks_test_shield_effect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var proof atomic.Int32
		waiter, set := future[int](t.Context())
		inner := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			waiter.Await(ctx)
			proof.Add(1)
			return 0, nil
		})
		f := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			if _, err := async.Shield(ctx, inner).Await(ctx); err != nil {
				return 0, err
			}
			proof.Add(100)
			return 0, nil
		})
		synctest.Wait()
		f.Cancel(nil)
		if _, err := f.Await(t.Context()); !errors.Is(err, context.Canceled) {
			t.Fatalf("outer: %v", err)
		}
		set <- 0
		inner.Await(t.Context())
		if proof.Load() != 1 {
			t.Fatalf("proof %d, want 1", proof.Load())
		}
	})
}

func TestCPython_test_tasks_test_shield_gather(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		child1, set1 := future[int](t.Context())
		child2, set2 := future[int](t.Context())
		parent := async.Spawn(t.Context(), func(ctx context.Context) ([]int, error) {
			return async.Gather(ctx, child1, child2)
		})
		outer := async.Shield(t.Context(), parent)
		synctest.Wait()
		outer.Cancel(nil)
		synctest.Wait()
		if !outer.Cancelled() {
			t.Fatalf("outer %v", outer.State())
		}
		set1 <- 1
		set2 <- 2
		if v, err := parent.Await(t.Context()); err != nil || len(v) != 2 || v[0] != 1 || v[1] != 2 {
			t.Fatalf("parent = %v, %v", v, err)
		}
	})
}

func TestCPython_test_tasks_test_gather_shield(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		child1, set1 := future[int](t.Context())
		child2, set2 := future[int](t.Context())
		inner1 := async.Shield(t.Context(), child1)
		inner2 := async.Shield(t.Context(), child2)
		ctx, cancel := context.WithCancel(t.Context())
		parent := async.Spawn(t.Context(), func(context.Context) ([]int, error) {
			return async.Gather(ctx, inner1, inner2)
		})
		synctest.Wait()
		cancel() // cancels inner1 and inner2, not child1 and child2
		if _, err := parent.Await(t.Context()); !errors.Is(err, context.Canceled) {
			t.Fatalf("parent: %v", err)
		}
		if !inner1.Cancelled() || !inner2.Cancelled() || child1.State().Finished() || child2.State().Finished() {
			t.Fatalf("inner %v %v, children %v %v", inner1.State(), inner2.State(), child1.State(), child2.State())
		}
		set1 <- 1
		set2 <- 2
	})
}

// ---- test_tasks.py: GatherTestsBase ----

func TestCPython_test_tasks_test_success(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, setA := future[int](t.Context())
		b, setB := future[int](t.Context())
		c, setC := future[int](t.Context())
		res := async.Spawn(t.Context(), func(ctx context.Context) ([]int, error) { return async.Gather(ctx, a, b, c) })
		setB <- 1
		setA <- 2
		synctest.Wait()
		if res.State().Finished() {
			t.Fatal("gather finished before every task had")
		}
		setC <- 3
		if v, err := res.Await(t.Context()); err != nil || len(v) != 3 || v[0] != 2 || v[1] != 1 || v[2] != 3 {
			t.Fatalf("gather = %v, %v", v, err)
		}
	})
}

func TestCPython_test_tasks_test_result_exception_success(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := async.Spawn(t.Context(), after(2*time.Millisecond, 2, nil))
		b := async.Spawn(t.Context(), after(time.Millisecond, 1, nil))
		c := async.Spawn(t.Context(), after(3*time.Millisecond, 3, nil))
		rs := async.GatherSettled(t.Context(), a, b, c)
		if rs[0].Value != 2 || rs[1].Value != 1 || rs[2].Value != 3 || rs[0].Err != nil || rs[1].Err != nil || rs[2].Err != nil {
			t.Fatalf("results %v", rs)
		}
	})
}

// asyncio.gather returns the first exception and leaves the other
// awaitables running (later outcomes "do nothing"). Gather cancels them and
// waits for them, so that nothing it was handed outlives the call; the one
// that had already succeeded keeps its result.
func TestCPython_test_tasks_test_one_exception(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := async.Spawn(t.Context(), func(context.Context) (int, error) { return 1, nil })
		b := async.Spawn(t.Context(), after(time.Millisecond, 0, errZeroDivision))
		c, _ := future[int](t.Context())
		d, _ := future[int](t.Context())
		e, _ := future[int](t.Context())
		if _, err := async.Gather(t.Context(), a, b, c, d, e); err != errZeroDivision {
			t.Fatalf("gather: %v", err)
		}
		if v, _ := a.Result(); v != 1 || !c.Cancelled() || !d.Cancelled() || !e.Cancelled() {
			t.Fatalf("a %v, c %v, d %v, e %v", v, c.State(), d.State(), e.State())
		}
	})
}

func TestCPython_test_tasks_test_return_exceptions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		exc, exc2 := errors.New("ZeroDivisionError"), errors.New("RuntimeError")
		a := async.Spawn(t.Context(), after(2*time.Millisecond, 3, nil))
		b := async.Spawn(t.Context(), after(time.Millisecond, 1, nil))
		c := async.Spawn(t.Context(), after(time.Millisecond, 0, exc))
		d := async.Spawn(t.Context(), after(5*time.Millisecond, 0, exc2))
		rs := async.GatherSettled(t.Context(), a, b, c, d)
		if rs[0].Value != 3 || rs[1].Value != 1 || rs[2].Err != exc || rs[3].Err != exc2 {
			t.Fatalf("results %v", rs)
		}
	})
}

func TestCPython_test_tasks_test_one_cancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := async.Spawn(t.Context(), func(context.Context) (int, error) { return 1, nil })
		b, _ := future[int](t.Context())
		c, _ := future[int](t.Context())
		synctest.Wait()
		b.Cancel(nil)
		if _, err := async.Gather(t.Context(), a, b, c); !errors.Is(err, context.Canceled) {
			t.Fatalf("gather: %v, want the cancellation", err)
		}
	})
}

func TestCPython_test_tasks_test_result_exception_one_cancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := async.Spawn(t.Context(), func(context.Context) (int, error) { return 1, nil })
		b, _ := future[int](t.Context())
		c := async.Spawn(t.Context(), after(time.Millisecond, 0, errZeroDivision))
		synctest.Wait()
		b.Cancel(nil)
		rs := async.GatherSettled(t.Context(), a, b, c)
		if rs[0].Value != 1 || !errors.Is(rs[1].Err, context.Canceled) || rs[2].Err != errZeroDivision {
			t.Fatalf("results %v", rs)
		}
	})
}

func TestCPython_test_tasks_test_constructor_empty_sequence(t *testing.T) {
	v, err := async.Gather[int](t.Context())
	if err != nil || len(v) != 0 {
		t.Fatalf("gather of nothing = %v, %v", v, err)
	}
}

// Left out, with no Go counterpart: coroutine and event-loop machinery
// (test_other_loop_future, test_task_class, test_ensure_future_*,
// test_async_warning, test_get_stack, test_task_repr*, test_step_*,
// test_iscoroutinefunction, test_yield_vs_yield_from*,
// test_coroutine_non_gen_function*, test_corowrapper_*,
// test_yield_from_corowrapper*, test_return_coroutine_from_coroutine,
// test_task_source_traceback, test_log_destroyed_pending_task,
// test_coroutine_never_yielded, test_env_var_debug, test_stop_while_run_in_complete,
// test_sleep_cancel (the loop's timer handle), test_task_cancel_waiter_future
// (the _fut_waiter internals), test_as_completed_reverse_wait (futures made
// ahead of completion), test_as_completed_invalid_args and
// test_wait_invalid_args (the type system rejects them),
// test_constructor_heterogenous_futures (one loop per process)); from
// test_timeouts.py the repr cases, test_timeout_already_entered,
// test_timeout_double_enter, test_timeout_not_entered and
// test_timeout_without_task (a TimeoutScope is entered by being made); from
// test_taskgroups.py test_taskgroup_20 and _21 (KeyboardInterrupt, which
// asyncio itself does not propagate).
