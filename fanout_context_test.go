package async_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// Each call of Map, GatherFunc and ForEach has a context of its own that
// ends when the call returns. Under a limit smaller than the number of
// calls, a task makes several calls in turn, each with a context made only
// when something needs it; otherwise each call is a task, and its context
// the task's. These tests look at the call's context from every angle,
// both ways, and check that it answers as a context.WithCancelCause of the
// task's context, cancelled when the call returns, would.

// fanOutWays are the two ways calls are made: limit 1 over two or more
// items makes them in turn in one task; no limit makes a task per call.
var fanOutWays = []struct {
	name  string
	limit int
}{{"in turn", 1}, {"a task each", 0}}

// keptContexts runs Map over n items with limit and returns each call's
// context, kept after its call returned, and Map's error.
func keptContexts(parent context.Context, n, limit int, fn func(ctx context.Context, i int) error) ([]context.Context, error) {
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	ctxs := make([]context.Context, n)
	_, err := async.Map(parent, items, func(ctx context.Context, i int) (int, error) {
		ctxs[i] = ctx
		if fn != nil {
			return 0, fn(ctx, i)
		}
		return 0, nil
	}, async.WithLimit(limit))
	return ctxs, err
}

func TestMapCallContextErrFollowsParentDeadline(t *testing.T) {
	for _, way := range fanOutWays {
		t.Run(way.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				parent, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				var cause, err error
				keptContexts(parent, 2, way.limit, func(ctx context.Context, i int) error {
					if i != 0 {
						return nil
					}
					for ctx.Err() == nil { // polls, never asks for Done
						time.Sleep(100 * time.Millisecond)
					}
					cause, err = context.Cause(ctx), ctx.Err()
					return nil
				})
				if err != context.DeadlineExceeded || cause != context.DeadlineExceeded {
					t.Errorf("Err %v, Cause %v; want the parent's DeadlineExceeded for both", err, cause)
				}
			})
		})
	}
}

func TestMapCallContextAfterReturnIsEnded(t *testing.T) {
	for _, way := range fanOutWays {
		t.Run(way.name, func(t *testing.T) {
			parent := context.WithValue(t.Context(), ctxKey{}, "v")
			var current [2]async.Handle
			ctxs, err := keptContexts(parent, 2, way.limit, func(ctx context.Context, i int) error {
				current[i] = async.Current(ctx)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if ctxs[0] == ctxs[1] {
				t.Error("two calls got the same context")
			}
			for i, kept := range ctxs {
				if err := kept.Err(); err != context.Canceled {
					t.Errorf("call %d: Err after Map returned = %v, want Canceled", i, err)
				}
				if c := context.Cause(kept); c != async.ErrTaskReturned {
					t.Errorf("call %d: Cause after Map returned = %v, want ErrTaskReturned", i, c)
				}
				select {
				case <-kept.Done():
				default:
					t.Errorf("call %d: Done after Map returned is not closed", i)
				}
				if v := kept.Value(ctxKey{}); v != "v" {
					t.Errorf("call %d: Value = %v, want the parent's", i, v)
				}
				if h := async.Current(kept); h == nil || h != current[i] {
					t.Errorf("call %d: Current after the call = %v, want the task that made it, %v", i, h, current[i])
				}
			}
		})
	}
}

// Whatever looks first at a call's context after the call returned, it
// answers as ended with the call, whatever happens to its parent later.
func TestMapCallContextEndedIgnoresLaterParentCancel(t *testing.T) {
	for _, way := range fanOutWays {
		for _, first := range []string{"Err", "Cause", "Done", "Value", "AfterFunc"} {
			t.Run(way.name+"/first look "+first, func(t *testing.T) {
				parent, cancel := context.WithCancelCause(t.Context())
				ctxs, err := keptContexts(parent, 2, way.limit, nil)
				if err != nil {
					t.Fatal(err)
				}
				cancel(errors.New("later"))
				for _, kept := range ctxs {
					lookFirst(kept, first)
					checkEnded(t, kept, async.ErrTaskReturned)
				}
			})
		}
	}
}

func TestMapCallContextEndedIgnoresLaterParentDeadline(t *testing.T) {
	for _, way := range fanOutWays {
		t.Run(way.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				parent, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				ctxs, err := keptContexts(parent, 2, way.limit, nil)
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(2 * time.Second)
				for _, kept := range ctxs {
					checkEnded(t, kept, async.ErrTaskReturned)
					if d, ok := kept.Deadline(); !ok || d != time.Now().Add(-time.Second) {
						t.Errorf("Deadline = %v, %v, want the parent's", d, ok)
					}
				}
			})
		})
	}
}

// A parent cancelled before the call returned is what the call's context
// answers afterwards, made or not.
func TestMapCallContextEndedAfterParentCancel(t *testing.T) {
	for _, way := range fanOutWays {
		for _, look := range []string{"Err", "Done"} {
			t.Run(way.name+"/"+look, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					parent, cancel := context.WithTimeout(t.Context(), time.Second)
					defer cancel()
					var kept context.Context
					keptContexts(parent, 2, way.limit, func(ctx context.Context, i int) error {
						if i == 0 {
							kept = ctx
							time.Sleep(2 * time.Second) // past the parent's deadline, and succeeds
						}
						return nil
					})
					if look == "Done" {
						<-kept.Done()
					}
					if err := kept.Err(); err != context.DeadlineExceeded {
						t.Errorf("Err = %v, want the parent's DeadlineExceeded", err)
					}
					if cause := context.Cause(kept); cause != context.DeadlineExceeded {
						t.Errorf("Cause = %v, want the parent's DeadlineExceeded", cause)
					}
				})
			})
		}
	}
}

// A failure cancels the calls still running: the cancellation reaches
// contexts derived from theirs, with the failure as the cause.
func TestMapCallContextCancelReachesDerivedContexts(t *testing.T) {
	for _, way := range fanOutWays {
		t.Run(way.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				limit := way.limit
				if limit > 0 {
					limit = 2 // items 0 and 1 at once, in turn with item 2
				}
				var got, err error
				_, mapErr := keptContexts(t.Context(), 3, limit, func(ctx context.Context, i int) error {
					switch i {
					case 0:
						inner, cancel := context.WithCancel(context.WithValue(ctx, ctxKey{}, 1))
						defer cancel()
						<-inner.Done()
						got, err = context.Cause(inner), inner.Err()
						return err
					case 1:
						time.Sleep(time.Second)
						return errBoom
					}
					return nil
				})
				if !errors.Is(mapErr, errBoom) {
					t.Fatalf("Map: %v, want item 1's boom", mapErr)
				}
				if !errors.Is(got, errBoom) || err != context.Canceled {
					t.Errorf("derived context: cause %v, err %v; want boom, Canceled", got, err)
				}
			})
		})
	}
}

// AfterFunc on a call's context runs when the call returns, and not before.
func TestMapCallContextAfterFuncRunsWhenTheCallReturns(t *testing.T) {
	for _, way := range fanOutWays {
		t.Run(way.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ran := make(chan time.Duration, 1)
				start := time.Now()
				keptContexts(t.Context(), 2, way.limit, func(ctx context.Context, i int) error {
					if i == 0 {
						context.AfterFunc(ctx, func() { ran <- time.Since(start) })
						time.Sleep(time.Second)
						synctest.Wait()
						if len(ran) != 0 {
							t.Error("AfterFunc ran before the call returned")
						}
					}
					return nil
				})
				synctest.Wait()
				select {
				case d := <-ran:
					if d != time.Second {
						t.Errorf("AfterFunc ran %v after the start, want 1s, when the call returned", d)
					}
				default:
					t.Error("AfterFunc did not run when the call returned")
				}
			})
		})
	}
}

// Calls made in turn: a call's context has ended by the time the next call
// begins, in the same task, whether it was made during the call or not.
func TestMapCallContextEndedBeforeTheNextCall(t *testing.T) {
	for _, made := range []bool{false, true} {
		var first context.Context
		var err, cause error
		var closed bool
		_, mapErr := keptContexts(t.Context(), 2, 1, func(ctx context.Context, i int) error {
			if i == 0 {
				first = ctx
				if made {
					ctx.Done()
				}
				return nil
			}
			err, cause = first.Err(), context.Cause(first)
			select {
			case <-first.Done():
				closed = true
			default:
			}
			return nil
		})
		if mapErr != nil {
			t.Fatal(mapErr)
		}
		if err != context.Canceled || cause != async.ErrTaskReturned || !closed {
			t.Errorf("made during the call %v: in the next call, Err %v, Cause %v, Done closed %v; want Canceled, ErrTaskReturned, true", made, err, cause, closed)
		}
	}
}

// A call's context may be made by several goroutines at once, while the
// call returns: whoever makes it, everyone sees one context, and it has
// ended by the time the next call begins.
func TestMapCallContextMadeWhileTheCallReturns(t *testing.T) {
	for round := range 300 {
		dones := make(chan (<-chan struct{}), 4)
		var started sync.WaitGroup
		var failed string
		ctxs, err := keptContexts(t.Context(), 2, 1, func(ctx context.Context, i int) error {
			if i == 0 {
				started.Add(4)
				for range 4 {
					go func() { started.Done(); dones <- ctx.Done() }()
				}
				started.Wait()
				return nil
			}
			first := <-dones
			for range 3 {
				if d := <-dones; d != first {
					failed = "two Done channels for one context"
				}
			}
			select {
			case <-first:
			default:
				failed = "the context made as the call returned has not ended"
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if failed != "" {
			t.Fatalf("round %d: %s", round, failed)
		}
		checkEnded(t, ctxs[0], async.ErrTaskReturned)
	}
}

// A call's context first looked at after the call returned is made ended,
// once, by whichever of several goroutines gets there first.
func TestMapCallContextMadeAfterEndConcurrently(t *testing.T) {
	for _, way := range fanOutWays {
		t.Run(way.name, func(t *testing.T) {
			for round := range 200 {
				ctxs, err := keptContexts(t.Context(), 2, way.limit, nil)
				if err != nil {
					t.Fatal(err)
				}
				dones := make(chan (<-chan struct{}), 4)
				for range 4 {
					go func() { dones <- ctxs[1].Done() }()
				}
				first := <-dones
				for range 3 {
					if d := <-dones; d != first {
						t.Fatalf("round %d: two Done channels for one context", round)
					}
				}
				<-first
				checkEnded(t, ctxs[1], async.ErrTaskReturned)
			}
		})
	}
}

// Successive looks at a call's context agree while its parent is being
// cancelled as the call returns: whichever came first decides, once.
func TestMapCallContextEndedIsStable(t *testing.T) {
	later := errors.New("later")
	for _, way := range fanOutWays {
		t.Run(way.name, func(t *testing.T) {
			for round := range 300 {
				parent, cancel := context.WithCancelCause(t.Context())
				go cancel(later)
				ctxs, _ := keptContexts(parent, 2, way.limit, nil)
				for i, kept := range ctxs {
					if kept == nil {
						continue // never called
					}
					first := context.Cause(kept)
					<-parent.Done()
					if again := context.Cause(kept); again != first || (first != later && first != async.ErrTaskReturned) {
						t.Fatalf("round %d, call %d: Cause %v, then %v", round, i, first, again)
					}
				}
			}
		})
	}
}

// A panic or runtime.Goexit in a call made in turn ends that call's
// context; after a panic the task goes on with the next item.
func TestMapCallContextEndsOnPanicAndGoexit(t *testing.T) {
	for _, look := range []string{"before", "after"} {
		var panicked context.Context
		var calls atomic.Int32
		items := []int{0, 1, 2}
		out, err := async.Map(t.Context(), items, func(ctx context.Context, i int) (int, error) {
			calls.Add(1)
			if i == 1 {
				panicked = ctx
				if look == "before" {
					ctx.Done()
				}
				panic("kaboom")
			}
			return i + 1, nil
		}, async.WithLimit(1), async.WithJoin(async.CollectAll()))
		var pe *async.PanicError
		if !errors.As(err, &pe) || pe.Value != "kaboom" || !strings.Contains(err.Error(), "item 1") {
			t.Fatalf("%s: Map: %v, want item 1's panic", look, err)
		}
		if calls.Load() != 3 || !slices.Equal(out, []int{1, 0, 3}) {
			t.Errorf("%s: %d calls, results %v; want 3 and [1 0 3]: the task goes on after a panic", look, calls.Load(), out)
		}
		checkEnded(t, panicked, async.ErrTaskReturned)

		var exited context.Context
		keptContexts(t.Context(), 2, 1, func(ctx context.Context, i int) error {
			exited = ctx
			if look == "before" {
				ctx.Done()
			}
			runtime.Goexit()
			return nil
		})
		checkEnded(t, exited, async.ErrTaskReturned)
	}
}
