package async_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

func TestFutureSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := async.NewFuture[string](t.Context(), async.WithName("reply"))
		if f.State() != async.Pending || f.Name() != "reply" {
			t.Fatalf("new future: %v %q, want pending \"reply\"", f.State(), f.Name())
		}
		if _, err := f.Result(); !errors.Is(err, async.ErrInvalidState) {
			t.Errorf("Result before Set = %v, want ErrInvalidState", err)
		}
		called := make(chan string, 1)
		f.AddDoneCallback(func(t *async.Task[string]) { v, _ := t.Result(); called <- v })
		go func() {
			time.Sleep(time.Second)
			f.Set("hello")
		}()
		v, err := f.Await(t.Context())
		if v != "hello" || err != nil || f.State() != async.Done {
			t.Fatalf("Await = %q, %v, state %v", v, err, f.State())
		}
		if got := <-called; got != "hello" {
			t.Errorf("done callback saw %q", got)
		}
		if f.Set("again") || f.Fail(errBoom) || f.Cancel(nil) {
			t.Error("a settled future accepted a second outcome")
		}
		if v, _ := f.Result(); v != "hello" {
			t.Errorf("result changed to %q", v)
		}
	})
}

// Fail with a cancellation cancels the future, as a task returning it is
// cancelled; any other error, DeadlineExceeded included, is a failure; a
// second Fail changes nothing. After Kotlin's
// CompletableDeferredTest.testCancelWithException, where every exceptional
// completion counts as cancelled: here, by the package's one rule, only a
// cancellation does.
func TestFutureFailWithACancellation(t *testing.T) {
	wrapped := fmt.Errorf("upstream gave up: %w", context.Canceled)
	for _, err := range []error{context.Canceled, wrapped} {
		f := async.NewFuture[int](t.Context())
		if !f.Fail(err) {
			t.Fatal("Fail on an unsettled future reported false")
		}
		_, got := f.Await(t.Context())
		var ce *async.CancelledError
		if !f.Cancelled() || f.State() != async.Cancelled || !errors.As(got, &ce) || ce.Cause != err {
			t.Errorf("Fail(%v): state %v, err %v; want Cancelled with that cause", err, f.State(), got)
		}
		if f.Fail(errBoom) || !f.Cancelled() {
			t.Errorf("a second Fail was taken: state %v", f.State())
		}
	}
	f := async.NewFuture[int](t.Context())
	f.Fail(context.DeadlineExceeded)
	if _, err := f.Await(t.Context()); f.Cancelled() || f.State() != async.Done || err != context.DeadlineExceeded {
		t.Errorf("Fail(DeadlineExceeded): state %v, err %v; want Done with the error", f.State(), err)
	}
}

func TestFutureFail(t *testing.T) {
	f := async.NewFuture[int](t.Context())
	if !f.Fail(errBoom) {
		t.Fatal("Fail on an unsettled future reported false")
	}
	if v, err := f.Await(t.Context()); v != 0 || err != errBoom || f.State() != async.Done {
		t.Errorf("Await = %v, %v, state %v; want the error, done", v, err, f.State())
	}
	g := async.NewFuture[int](t.Context())
	g.Fail(nil)
	if err := g.Err(); !errors.Is(err, async.ErrNilFailure) {
		t.Errorf("Fail(nil) settled with %v, want ErrNilFailure", err)
	}
}

func TestFutureCancel(t *testing.T) {
	errGone := errors.New("peer went away")
	f := async.NewFuture[int](t.Context())
	if !f.Cancel(errGone) {
		t.Fatal("Cancel on an unsettled future reported false")
	}
	// At once, as asyncio's cancel: no goroutine stands in between.
	if !f.Cancelled() {
		t.Fatalf("state %v right after Cancel, want cancelled", f.State())
	}
	err := f.Err()
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errGone) {
		t.Errorf("Err = %v, want a cancellation caused by %v", err, errGone)
	}
	if f.Set(1) {
		t.Error("Set after Cancel reported true")
	}
}

func TestFutureCancelledByItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(t.Context())
		f := async.NewFuture[int](ctx)
		errStop := errors.New("shutting down")
		cancel(errStop)
		_, err := f.Await(t.Context())
		if !f.Cancelled() || !errors.Is(err, errStop) {
			t.Fatalf("after ctx ended: %v %v, want cancelled with its cause", f.State(), err)
		}
		if f.Set(1) {
			t.Error("Set after ctx's end reported true")
		}
	})
}

// Exactly one of many concurrent outcomes wins, and every awaiter sees it.
func TestFutureOneOutcome(t *testing.T) {
	for range 50 {
		f := async.NewFuture[int](t.Context())
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				var ok bool
				switch i % 3 {
				case 0:
					ok = f.Set(i)
				case 1:
					ok = f.Fail(errBoom)
				case 2:
					ok = f.Cancel(nil)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 || !f.State().Finished() {
			t.Fatalf("%d outcomes won, state %v", wins.Load(), f.State())
		}
	}
}

// A future is a task for Gather, Wait, AsCompleted and WaitFor.
func TestFutureWithGatherWaitAsCompleted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := async.NewFuture[int](t.Context())
		task := async.Spawn(t.Context(), after(2*time.Second, 2, nil))
		go func() {
			time.Sleep(time.Second)
			f.Set(1)
		}()
		done, pending, err := async.Wait(t.Context(), async.FirstCompleted, f.Task, task)
		if err != nil || len(done) != 1 || done[0] != f.Task || len(pending) != 1 {
			t.Fatalf("Wait = %v, %v, %v; want the future done first", done, pending, err)
		}
		vs, err := async.Gather(t.Context(), f.Task, task)
		if err != nil || vs[0] != 1 || vs[1] != 2 {
			t.Fatalf("Gather = %v, %v", vs, err)
		}
		g := async.NewFuture[int](t.Context())
		go g.Set(3)
		var got []int
		for tk, err := range async.AsCompleted(t.Context(), g.Task) {
			v, _ := tk.Result()
			got = append(got, v)
			if err != nil {
				t.Error(err)
			}
		}
		if len(got) != 1 || got[0] != 3 {
			t.Errorf("AsCompleted yielded %v", got)
		}
	})
}

// WaitFor and Gather cancel what they give up on; a future ends then.
func TestFutureCancelledByWaitForAndGather(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := async.NewFuture[int](t.Context())
		_, err := async.WaitFor(t.Context(), time.Second, f.Task)
		if !errors.Is(err, async.ErrTimeout) || !f.Cancelled() || !errors.Is(f.Err(), async.ErrTimeout) {
			t.Fatalf("WaitFor = %v; future %v %v, want cancelled by the timeout", err, f.State(), f.Err())
		}
		g := async.NewFuture[int](t.Context())
		failing := async.Spawn(t.Context(), after(time.Second, 0, errBoom))
		if _, err := async.Gather(t.Context(), g.Task, failing); err != errBoom {
			t.Fatalf("Gather = %v, want the failure", err)
		}
		if _, err := g.Await(t.Context()); !g.Cancelled() || !errors.Is(err, errBoom) {
			t.Errorf("future after Gather failed: %v %v, want cancelled by the failure", g.State(), err)
		}
	})
}

// In a Run scope a future is a node of the tree until it is settled.
func TestFutureInTaskTree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.Run(t.Context(), func(ctx context.Context) error {
			f := async.NewFuture[int](ctx, async.WithName("callback"))
			var node *async.TaskInfo
			snap := async.ScopeOf(ctx).Snapshot()
			for i := range snap.Nodes {
				if snap.Nodes[i].Name == "callback" {
					node = &snap.Nodes[i]
				}
			}
			if node == nil || node.Kind != async.KindTask || node.State != async.Pending || !strings.Contains(node.Origin, "NewFuture") {
				t.Errorf("future's node = %+v, want a pending task from NewFuture", node)
			}
			f.Set(1)
			if n := async.ScopeOf(ctx).Len(); n != 1 { // main only
				t.Errorf("after Set the scope has %d live tasks, want 1", n)
			}
			return nil
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
	})
}

// lookup is a callback API, of the kind a Future bridges.
func lookup(name string, done func(addr string, err error)) {
	go func() {
		if name == "" {
			done("", errors.New("empty name"))
			return
		}
		done("192.0.2.1", nil)
	}()
}

func ExampleFuture() {
	ctx := context.Background()
	f := async.NewFuture[string](ctx, async.WithName("lookup"))
	lookup("example.org", func(addr string, err error) {
		if err != nil {
			f.Fail(err)
			return
		}
		f.Set(addr)
	})
	addr, err := f.Await(ctx)
	fmt.Println(addr, err)
	// Output: 192.0.2.1 <nil>
}
