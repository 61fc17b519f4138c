package async_test

// How a task's end decides whether it was cancelled, after 2384434 and
// 76620c0: cancellationOf says whether it saw the context done, and
// complete hands that to endMark, which records, for a context not made
// yet, whether the parent was cancelled by the end. A task cancelled by
// its parent, by itself (Cancel), and finishing, all at the same instant:
// what the task says (State, Err, errors.Is) and what its context says
// (Err, context.Cause, made before the end, after it, or never until a
// later cancellation of the parent) must agree.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/asyncgo/async"
)

// How the task's function ends once it sees its context cancelled, or is
// released first.
const (
	endReturnsErr = iota // returns ctx.Err()
	endWrapsCause        // returns an error wrapping context.Cause(ctx)
	endIgnores           // returns a result anyway
	endFails             // returns an error of its own
	endKinds
)

func TestAttackCancelledByWhomAgrees(t *testing.T) {
	rounds := 3000
	if testing.Short() {
		rounds = 300
	}
	for round := range rounds {
		attackCancelledByWhom(t, round)
		if t.Failed() {
			return
		}
	}
}

func attackCancelledByWhom(t *testing.T, round int) {
	rng := rand.New(rand.NewPCG(uint64(round), 76620))
	inGroup := rng.IntN(2) == 0
	asksDone := rng.IntN(2) == 0 // else the context stays unmade until the end
	onCancel, onRelease := rng.IntN(endKinds), endIgnores+rng.IntN(2)
	doCancel, doParent, doRelease := rng.IntN(3) > 0, rng.IntN(3) > 0, rng.IntN(3) > 0
	if !doCancel && !doParent {
		doRelease = true
	}
	look := []string{"Err", "Cause", "Done", "Value"}[rng.IntN(4)]

	causeSelf, causeParent, causeLater := errors.New("own cause"), errors.New("parent's cause"), errors.New("later")
	own := errors.New("own failure")

	var (
		kept      context.Context
		seen      error // context.Cause(ctx) as the function last saw it
		returned  error
		cancelled bool // the function returned because it saw ctx cancelled
	)
	release := make(chan struct{})
	fn := func(ctx context.Context) (int, error) {
		kept = ctx
		var done <-chan struct{}
		if asksDone {
			done = ctx.Done()
		}
		end := func(how int) (int, error) {
			switch how {
			case endReturnsErr:
				returned = ctx.Err()
			case endWrapsCause:
				returned = fmt.Errorf("gave up: %w", context.Cause(ctx))
			case endIgnores:
				returned = nil
			case endFails:
				returned = own
			}
			return 1, returned
		}
		for {
			if ctx.Err() != nil {
				seen = context.Cause(ctx)
				cancelled = true
				return end(onCancel)
			}
			select {
			case <-release:
				seen = context.Cause(ctx)
				how := onRelease
				if seen != nil {
					// Too late to return as if it had not seen it:
					// the context may have been cancelled since
					// the look above.
					cancelled = true
					how = onCancel
				}
				return end(how)
			case <-done:
			default:
				runtime.Gosched()
			}
		}
	}

	parent, cancelParent := context.WithCancelCause(context.Background())
	defer cancelParent(nil)
	var task *async.Task[int]
	var cancelP func(error)
	groupDone := make(chan error, 1)
	if inGroup {
		started := make(chan struct{})
		go func() {
			groupDone <- async.WithGroup(parent, func(ctx context.Context, g *async.Group) error {
				task = async.Go(g, fn)
				cancelP = g.Cancel
				close(started)
				return nil
			})
		}()
		<-started
	} else {
		task = async.Spawn(parent, fn)
		cancelP = cancelParent
		groupDone <- nil
	}

	var wg sync.WaitGroup
	var cancelReturned bool
	racer := func(do bool, f func()) {
		if !do {
			return
		}
		spin := rng.IntN(6)
		wg.Go(func() {
			for range spin {
				runtime.Gosched()
			}
			f()
		})
	}
	racer(doCancel, func() { cancelReturned = task.Cancel(causeSelf) })
	racer(doParent, func() { cancelP(causeParent) })
	racer(doRelease, func() { close(release) })
	wg.Wait()
	v, err := task.Await(context.Background())
	gerr := <-groupDone
	if !doRelease {
		close(release)
	}

	// Nothing that happens to the parent after the end shows through.
	cancelP(causeLater)
	cancelParent(causeLater)

	where := fmt.Sprintf("round %d (group %v, asks Done %v, on cancel %d, on release %d, Cancel %v→%v, parent %v, release %v)",
		round, inGroup, asksDone, onCancel, onRelease, doCancel, cancelReturned, doParent, doRelease)
	if kept == nil {
		// Never entered: cancelled before it began.
		if task.State() != async.Cancelled {
			t.Errorf("%s: not entered, yet %v", where, task.State())
		}
		ce, ok := errors.AsType[*async.CancelledError](err)
		if !ok || (ce.Cause != causeSelf && ce.Cause != causeParent) || (ce.Cause == causeSelf && !cancelReturned) {
			t.Errorf("%s: not entered, error %v", where, err)
		}
		return
	}
	switch look {
	case "Err":
		kept.Err()
	case "Cause":
		context.Cause(kept)
	case "Done":
		<-kept.Done()
	case "Value":
		kept.Value(struct{}{})
	}
	cause := context.Cause(kept)
	if kept.Err() == nil || cause == nil {
		t.Errorf("%s: the ended task's context says Err %v, Cause %v", where, kept.Err(), cause)
	}
	switch cause {
	case causeLater:
		t.Errorf("%s: the context shows the parent's cancellation after the end", where)
	case causeSelf:
		if !cancelReturned {
			t.Errorf("%s: the context has Cancel's cause, yet Cancel reported false", where)
		}
	case causeParent:
		if !doParent {
			t.Errorf("%s: the context has the parent's cause, yet the parent was not cancelled", where)
		}
	case async.ErrTaskReturned:
	default:
		t.Errorf("%s: the context's cause is %v", where, cause)
	}
	if seen != nil && cause != seen {
		t.Errorf("%s: the function saw its context cancelled with %v, the ended context says %v", where, seen, cause)
	}

	wantCancelled := returned != nil && returned != own
	if task.Cancelled() != wantCancelled || (task.State() == async.Cancelled) != wantCancelled {
		t.Errorf("%s: the function returned %v (cancelled %v): the task is %v", where, returned, cancelled, task.State())
	}
	if errors.Is(err, context.Canceled) != wantCancelled {
		t.Errorf("%s: the task is %v with error %v", where, task.State(), err)
	}
	if wantCancelled {
		ce, ok := errors.AsType[*async.CancelledError](err)
		if !ok || ce.Cause != seen {
			t.Errorf("%s: cancelled with %v, the function saw %v", where, err, seen)
		}
		if ok && ce.Cause != cause {
			t.Errorf("%s: the task was cancelled with %v, its context says %v", where, ce.Cause, cause)
		}
	} else if err != returned || (err == nil && v != 1) {
		t.Errorf("%s: the function returned 1, %v; the task 1, %v", where, returned, err)
	}
	if err2 := task.Err(); err2 != err {
		t.Errorf("%s: Await said %v, Err says %v", where, err, err2)
	}
	if inGroup && (gerr != nil) != (returned == own) {
		t.Errorf("%s: the task returned %v, the group %v", where, returned, gerr)
	}
	if again := context.Cause(kept); again != cause {
		t.Errorf("%s: the ended context's cause went from %v to %v", where, cause, again)
	}
	if task.Cancel(errors.New("too late")) {
		t.Errorf("%s: Cancel after the end took effect", where)
	}
}
