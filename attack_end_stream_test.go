package async_test

// Stream's calls run as tasks of a group under a context of Stream's own,
// cancelled with ErrStreamStopped when the consumer breaks out; a call's
// panic cancels the calls after it. The context of one call, watched from
// the call and from goroutines holding it, while the parent is cancelled,
// the consumer breaks out and a call panics: every observer sees one
// story, the context's after the call, which nothing done to the parent
// after Stream changes.

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/asyncgo/async"
)

func TestAttackStreamContextOneStory(t *testing.T) {
	rounds := 1500
	if testing.Short() {
		rounds = 150
	}
	var tally [4]int
	defer func() {
		t.Logf("never called %d, returned %d, stopped %d, other causes %d", tally[0], tally[1], tally[2], tally[3])
	}()
	for round := range rounds {
		attackStreamContextOneStory(t, round, &tally)
		if t.Failed() {
			t.Logf("round %d", round)
			return
		}
	}
}

type streamPanic struct{}

func attackStreamContextOneStory(t *testing.T, round int, tally *[4]int) {
	rng := rand.New(rand.NewPCG(uint64(round), 0x57))
	n := 2 + rng.IntN(20)
	limit := 1 + rng.IntN(3)
	target := rng.IntN(n)
	how := rng.IntN(4) // none, the parent cancelled, the consumer breaks, a call panics
	at := rng.IntN(n)  // where the consumer breaks, or which call panics
	asksDone := rng.IntN(2) == 0
	observers := rng.IntN(3)
	callSpin, cancelSpin := rng.IntN(4000), rng.IntN(4000)

	why, late := errors.New("parent's reason"), errors.New("later")
	parent, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	if how == 1 {
		go func() { ccSpin(cancelSpin); cancel(why) }()
	}
	var (
		kept    context.Context
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		stories = make([]*story, observers+1)
	)
	for i := range stories {
		stories[i] = &story{}
	}
	fn := func(ctx context.Context, i int) (int, error) {
		if how == 3 && i == at {
			ccSpin(cancelSpin)
			panic(streamPanic{})
		}
		if i != target {
			return i, nil
		}
		kept = ctx
		if asksDone {
			ctx.Done()
		}
		for o := range observers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := stories[o+1]
				for k := 0; ; k++ {
					select {
					case <-stop:
						s.look(ctx)
						return
					default:
					}
					s.look(ctx)
					if k%8 == 0 {
						ctx.Done()
						runtime.Gosched()
					}
				}
			}()
		}
		s := stories[0]
		for k := 0; k < callSpin; k++ {
			s.look(ctx)
			if ctx.Err() != nil {
				return i, ctx.Err()
			}
			if k%16 == 0 {
				runtime.Gosched()
			}
		}
		return i, nil
	}
	items := func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
	var got []int
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Stream panicked in the consumer: %v", r)
			}
		}()
		for i, r := range async.Stream(parent, items, fn, async.WithLimit(limit)) {
			got = append(got, i)
			if how == 2 && i == at {
				break
			}
			_ = r
		}
	}()
	if !slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}[:len(got)]) {
		t.Errorf("Stream yielded the indices %v, not in order", got)
	}
	close(stop)
	wg.Wait()
	if kept == nil {
		tally[0]++
		return
	}
	err, cause := kept.Err(), context.Cause(kept)
	cancel(late)
	if err2, cause2 := kept.Err(), context.Cause(kept); err2 != err || cause2 != cause {
		t.Errorf("the kept context said %v (cause %v), then %v (cause %v) once the parent was cancelled after Stream", err, cause, err2, cause2)
	}
	var pe *async.PanicError
	switch {
	case err == nil || cause == late:
		t.Fatalf("the kept context says %v (cause %v) after the call", err, cause)
	case cause == async.ErrTaskReturned:
		tally[1]++
	case cause == async.ErrStreamStopped && how == 2:
		tally[2]++
	case cause == why && how == 1, errors.As(cause, &pe) && how == 3 && target > at:
		tally[3]++
	default:
		t.Errorf("the kept context ended with %v (cause %v), scenario %d", err, cause, how)
	}
	if cause == async.ErrTaskReturned && err != context.Canceled {
		t.Errorf("the kept context says %v with cause ErrTaskReturned", err)
	}
	for i, s := range stories {
		if s.changed > 0 || (s.err != nil && s.err != err) || (s.cause != nil && s.cause != cause) {
			t.Errorf("observer %d (0 is the call): %s; first saw %v (cause %v), the kept context says %v (cause %v); %d changes",
				i, s.what, s.err, s.cause, err, cause, s.changed)
		}
	}
}
