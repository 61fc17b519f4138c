package async_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

var errBoom = errors.New("boom")

func TestSpawnRunsWithoutAwait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ran atomic.Bool
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			ran.Store(true)
			return 1, nil
		})
		synctest.Wait() // nobody awaits; the task must still run to completion
		if !ran.Load() || task.State() != async.Done {
			t.Fatalf("ran=%v state=%v, want the task to have run by itself", ran.Load(), task.State())
		}
	})
}

func TestStateTransitions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		release := make(chan struct{})
		err := async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
			first := async.Go(g, func(ctx context.Context) (string, error) {
				<-release
				return "first", nil
			})
			second := async.Go(g, func(ctx context.Context) (string, error) { return "second", nil })
			synctest.Wait()
			if got := first.State(); got != async.Running {
				t.Errorf("first: state %v, want running", got)
			}
			if got := second.State(); got != async.Pending {
				t.Errorf("second, queued behind the limit: state %v, want pending", got)
			}
			if !second.StartTime().IsZero() {
				t.Errorf("pending task has a start time")
			}
			close(release)
			synctest.Wait()
			for _, task := range []*async.Task[string]{first, second} {
				if got := task.State(); got != async.Done {
					t.Errorf("%s: state %v, want done", task.Name(), got)
				}
			}
			return nil
		}, async.WithLimit(1))
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestFailedTaskIsDoneNotCancelled(t *testing.T) {
	task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { return 7, errBoom })
	v, err := task.Await(t.Context())
	if !errors.Is(err, errBoom) || v != 0 {
		t.Fatalf("Await = %v, %v; want 0, boom (no value from a failed task)", v, err)
	}
	if task.State() != async.Done || task.Cancelled() {
		t.Fatalf("state %v cancelled=%v, want done and not cancelled", task.State(), task.Cancelled())
	}
}

func TestResultBeforeDoneIsInvalidState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			return 1, async.Sleep(ctx, time.Second)
		})
		if _, err := task.Result(); !errors.Is(err, async.ErrInvalidState) {
			t.Fatalf("Result while running: %v, want ErrInvalidState", err)
		}
		if err := task.Err(); !errors.Is(err, async.ErrInvalidState) {
			t.Fatalf("Err while running: %v, want ErrInvalidState", err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if v, err := task.Result(); v != 1 || err != nil {
			t.Fatalf("Result after done = %v, %v", v, err)
		}
	})
}

func TestAwaitContextStopsWaitingNotTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), func(ctx context.Context) (string, error) {
			return "finished", async.Sleep(ctx, 10*time.Second)
		})
		waitCtx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := task.Await(waitCtx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Await with a short deadline: %v, want DeadlineExceeded", err)
		}
		if task.State() != async.Running {
			t.Fatalf("task state %v after the awaiter gave up, want still running", task.State())
		}
		v, err := task.Await(t.Context())
		if v != "finished" || err != nil {
			t.Fatalf("second Await = %q, %v", v, err)
		}
	})
}

func TestCancelWithCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errShutdown := errors.New("shutting down")
		seen := make(chan error, 1)
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-ctx.Done()
			seen <- context.Cause(ctx)
			return 0, ctx.Err()
		})
		synctest.Wait()
		if !task.Cancel(errShutdown) {
			t.Fatal("first Cancel reported no effect")
		}
		if task.Cancel(errors.New("second")) {
			t.Fatal("second Cancel reported an effect")
		}
		_, err := task.Await(t.Context())
		if got := <-seen; got != errShutdown {
			t.Errorf("context.Cause inside the task = %v, want the first cause", got)
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, errShutdown) {
			t.Errorf("Await error %v: want it to match context.Canceled and the cause", err)
		}
		var ce *async.CancelledError
		if !errors.As(err, &ce) || ce.Task != task.Name() {
			t.Errorf("Await error %#v: want *CancelledError naming the task", err)
		}
		if !task.Cancelled() || task.State() != async.Cancelled {
			t.Errorf("state %v, want cancelled", task.State())
		}
	})
}

func TestCancelFinishedTaskChangesNothing(t *testing.T) {
	task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { return 3, nil })
	task.Await(t.Context())
	if task.Cancel(nil) {
		t.Fatal("Cancel of a finished task reported an effect")
	}
	if v, err := task.Result(); v != 3 || err != nil || task.State() != async.Done {
		t.Fatalf("after Cancel: %v, %v, %v; want 3, nil, done", v, err, task.State())
	}
}

func TestCancelBeforeStartNeverEntersFunction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var entered atomic.Bool
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			blocker := async.Go(g, func(ctx context.Context) (int, error) { return 0, async.Sleep(ctx, time.Second) })
			queued := async.Go(g, func(ctx context.Context) (int, error) {
				entered.Store(true)
				return 1, nil
			})
			if !queued.Cancel(errBoom) {
				t.Error("Cancel of a pending task reported no effect")
			}
			_, err := queued.Await(ctx)
			if !errors.Is(err, errBoom) || !queued.Cancelled() {
				t.Errorf("pending task cancelled: err %v state %v", err, queued.State())
			}
			_ = blocker
			return nil
		}, async.WithLimit(1))
		if err != nil {
			t.Fatal(err)
		}
		if entered.Load() {
			t.Fatal("a task cancelled while pending entered its function")
		}
	})
}

func TestSpawnWithDoneContextNeverEnters(t *testing.T) {
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(errBoom)
	task := async.Spawn(ctx, func(ctx context.Context) (int, error) {
		t.Error("function entered although its context was already done")
		return 0, nil
	})
	if _, err := task.Await(t.Context()); !errors.Is(err, errBoom) || !task.Cancelled() {
		t.Fatalf("err %v state %v, want cancelled with the parent's cause", err, task.State())
	}
}

func TestTaskThatIgnoresCancelEndsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), func(ctx context.Context) (string, error) {
			<-ctx.Done()
			return "finished anyway", nil // like a coroutine that catches CancelledError
		})
		synctest.Wait()
		task.Cancel(nil)
		v, err := task.Await(t.Context())
		if v != "finished anyway" || err != nil || task.Cancelled() {
			t.Fatalf("got %q, %v, cancelled=%v; want the result and not cancelled", v, err, task.Cancelled())
		}
	})
}

func TestCancelRacingCompletion(t *testing.T) {
	for range 2000 {
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 1, nil
		})
		took := task.Cancel(nil)
		v, err := task.Await(t.Context())
		switch task.State() {
		case async.Done:
			if v != 1 || err != nil {
				t.Fatalf("done task: %v, %v", v, err)
			}
		case async.Cancelled:
			if !took {
				t.Fatal("task ended cancelled although Cancel reported no effect")
			}
			if !errors.Is(err, context.Canceled) || v != 0 {
				t.Fatalf("cancelled task: %v, %v", v, err)
			}
		default:
			t.Fatalf("state %v after Await", task.State())
		}
	}
}

func TestManyAwaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			return 99, async.Sleep(ctx, time.Second)
		})
		var wg sync.WaitGroup
		var wrong atomic.Int32
		for i := range 200 {
			wg.Go(func() {
				ctx := t.Context()
				if i%2 == 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx) // a context with a Done channel
					defer cancel()
				}
				if v, err := task.Await(ctx); v != 99 || err != nil {
					wrong.Add(1)
				}
			})
		}
		wg.Wait()
		if wrong.Load() != 0 {
			t.Fatalf("%d of 200 awaiters got a wrong result", wrong.Load())
		}
	})
}

func panicky(context.Context) (int, error) { panic("kaboom") }

func TestPanicBecomesError(t *testing.T) {
	task := async.Spawn(t.Context(), panicky, async.WithName("risky"))
	_, err := task.Await(t.Context())
	var pe *async.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Await error %v, want *PanicError", err)
	}
	if pe.Value != "kaboom" || pe.Task != "risky" {
		t.Errorf("PanicError value %v task %q", pe.Value, pe.Task)
	}
	if !strings.Contains(string(pe.Stack), "panicky") {
		t.Errorf("stack does not show the panicking function:\n%s", pe.Stack)
	}
	if task.State() != async.Done {
		t.Errorf("state %v, want done", task.State())
	}
}

// A panic's error is one log line: the task and the value, not the stack.
func TestPanicErrorIsOneLine(t *testing.T) {
	task := async.Spawn(t.Context(), func(context.Context) (int, error) {
		panic("two\nlines")
	}, async.WithName("risky"))
	_, err := task.Await(t.Context())
	if got, want := err.Error(), `task "risky" panicked: two\nlines`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var pe *async.PanicError
	if !errors.As(err, &pe) || len(pe.Stack) == 0 {
		t.Errorf("the stack must stay available in the field: %#v", err)
	}
}

func TestPanicWithErrorUnwraps(t *testing.T) {
	task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { panic(io.ErrUnexpectedEOF) })
	if _, err := task.Await(t.Context()); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v, want it to unwrap to the panic's error", err)
	}
}

func TestGoexitEndsTaskWithError(t *testing.T) {
	task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
		runtime.Goexit()
		return 1, nil
	})
	if _, err := task.Await(t.Context()); !errors.Is(err, async.ErrGoexit) {
		t.Fatalf("err %v, want ErrGoexit", err)
	}
}

func TestNames(t *testing.T) {
	a := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { return 0, nil })
	b := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { return 0, nil })
	a.Await(t.Context())
	b.Await(t.Context())
	if !strings.HasPrefix(a.Name(), "Task-") || a.Name() == b.Name() {
		t.Fatalf("default names %q and %q: want unique Task-N", a.Name(), b.Name())
	}
	named := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { return 0, errBoom }, async.WithName("fetch users"))
	_, err := named.Await(t.Context())
	if named.Name() != "fetch users" || err == nil {
		t.Fatalf("name %q", named.Name())
	}
	named.SetName("renamed")
	if named.Name() != "renamed" {
		t.Fatalf("SetName: name %q", named.Name())
	}
}

func TestDoneCallbacks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		release := make(chan struct{})
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-release
			return 5, nil
		})
		task.AddDoneCallback(func(got *async.Task[int]) {
			if v, _ := got.Result(); v != 5 {
				t.Errorf("callback sees result %d", v)
			}
			calls.Add(1)
		})
		close(release)
		task.Await(t.Context())
		synctest.Wait()
		task.AddDoneCallback(func(*async.Task[int]) { calls.Add(1) }) // after completion: runs at once
		if got := calls.Load(); got != 2 {
			t.Fatalf("callbacks ran %d times, want 2 (each once)", got)
		}
	})
}

func TestPanickingCallbackIsReportedNotFatal(t *testing.T) {
	reported := make(chan error, 1)
	prev := async.SetUnretrievedErrorHandler(func(task string, err error) { reported <- err })
	defer func() { async.SetUnretrievedErrorHandler(prev) }()
	task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { return 1, nil })
	task.Await(t.Context())
	task.AddDoneCallback(func(*async.Task[int]) { panic("callback bug") })
	var pe *async.PanicError
	if err := <-reported; !errors.As(err, &pe) || pe.Value != "callback bug" {
		t.Fatalf("reported %v, want the callback's panic", err)
	}
}

func TestStartAndEndTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		created := time.Now()
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			return 0, async.Sleep(ctx, 3*time.Second)
		}, async.WithTimes())
		if !task.EndTime().IsZero() {
			t.Errorf("running task has an end time")
		}
		task.Await(t.Context())
		if !task.StartTime().Equal(created) {
			t.Errorf("start %v, want %v", task.StartTime(), created)
		}
		if d := task.EndTime().Sub(task.StartTime()); d != 3*time.Second {
			t.Errorf("end - start = %v, want 3s", d)
		}
	})
}

// StartTime and EndTime promise times only for tasks that record them: a
// task of a Run scope, or one given WithTimes, in a group as well as alone.
func TestTimesAreRecordedOnlyWhenAsked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sleep := func(ctx context.Context) (int, error) { return 0, async.Sleep(ctx, time.Second) }
		check := func(name string, task async.Handle, want bool) {
			t.Helper()
			h := task.(interface {
				StartTime() time.Time
				EndTime() time.Time
			})
			if got := !h.StartTime().IsZero() && !h.EndTime().IsZero(); got != want {
				t.Errorf("%s: start %v, end %v; want times recorded: %v", name, h.StartTime(), h.EndTime(), want)
			}
			if want && h.EndTime().Sub(h.StartTime()) != time.Second {
				t.Errorf("%s: end - start = %v, want 1s", name, h.EndTime().Sub(h.StartTime()))
			}
		}
		plain := async.Spawn(t.Context(), sleep)
		timed := async.Spawn(t.Context(), sleep, async.WithName("timed"), async.WithTimes())
		plain.Await(t.Context())
		timed.Await(t.Context())
		check("plain task", plain, false)
		check("task WithTimes", timed, true)

		var inGroup, inGroupTimed *async.Task[int]
		_ = async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			inGroup = async.Go(g, sleep)
			inGroupTimed = async.Go(g, sleep, async.WithTimes())
			return nil
		})
		check("group task", inGroup, false)
		check("group task WithTimes", inGroupTimed, true)

		var tracked *async.Task[int]
		_ = async.Run(t.Context(), func(ctx context.Context) error {
			tracked = async.Spawn(ctx, sleep)
			_, err := tracked.Await(ctx)
			return err
		}, async.WithSignals(nil))
		check("task of a Run scope", tracked, true)
	})
}

// A task of a Run scope records its times from the scope's clock, read at
// most once a millisecond: tasks starting within the same millisecond share
// a reading, which may be up to that early, and a reading after the
// millisecond is fresh. WithTimes reads the clock exactly, scope or not.
func TestScopeTasksShareAReadingOfTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, nil }
		_ = async.Run(t.Context(), func(ctx context.Context) error {
			start := time.Now()
			first := async.Spawn(ctx, block)
			time.Sleep(400 * time.Microsecond)
			second := async.Spawn(ctx, block)
			synctest.Wait() // second has started: exact moves the clock on
			exact := async.Spawn(ctx, block, async.WithTimes())
			time.Sleep(2 * time.Millisecond)
			third := async.Spawn(ctx, block)
			synctest.Wait() // every task has entered its function
			for _, c := range []struct {
				name string
				task *async.Task[int]
				want time.Duration
			}{
				{"first", first, 0},
				{"second, 400µs later, within the millisecond", second, 0},
				{"WithTimes, 400µs later", exact, 400 * time.Microsecond},
				{"third, 2.4ms later", third, 2400 * time.Microsecond},
			} {
				if got := c.task.StartTime().Sub(start); got != c.want {
					t.Errorf("%s: started at +%v, want +%v", c.name, got, c.want)
				}
				c.task.Cancel(nil)
			}
			return nil
		}, async.WithSignals(nil))
	})
}

// A group of a Run scope records when it was made from the clock its
// tasks read, so that the tree never shows a task older than the group it
// belongs to: here the scope's reading, shared for a millisecond, is 400µs
// old when the group is made, and the group's task shares it.
func TestScopeGroupIsNeverYoungerThanItsTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_ = async.Run(t.Context(), func(ctx context.Context) error {
			start := time.Now()
			first := async.Spawn(ctx, func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, nil })
			synctest.Wait()
			time.Sleep(400 * time.Microsecond)
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				task := g.Go(func(ctx context.Context) error { <-ctx.Done(); return nil })
				synctest.Wait()
				snap := async.ScopeOf(ctx).Snapshot()
				var group, member *async.TaskInfo
				for i := range snap.Nodes {
					switch n := &snap.Nodes[i]; {
					case n.Kind == async.KindGroup && n.ID == g.ID():
						group = n
					case n.Kind == async.KindTask && n.ID == task.ID():
						member = n
					}
				}
				if group == nil || member == nil {
					t.Fatalf("the snapshot lacks the group or its task: %+v", snap.Nodes)
				}
				if member.Started.Before(group.Started) {
					t.Errorf("the group's task started at +%v, before its group at +%v", member.Started.Sub(start), group.Started.Sub(start))
				}
				if member.Age > group.Age {
					t.Errorf("the group's task is %v old, its group %v", member.Age, group.Age)
				}
				first.Cancel(nil)
				task.Cancel(nil)
				return nil
			})
		}, async.WithSignals(nil))
	})
}

// The scope's clock keeps order with exact readings: a task of the scope
// that starts after a task WithTimes ended never has the earlier start
// time, although the scope's shared reading was taken before that end.
// Real time, so that the readings differ.
func TestScopeTimesKeepOrderWithExactTimes(t *testing.T) {
	err := async.Run(t.Context(), func(ctx context.Context) error {
		nothing := func(context.Context) (int, error) { return 0, nil }
		for range 2000 {
			exact := async.Spawn(ctx, nothing, async.WithTimes())
			exact.Await(ctx)
			next := async.Spawn(ctx, nothing)
			next.Await(ctx)
			if next.StartTime().Before(exact.EndTime()) {
				return fmt.Errorf("a task started after another ended has the earlier start: %v before %v",
					next.StartTime(), exact.EndTime())
			}
			if next.EndTime().Before(next.StartTime()) {
				return fmt.Errorf("a task ended at %v, before it started at %v", next.EndTime(), next.StartTime())
			}
		}
		return nil
	}, async.WithSignals(nil))
	if err != nil {
		t.Fatal(err)
	}
}

func TestTaskContextEndsWithTask(t *testing.T) {
	var inner context.Context
	task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
		inner = ctx
		return 0, nil
	})
	task.Await(t.Context())
	if inner.Err() == nil || context.Cause(inner) != async.ErrTaskReturned {
		t.Fatalf("task context after return: err %v cause %v", inner.Err(), context.Cause(inner))
	}
}

func TestParentCancellationReachesTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancelCause(t.Context())
		task := async.Spawn(parent, func(ctx context.Context) (int, error) { return 0, async.Sleep(ctx, time.Hour) })
		synctest.Wait()
		cancel(errBoom)
		_, err := task.Await(t.Context())
		if !task.Cancelled() || !errors.Is(err, errBoom) {
			t.Fatalf("state %v err %v, want cancelled with the parent's cause", task.State(), err)
		}
	})
}

func TestCurrent(t *testing.T) {
	if async.Current(t.Context()) != nil {
		t.Fatal("Current outside any task is not nil")
	}
	var inside async.Handle
	task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
		derived, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		inside = async.Current(derived)
		return 0, nil
	})
	task.Await(t.Context())
	if inside == nil || inside.ID() != task.ID() {
		t.Fatalf("Current inside the task = %v, want the task", inside)
	}
}

func TestUnretrievedErrorIsReported(t *testing.T) {
	reported := make(chan string, 4)
	prev := async.SetUnretrievedErrorHandler(func(task string, err error) {
		if errors.Is(err, errBoom) {
			reported <- task
		}
	})
	defer func() { async.SetUnretrievedErrorHandler(prev) }()

	func() {
		forgotten := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { return 0, errBoom }, async.WithName("forgotten"))
		<-forgotten.Done()
		retrieved := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { return 0, errBoom }, async.WithName("retrieved"))
		retrieved.Await(t.Context())
	}()
	deadline := time.After(10 * time.Second)
	for {
		runtime.GC()
		select {
		case name := <-reported:
			if name != "forgotten" {
				t.Fatalf("reported %q, whose error was retrieved", name)
			}
			// Give the retrieved task's cleanup, if it were wrongly armed, its chance.
			runtime.GC()
			runtime.GC()
			select {
			case other := <-reported:
				t.Fatalf("also reported %q", other)
			case <-time.After(50 * time.Millisecond):
			}
			return
		case <-deadline:
			t.Fatal("the forgotten task's error was never reported")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// A cancelled task's CancelledError is made when first read, but it is one
// error: every read returns the same value, named as the task was then.
func TestCancelledErrorIsOneValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cause := errors.New("enough")
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, ctx.Err()
		}, async.WithName("worker"))
		synctest.Wait()
		task.Cancel(cause)
		_, first := task.Await(t.Context())
		task.SetName("renamed")
		var ce *async.CancelledError
		if !errors.As(first, &ce) || ce.Task != "worker" || !errors.Is(first, cause) {
			t.Fatalf("Await: %v, want a CancelledError of worker with the cause", first)
		}
		if second := task.Err(); second != first {
			t.Errorf("Err returned %p (%v), Await %p: want the same error", second, second, first)
		}
		if _, third := task.Result(); third != first {
			t.Errorf("Result returned another error: %v", third)
		}
	})
}

// A spawner that awaits, in order, the tasks it has just started finds
// each one not yet begun: Await yields to it once rather than park, so
// that on one P the awaits make no channel and need no wake-up (before,
// each await parked, and each task's end woke the spawner for the next
// one). Inside Run, no wait is recorded either.
func TestAwaitingTasksJustSpawnedMakesNoChannel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	fn := func(context.Context) (int, error) { return 1, nil }
	const n = 100
	tasks := make([]*async.Task[int], n)
	spawnAwait := func(ctx context.Context) {
		for i := range tasks {
			tasks[i] = async.Spawn(ctx, fn)
		}
		for _, task := range tasks {
			if v, err := task.Await(ctx); v != 1 || err != nil {
				t.Fatalf("Await = %d, %v", v, err)
			}
		}
	}
	// Two per task: the Task and its goroutine's closure (see
	// TestTaskThatIgnoresItsContextAllocatesTwice).
	if allocs := leastAllocs(func() float64 {
		return testing.AllocsPerRun(50, func() { spawnAwait(context.Background()) })
	}); allocs > 2*n {
		t.Errorf("spawn and await of %d tasks: %v allocations, want at most %d", n, allocs, 2*n)
	}
	err := async.Run(context.Background(), func(ctx context.Context) error {
		if allocs := leastAllocs(func() float64 {
			return testing.AllocsPerRun(50, func() { spawnAwait(ctx) })
		}); allocs > 2*n {
			t.Errorf("inside Run: spawn and await of %d tasks: %v allocations, want at most %d", n, allocs, 2*n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A ctx already done when Await is called stops the waiting at once, even
// for a task that has not begun (Await does not yield to it first).
func TestAwaitWithDoneContextDoesNotWaitForAPendingTask(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("gave up")
	cancel(cause)
	for range 100 {
		task := async.Spawn(context.Background(), func(context.Context) (int, error) { return 1, nil })
		if _, err := task.Await(ctx); !errors.Is(err, cause) {
			t.Fatalf("Await with a done ctx of a task not begun = %v, want the ctx's cause", err)
		}
		task.Await(context.Background())
	}
}

// Many goroutines awaiting one task that has not begun each yield to it
// once and then wait as before: every one gets its result, none is left
// waiting, whether the task ends during the yields or after them.
func TestManyAwaitersOfATaskNotBegun(t *testing.T) {
	const awaiters = 16
	for range 100 {
		release := make(chan struct{})
		task := async.Spawn(context.Background(), func(context.Context) (int, error) {
			<-release
			return 7, nil
		})
		var wg sync.WaitGroup
		errs := make(chan error, awaiters)
		for range awaiters {
			wg.Go(func() {
				if v, err := task.Await(context.Background()); v != 7 || err != nil {
					errs <- fmt.Errorf("Await = %d, %v; want 7, nil", v, err)
				}
			})
		}
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
}
