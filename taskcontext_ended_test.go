package async_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// What a task's context answers after the task ended is what it would have
// answered had it been made when the task started: ended with the task,
// whatever happens to its parent afterwards. These tests never make the
// context before the task ends.

// keptContext returns the context of a task that has returned without
// making it.
func keptContext(t *testing.T, parent context.Context) context.Context {
	t.Helper()
	var kept context.Context
	task := async.Spawn(parent, func(ctx context.Context) (int, error) {
		kept = ctx
		return 0, nil
	})
	if _, err := task.Await(t.Context()); err != nil {
		t.Fatalf("task: %v", err)
	}
	return kept
}

func checkEnded(t *testing.T, ctx context.Context, want error) {
	t.Helper()
	if err := ctx.Err(); err != context.Canceled {
		t.Errorf("Err = %v, want context.Canceled", err)
	}
	if cause := context.Cause(ctx); cause != want {
		t.Errorf("Cause = %v, want %v", cause, want)
	}
}

// lookFirst asks ctx one thing, as a caller's first look at a context it
// kept might: Err, Cause, Done (waiting for it), Value, or AfterFunc
// (waiting for the function to run).
func lookFirst(ctx context.Context, how string) {
	switch how {
	case "Err":
		ctx.Err()
	case "Cause":
		context.Cause(ctx)
	case "Done":
		<-ctx.Done()
	case "Value":
		ctx.Value(ctxKey{})
	case "AfterFunc":
		ran := make(chan struct{})
		context.AfterFunc(ctx, func() { close(ran) })
		<-ran
	default:
		panic("lookFirst: no way to look called " + how)
	}
}

func TestTaskContextEndedIgnoresLaterParentCancel(t *testing.T) {
	for _, first := range []string{"Err", "Cause", "Done", "Value"} {
		t.Run("first look "+first, func(t *testing.T) {
			parent, cancel := context.WithCancelCause(t.Context())
			kept := keptContext(t, parent)
			cancel(errors.New("later"))
			lookFirst(kept, first)
			checkEnded(t, kept, async.ErrTaskReturned)
		})
	}
}

func TestTaskContextEndedIgnoresLaterParentDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		kept := keptContext(t, parent)
		time.Sleep(2 * time.Second)
		checkEnded(t, kept, async.ErrTaskReturned)
		if d, ok := kept.Deadline(); !ok || d != time.Now().Add(-time.Second) {
			t.Errorf("Deadline = %v, %v, want the parent's, as a made context has", d, ok)
		}
	})
}

// A parent cancelled before the task ended is what the context answers,
// made or not.
func TestTaskContextEndedAfterParentCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		var kept context.Context
		task := async.Spawn(parent, func(ctx context.Context) (int, error) {
			kept = ctx
			time.Sleep(2 * time.Second)
			return 0, nil
		})
		task.Await(t.Context())
		if err := kept.Err(); err != context.DeadlineExceeded {
			t.Errorf("Err = %v, want the parent's DeadlineExceeded", err)
		}
		if cause := context.Cause(kept); cause != context.DeadlineExceeded {
			t.Errorf("Cause = %v, want the parent's DeadlineExceeded", cause)
		}
	})
}

// Tasks started with a returned task's context, before or after it
// returned, see ErrTaskReturned, not a cause that reached the grandparent
// afterwards.
func TestTaskContextEndedReachesChildTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancelCause(t.Context())
		var kept context.Context
		var running *async.Task[error]
		returned := make(chan struct{})
		task := async.Spawn(parent, func(ctx context.Context) (int, error) {
			kept = ctx
			// A child that polls its context, never making its own.
			started := make(chan struct{})
			running = async.Spawn(ctx, func(ctx context.Context) (error, error) {
				close(started)
				<-returned
				for ctx.Err() == nil {
					time.Sleep(time.Millisecond)
				}
				return context.Cause(ctx), nil
			})
			<-started
			return 0, nil
		})
		task.Await(t.Context())
		cancel(errors.New("later"))
		close(returned)
		if cause, _ := running.Await(t.Context()); cause != async.ErrTaskReturned {
			t.Errorf("running child saw %v, want ErrTaskReturned", cause)
		}
		late := async.Spawn(kept, func(ctx context.Context) (int, error) { return 0, nil })
		if _, err := late.Await(t.Context()); !late.Cancelled() || !errors.Is(err, async.ErrTaskReturned) {
			t.Errorf("child started after the return: %v, want cancelled with ErrTaskReturned", err)
		}
	})
}

// Under Run, main's context ends with main: a task started with it sees
// ErrTaskReturned, not the ErrMainReturned with which Run then cancels the
// rest of the scope.
func TestTaskContextEndedMainUnderRun(t *testing.T) {
	// main's context is kept in a struct field, where asyncvet's groupctx
	// does not follow it: this test uses it after Run on purpose.
	var kept struct{ ctx context.Context }
	var child *async.Task[error]
	err := async.Run(t.Context(), func(ctx context.Context) error {
		kept.ctx = ctx
		started := make(chan struct{})
		child = async.Spawn(ctx, func(ctx context.Context) (error, error) {
			close(started)
			for ctx.Err() == nil { // never makes its context
				time.Sleep(time.Millisecond)
			}
			return context.Cause(ctx), nil
		})
		<-started
		return nil
	}, async.WithSignals(nil), async.WithGracePeriod(time.Minute))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if cause, _ := child.Await(t.Context()); cause != async.ErrTaskReturned {
		t.Errorf("child of main saw %v, want ErrTaskReturned", cause)
	}
	checkEnded(t, kept.ctx, async.ErrTaskReturned)
}

// Successive looks at an ended context agree, while the parent is being
// cancelled at the same moment as the task ends: whichever came first
// decides, once.
func TestTaskContextEndedIsStable(t *testing.T) {
	later := errors.New("later")
	for round := range 500 {
		parent, cancel := context.WithCancelCause(t.Context())
		var kept context.Context
		go cancel(later)
		task := async.Spawn(parent, func(ctx context.Context) (int, error) {
			kept = ctx
			return 0, nil
		})
		task.Await(t.Context())
		if kept == nil {
			continue // cancelled before it started
		}
		first := context.Cause(kept)
		<-parent.Done()
		if again := context.Cause(kept); again != first || (first != later && first != async.ErrTaskReturned) {
			t.Fatalf("round %d: Cause %v, then %v", round, first, again)
		}
	}
}

// However the task ends, its kept context answers its parent's cancellation
// only if the parent was cancelled by then: a task that gives up with
// context.Canceled, or fails, while its parent is still running, ends its
// context with ErrTaskReturned.
func TestTaskContextEndedByHowTheTaskReturned(t *testing.T) {
	cause := errors.New("parent's cause")
	for _, c := range []struct {
		name            string
		cancelParent    bool
		returns         func(ctx context.Context) error
		wantErr, wantCz error
	}{
		{"parent running, returns Canceled", false, func(context.Context) error { return context.Canceled }, context.Canceled, async.ErrTaskReturned},
		{"parent running, fails", false, func(context.Context) error { return errors.New("own") }, context.Canceled, async.ErrTaskReturned},
		{"parent cancelled, returns its cause", true, context.Cause, context.Canceled, cause},
		{"parent cancelled, returns Canceled", true, func(context.Context) error { return context.Canceled }, context.Canceled, cause},
		{"parent cancelled, fails", true, func(context.Context) error { return errors.New("own") }, context.Canceled, cause},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent, cancel := context.WithCancelCause(t.Context())
			defer cancel(nil)
			var kept context.Context
			task := async.Spawn(parent, func(ctx context.Context) (int, error) {
				kept = ctx
				if c.cancelParent {
					cancel(cause)
				}
				return 0, c.returns(ctx)
			})
			task.Await(t.Context())
			cancel(errors.New("later")) // too late to be the context's
			if err := kept.Err(); err != c.wantErr {
				t.Errorf("Err = %v, want %v", err, c.wantErr)
			}
			if cz := context.Cause(kept); cz != c.wantCz {
				t.Errorf("Cause = %v, want %v", cz, c.wantCz)
			}
		})
	}
}
