package async_test

// Done callbacks after ed640df (the first callback kept in the task's part,
// the others in a slice) and d1dbe63 (complete clears them once run).
//
// Ports of CPython's done-callback tests (Lib/test/test_asyncio/
// test_futures.py, BaseFutureDoneCallbackTests and BaseFutureTests) and of
// kotlinx.coroutines' invokeOnCompletion tests (common/test/JobTest.kt,
// jvm/test/JobHandlersUpgradeStressTest.kt), named after them. The library
// has no remove_done_callback (docs/asyncio-to-go.md): the callbacks that
// are ever removed are the watchers of Wait and AsCompleted, which take
// themselves off the tasks still pending when they return. The removal
// tests are ported with those: a "removed callback" is a Wait's watcher,
// dropped when the Wait returns because another task finished.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"weak"

	"github.com/asyncgo/async"
)

// bag records what callbacks ran, in order.
type bag struct {
	mu  sync.Mutex
	got []int
}

func (b *bag) appender(v int) func(*async.Task[string]) {
	return func(*async.Task[string]) {
		b.mu.Lock()
		b.got = append(b.got, v)
		b.mu.Unlock()
	}
}

func (b *bag) check(t *testing.T, want ...int) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !slices.Equal(b.got, want) && (len(b.got) != 0 || len(want) != 0) {
		t.Errorf("callbacks ran %v, want %v", b.got, want)
	}
}

// dropWatchers starts n Waits on f and another task and returns when each
// has put its watcher on f (dup times each: the same task given dup times
// to one Wait); drop finishes the other task, so that every Wait returns
// with f still pending and takes its watchers off it, and checks that.
func dropWatchers(t *testing.T, f *async.Task[string], n, dup int) (drop func()) {
	t.Helper()
	release := make(chan struct{})
	other := async.Spawn(t.Context(), func(context.Context) (string, error) { <-release; return "other", nil })
	returned := make(chan []*async.Task[string], n)
	for range n {
		go func() {
			_, pending, err := async.Wait(t.Context(), async.FirstCompleted, append(slices.Repeat([]*async.Task[string]{f}, dup), other)...)
			if err != nil {
				t.Error(err)
			}
			returned <- pending
		}()
	}
	synctest.Wait()
	return func() {
		t.Helper()
		close(release)
		for range n {
			if pending := <-returned; len(pending) != dup || pending[0] != f {
				t.Errorf("Wait returned pending %v, want f %d times", names(pending), dup)
			}
		}
	}
}

func TestCPython_test_futures_test_callbacks_invoked_on_set_result(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b bag
		f := async.NewFuture[string](t.Context())
		f.AddDoneCallback(b.appender(42))
		f.AddDoneCallback(b.appender(17))
		b.check(t)
		f.Set("foo")
		b.check(t, 42, 17) // run by Set, before it returns
		if v, err := f.Result(); v != "foo" || err != nil {
			t.Errorf("Result = %q, %v", v, err)
		}
	})
}

func TestCPython_test_futures_test_callbacks_invoked_on_set_exception(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b bag
		f := async.NewFuture[string](t.Context())
		f.AddDoneCallback(b.appender(100))
		b.check(t)
		exc := errors.New("RuntimeError")
		f.Fail(exc)
		b.check(t, 100)
		if err := f.Err(); err != exc {
			t.Errorf("Err = %v, want %v", err, exc)
		}
	})
}

// test_future_cancel_message_getter, with callbacks: a future cancelled
// with a cause runs its callbacks, which see the cause.
func TestCPython_test_futures_test_future_cancel_message_getter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b bag
		msg := errors.New("my message")
		f := async.NewFuture[string](t.Context())
		var seen error
		f.AddDoneCallback(func(f *async.Task[string]) { seen = f.Err() })
		f.AddDoneCallback(b.appender(1))
		if !f.Cancel(msg) {
			t.Fatal("Cancel reported false")
		}
		b.check(t, 1)
		var ce *async.CancelledError
		if !errors.As(seen, &ce) || ce.Cause != msg || !errors.Is(seen, context.Canceled) || !errors.Is(seen, msg) {
			t.Errorf("the callback saw %v, want a CancelledError with cause %v", seen, msg)
		}
		if err := f.Err(); err != seen {
			t.Errorf("Err = %v, not the error the callback saw", err)
		}
	})
}

func TestCPython_test_futures_test_callbacks_remove_first_callback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b bag
		f := async.NewFuture[string](t.Context())
		drop := dropWatchers(t, f.Task, 1, 1) // cb1: in the room for the first
		f.AddDoneCallback(b.appender(17))
		f.AddDoneCallback(b.appender(100))
		drop()
		b.check(t)
		f.Set("foo")
		b.check(t, 17, 100)
	})
}

func TestCPython_test_futures_test_callbacks_remove_first_and_second_callback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b bag
		f := async.NewFuture[string](t.Context())
		drop := dropWatchers(t, f.Task, 2, 1)
		f.AddDoneCallback(b.appender(100))
		drop()
		b.check(t)
		f.Set("foo")
		b.check(t, 100)
	})
}

func TestCPython_test_futures_test_callbacks_remove_third_callback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b bag
		f := async.NewFuture[string](t.Context())
		f.AddDoneCallback(b.appender(42))
		f.AddDoneCallback(b.appender(17))
		drop := dropWatchers(t, f.Task, 1, 1)
		drop()
		b.check(t)
		f.Set("foo")
		b.check(t, 42, 17)
	})
}

// test_remove_done_callback: removing a callback removes every instance of
// it; the same callback added twice runs twice.
func TestCPython_test_futures_test_remove_done_callback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b bag
		f := async.NewFuture[string](t.Context())
		cb1, cb2 := b.appender(1), b.appender(2)
		f.AddDoneCallback(cb1)
		dropA := dropWatchers(t, f.Task, 1, 6) // one Wait, its watcher six times
		f.AddDoneCallback(cb2)
		dropB := dropWatchers(t, f.Task, 1, 2)
		f.AddDoneCallback(cb2)
		f.AddDoneCallback(cb1)
		dropA()
		dropB()
		b.check(t)
		f.Set("foo")
		b.check(t, 1, 2, 2, 1)
	})
}

// test_schedule_callbacks_list_mutation_1: a callback that, as it runs,
// makes a watcher behind it be dropped (the Wait it belongs to returns,
// its context cancelled). The callbacks after it still run, each once.
func TestCPython_test_futures_test_schedule_callbacks_list_mutation_1(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b bag
		f := async.NewFuture[string](t.Context())
		waitCtx, stopWait := context.WithCancel(t.Context())
		defer stopWait()
		waited := make(chan error, 1)
		f.AddDoneCallback(func(*async.Task[string]) {
			stopWait()
			waited <- <-waited // the Wait has returned and dropped its watcher
		})
		go func() {
			_, _, err := async.Wait(waitCtx, async.AllCompleted, f.Task)
			waited <- err
		}()
		synctest.Wait()
		f.AddDoneCallback(b.appender(1))
		f.AddDoneCallback(b.appender(2))
		f.Set("x")
		b.check(t, 1, 2)
		if err := <-waited; err == nil {
			t.Errorf("the Wait whose context was cancelled returned no error")
		}
	})
}

// test_evil_call_soon_list_mutation: the first callback (CPython's
// fut_callback0, here the room in the task's part) changes the list as it
// runs: it adds callbacks to the task, which has finished and runs them at
// once, and a Wait holding a watcher behind it returns. Every callback runs
// once, the original ones in their order, and the task keeps none.
func TestCPython_test_futures_test_evil_call_soon_list_mutation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b bag
		f := async.NewFuture[string](t.Context())
		waitCtx, stopWait := context.WithCancel(t.Context())
		defer stopWait()
		f.AddDoneCallback(func(f *async.Task[string]) {
			b.appender(0)(f)
			f.AddDoneCallback(b.appender(10)) // finished: runs at once, here
			stopWait()
			f.AddDoneCallback(b.appender(11))
		})
		done := make(chan struct{})
		go func() {
			defer close(done)
			async.Wait(waitCtx, async.AllCompleted, f.Task)
		}()
		synctest.Wait()
		f.AddDoneCallback(b.appender(1))
		f.AddDoneCallback(b.appender(2))
		f.Set("boom")
		<-done
		b.check(t, 0, 10, 11, 1, 2)
	})
}

// Kotlin's testHandler and testManyHandlers: each of n callbacks runs once
// when the task ends, and not again when it is cancelled afterwards.
func TestKotlinJobTestManyHandlers(t *testing.T) {
	for _, n := range []int{1, 2, 100} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() })
				fired := make([]int, n)
				for i := range n {
					task.AddDoneCallback(func(*async.Task[int]) { fired[i]++ })
				}
				synctest.Wait()
				for i := range n {
					if fired[i] != 0 {
						t.Fatalf("callback %d fired before the end", i)
					}
				}
				task.Cancel(nil)
				task.Await(t.Context())
				synctest.Wait() // the task's goroutine has run the callbacks
				task.Cancel(nil)
				for i := range n {
					if fired[i] != 1 {
						t.Errorf("callback %d fired %d times, want 1", i, fired[i])
					}
				}
			})
		})
	}
}

// Kotlin's testExceptionsInHandler: every callback panics; each still
// runs once and each panic is reported, none crashes the task's goroutine.
func TestKotlinJobTestExceptionsInHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 100
		var reported atomic.Int32
		prev := async.SetUnretrievedErrorHandler(func(task string, err error) {
			if pe, ok := errors.AsType[*async.PanicError](err); ok && pe.Value == "TestException" && task == "handlers" {
				reported.Add(1)
			}
		})
		defer func() { async.SetUnretrievedErrorHandler(prev) }()
		task := async.Spawn(t.Context(), func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() }, async.WithName("handlers"))
		fired := make([]int, n)
		for i := range n {
			task.AddDoneCallback(func(*async.Task[int]) { fired[i]++; panic("TestException") })
		}
		task.Cancel(nil)
		task.Await(t.Context())
		synctest.Wait()
		for i := range n {
			if fired[i] != 1 {
				t.Errorf("callback %d fired %d times, want 1", i, fired[i])
			}
		}
		if got := reported.Load(); got != n {
			t.Errorf("%d panics reported, want %d", got, n)
		}
	})
}

// Kotlin's invokeOnCompletion hands the handler the cause: null for a normal
// end, the exception for a failure, a CancellationException for a
// cancellation. Here the callback reads it from the task, which has ended
// when the callback runs, before or after it ended.
func TestKotlinInvokeOnCompletionSeesTheCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		failure, cause := errors.New("TestException"), errors.New("cancelled by the test")
		for _, c := range []struct {
			name string
			fn   func(context.Context) (int, error)
			end  func(*async.Task[int])
			want func(error) bool
		}{
			{"normal", func(context.Context) (int, error) { return 1, nil }, nil, func(err error) bool { return err == nil }},
			{"failed", func(context.Context) (int, error) { return 0, failure }, nil, func(err error) bool { return err == failure }},
			{"cancelled", func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() },
				func(task *async.Task[int]) { task.Cancel(cause) },
				func(err error) bool {
					ce, ok := errors.AsType[*async.CancelledError](err)
					return ok && ce.Cause == cause && errors.Is(err, context.Canceled)
				}},
		} {
			for _, late := range []bool{false, true} {
				task := async.Spawn(t.Context(), c.fn)
				var seen []error
				var states []async.State
				record := func(task *async.Task[int]) { seen = append(seen, task.Err()); states = append(states, task.State()) }
				if !late {
					task.AddDoneCallback(record)
					synctest.Wait()
				}
				if c.end != nil {
					c.end(task)
				}
				task.Await(t.Context())
				synctest.Wait()
				if late {
					task.AddDoneCallback(record) // runs at once
				}
				if len(seen) != 1 || !c.want(seen[0]) || !states[0].Finished() {
					t.Errorf("%s, added late=%v: the callback saw %v in states %v", c.name, late, seen, states)
				}
			}
		}
	})
}

// A callback added once the task has ended runs at once, in the caller's
// goroutine, before AddDoneCallback returns, and once.
func TestCPython_test_futures_callback_added_after_done(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := async.NewFuture[string](t.Context())
		f.Set("done")
		n := 0
		f.AddDoneCallback(func(*async.Task[string]) { n++ })
		if n != 1 {
			t.Fatalf("a callback added after the end ran %d times before AddDoneCallback returned, want 1", n)
		}
		synctest.Wait()
		if n != 1 {
			t.Fatalf("ran %d times, want 1", n)
		}
	})
}

// Kotlin's JobHandlersUpgradeStressTest, with what this library has: four
// goroutines add callbacks, several each, while the task ends (returning,
// cancelled, or failing), and a fifth goroutine's Wait puts a watcher on it
// and drops it. Every callback runs exactly once, sees the task ended, and
// those that the task's end runs run in the order each goroutine added
// them; one run by its adder (the task had ended) runs before
// AddDoneCallback returns.
func TestKotlinJobHandlersUpgradeStress(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	for round := range rounds {
		attackCallbacksOnce(t, round)
		if t.Failed() {
			return
		}
	}
}

func attackCallbacksOnce(t *testing.T, round int) {
	const adders, each = 4, 6
	rng := rand.New(rand.NewPCG(uint64(round), 4))
	parent, cancelParent := context.WithCancelCause(context.Background())
	defer cancelParent(nil)
	failure := errors.New("own failure")
	how := round % 4
	release := make(chan struct{})
	task := async.Spawn(parent, func(ctx context.Context) (int, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		if how == 3 {
			return 0, failure
		}
		return 1, nil
	})

	type firing struct {
		adder, seq int
		g          uint64
		state      async.State
	}
	var mu sync.Mutex
	var log []firing
	var count [adders][each]atomic.Int32
	var adderG [adders]uint64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for a := range adders {
		rng := rand.New(rand.NewPCG(uint64(round), uint64(a)))
		wg.Go(func() {
			adderG[a] = goid()
			<-start
			for s := range each {
				for range rng.IntN(3) {
					runtime.Gosched()
				}
				task.AddDoneCallback(func(task *async.Task[int]) {
					count[a][s].Add(1)
					mu.Lock()
					log = append(log, firing{a, s, goid(), task.State()})
					mu.Unlock()
				})
			}
		})
	}
	waitCtx, stopWait := context.WithCancel(context.Background())
	wg.Go(func() {
		<-start
		async.Wait(waitCtx, async.AllCompleted, task)
	})
	close(start)
	for range rng.IntN(8) {
		runtime.Gosched()
	}
	switch how {
	case 0, 3:
		close(release)
	case 1:
		task.Cancel(errors.New("own cause"))
	case 2:
		cancelParent(errors.New("parent's cause"))
	}
	stopWait()
	wg.Wait()
	task.Await(context.Background())
	// The task's end may still be running the callbacks it took.
	for range 1 << 20 {
		mu.Lock()
		n := len(log)
		mu.Unlock()
		if n >= adders*each {
			break
		}
		runtime.Gosched()
	}
	mu.Lock()
	defer mu.Unlock()
	last := [adders]int{-1, -1, -1, -1}
	var ender uint64 // the goroutine that ran the task's end
	for _, f := range log {
		if !f.state.Finished() {
			t.Errorf("round %d: callback %d/%d ran in state %v", round, f.adder, f.seq, f.state)
		}
		if f.g == adderG[f.adder] {
			continue // run by its adder, at once
		}
		if ender == 0 {
			ender = f.g
		} else if f.g != ender {
			t.Errorf("round %d: callbacks ran in goroutines %d and %d, neither their adder's", round, ender, f.g)
		}
		if f.seq <= last[f.adder] {
			t.Errorf("round %d: the task's end ran adder %d's callback %d after its %d", round, f.adder, f.seq, last[f.adder])
		}
		last[f.adder] = f.seq
	}
	for a := range adders {
		for s := range each {
			if n := count[a][s].Load(); n != 1 {
				t.Errorf("round %d: adder %d's callback %d ran %d times, want 1", round, a, s, n)
			}
		}
	}
}

// goid returns the current goroutine's number.
func goid() uint64 {
	var buf [64]byte
	s := string(buf[:runtime.Stack(buf[:], false)])
	s, _, _ = strings.Cut(strings.TrimPrefix(s, "goroutine "), " ")
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("goid: %q", s))
	}
	return n
}

// A watcher that a Wait or AsCompleted drops from a task still running
// leaves nothing of itself on that task, whichever callback came first and
// however many times the task was given to it. The first callback sits in
// the task's part (ed640df) until a second one moves the callbacks to a
// slice: a watcher left behind there holds every task of its Wait, finished
// or not, with their results, for as long as the task that runs on lives.
func TestAttackDroppedWatcherKeepsNothingAlive(t *testing.T) {
	for _, c := range []struct {
		name           string
		userFirst      bool
		dup            int
		viaAsCompleted bool
	}{
		{"watcher first", false, 1, false},
		{"watcher first, the task twice", false, 2, false},
		{"watcher first, AsCompleted", false, 1, true},
		{"callback first", true, 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				releaseLong := make(chan struct{})
				long := async.Spawn(t.Context(), func(context.Context) (int, error) { <-releaseLong; return 0, nil })
				var ran atomic.Int32
				if c.userFirst {
					long.AddDoneCallback(func(*async.Task[int]) { ran.Add(1) })
				}
				ref, short, releaseShort := spawnHoldingBig(t.Context())
				waited := make(chan struct{})
				go func() {
					defer close(waited)
					hs := append(slices.Repeat([]async.Handle{long}, c.dup), short)
					if c.viaAsCompleted {
						for h, err := range async.AsCompleted(t.Context(), hs...) {
							if h != async.Handle(short) || err != nil {
								t.Errorf("AsCompleted yielded %v, %v first", h, err)
							}
							break
						}
						return
					}
					if _, _, err := async.Wait(t.Context(), async.FirstCompleted, hs...); err != nil {
						t.Error(err)
					}
				}()
				synctest.Wait() // long is watched
				if !c.userFirst {
					long.AddDoneCallback(func(*async.Task[int]) { ran.Add(1) })
				}
				close(releaseShort)
				<-waited
				short = nil
				for range 3 {
					runtime.GC()
				}
				if ref.Value() != nil {
					t.Errorf("a finished task's result is kept alive by a task still running, through a watcher dropped from it")
				}
				close(releaseLong)
				long.Await(t.Context())
				synctest.Wait()
				if n := ran.Load(); n != 1 {
					t.Errorf("long's own callback ran %d times, want 1", n)
				}
			})
		})
	}
}

// spawnHoldingBig starts a task whose result is a large value, once
// release is closed, and returns a weak pointer to that value.
func spawnHoldingBig(ctx context.Context) (weak.Pointer[[1 << 16]byte], *async.Task[*[1 << 16]byte], chan struct{}) {
	big := new([1 << 16]byte)
	release := make(chan struct{})
	return weak.Make(big), async.Spawn(ctx, func(context.Context) (*[1 << 16]byte, error) { <-release; return big, nil }), release
}
