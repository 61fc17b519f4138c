package async_test

// The context of a call of Map, GatherFunc or ForEach made in turn by one
// task (callcontext.go) is made on demand, by whichever goroutine holding
// it first asks for Done (or looks after the call). This test races that
// making against the parent's cancellation and the call's return, from
// other goroutines than the call's, and checks that every observer sees
// one story and that the context kept after the call answers as the
// type's doc says.

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

// ccSpin burns about n iterations without yielding, to place a goroutine's
// next step at a random instant.
func ccSpin(n int) {
	var x atomic.Int64
	for range n {
		x.Add(1)
	}
}

// story is what one observer of a context has seen: the first error and
// cause it saw, and how many looks differed from those afterwards.
type story struct {
	err, cause error
	changed    int
	what       string
}

func (s *story) look(ctx context.Context) {
	err, cause := ctx.Err(), context.Cause(ctx)
	if s.err == nil {
		s.err = err
	} else if err != s.err {
		s.changed++
		if s.what == "" {
			s.what = "Err " + s.err.Error() + " then " + errString(err)
		}
	}
	if s.cause == nil {
		s.cause = cause
	} else if cause != s.cause {
		s.changed++
		if s.what == "" {
			s.what = "Cause " + s.cause.Error() + " then " + errString(cause)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

type ccKey struct{}

// Calls of Map, GatherFunc and ForEach made in turn, one of them watched
// from the call and from goroutines holding its context, while the parent
// is cancelled (plainly, by a deadline, by a sibling's failure through the
// default policy, by FirstSuccess's winner) and the call returns: every
// observer sees one story, which is the kept context's after the call;
// that ends with ErrTaskReturned or a cause of the parent's, never one
// given after Map returned; derived contexts and AfterFunc follow it; its
// value and deadline are the parent's. Calls cross slab boundaries.
func TestAttackCallContextOneStory(t *testing.T) {
	rounds := 1500
	if testing.Short() {
		rounds = 150
	}
	var tally [3]int // target never called, ended with ErrTaskReturned, with the parent's cause
	defer func() { t.Logf("never called %d, returned %d, the parent's cause %d", tally[0], tally[1], tally[2]) }()
	for round := range rounds {
		attackCallContextOneStory(t, round, &tally)
		if t.Failed() {
			t.Logf("round %d", round)
			return
		}
	}
}

func attackCallContextOneStory(t *testing.T, round int, tally *[3]int) {
	rng := rand.New(rand.NewPCG(uint64(round), 0xca11))
	n := []int{2, 3, 65, 130}[rng.IntN(4)]
	limit := 1 + rng.IntN(2)
	if limit >= n {
		limit = 1
	}
	target := 1 + rng.IntN(n-1)
	policy := rng.IntN(3) // FailFast, CollectAll, FirstSuccess
	how := rng.IntN(5)    // none, cancel, deadline, a sibling fails, a sibling wins
	api := rng.IntN(3)    // Map, GatherFunc, ForEach
	asksDone := rng.IntN(2) == 0
	observers := rng.IntN(3)
	callSpin, cancelSpin := rng.IntN(3000), rng.IntN(3000)
	sibling := rng.IntN(n)
	if sibling == target {
		sibling = (target + 1) % n
	}

	why := errors.New("parent's reason")
	late := errors.New("later")
	siblingErr := errors.New("sibling failed")
	base, cancelBase := context.WithCancelCause(context.WithValue(context.Background(), ccKey{}, "v"))
	defer cancelBase(nil)
	parent := base
	if how == 2 {
		var stop context.CancelFunc
		parent, stop = context.WithTimeoutCause(base, time.Duration(cancelSpin/20)*time.Microsecond, why)
		defer stop()
	}
	if how == 1 {
		go func() { ccSpin(cancelSpin); cancelBase(why) }()
	}

	var (
		kept     context.Context
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		stories  = make([]*story, observers+1)
		derived  []context.Context
		afterRan atomic.Int32
		mu       sync.Mutex
		badValue atomic.Int32
	)
	for i := range stories {
		stories[i] = &story{}
	}
	call := func(ctx context.Context, i int) error {
		if i == target {
			kept = ctx
			if asksDone {
				ctx.Done()
			}
			for o := range observers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := stories[o+1]
					orng := rand.New(rand.NewPCG(uint64(round), uint64(o)))
					for k := 0; ; k++ {
						select {
						case <-stop:
							s.look(ctx)
							return
						default:
						}
						s.look(ctx)
						switch orng.IntN(8) {
						case 0:
							ctx.Done()
						case 1:
							if ctx.Value(ccKey{}) != "v" {
								badValue.Add(1)
							}
						case 2:
							if k < 4 {
								context.AfterFunc(ctx, func() { afterRan.Add(1) })
								mu.Lock()
								derived = append(derived, nil) // counts the AfterFuncs
								mu.Unlock()
							}
						case 3:
							if k < 4 {
								d, cancel := context.WithCancel(ctx)
								_ = cancel // cancelled by its parent, never by itself
								mu.Lock()
								derived = append(derived, d)
								mu.Unlock()
							}
						default:
							runtime.Gosched()
						}
					}
				}()
			}
			s := stories[0]
			for k := 0; k < callSpin; k++ {
				s.look(ctx)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if k%16 == 0 {
					runtime.Gosched()
				}
			}
			if policy == 2 && i != sibling {
				return siblingErr
			}
			return nil
		}
		switch {
		case how == 3 && i == sibling:
			ccSpin(cancelSpin)
			return siblingErr
		case policy == 2 && (how != 4 || i != sibling):
			return siblingErr // only the sibling (or the target) wins
		case how == 4 && i == sibling:
			ccSpin(cancelSpin)
		}
		return nil
	}
	var opts []async.FanOutOption
	opts = append(opts, async.WithLimit(limit))
	switch policy {
	case 1:
		opts = append(opts, async.WithJoin(async.CollectAll()))
	case 2:
		opts = append(opts, async.WithJoin(async.FirstSuccess()))
	}
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	switch api {
	case 0:
		_, _ = async.Map(parent, items, func(ctx context.Context, i int) (int, error) { return 0, call(ctx, i) }, opts...)
	case 1:
		fns := make([]func(context.Context) (int, error), n)
		for i := range fns {
			fns[i] = func(ctx context.Context) (int, error) { return 0, call(ctx, i) }
		}
		_, _ = async.GatherFunc(parent, fns, opts...)
	case 2:
		_ = async.ForEachIdx(parent, items, func(ctx context.Context, i int, _ *int) error { return call(ctx, i) }, opts...)
	}
	if kept == nil {
		tally[0]++
		return // the target call was never made: the calls were cancelled first
	}
	close(stop)
	wg.Wait()
	err, cause := kept.Err(), context.Cause(kept)
	if cause == async.ErrTaskReturned {
		tally[1]++
	} else {
		tally[2]++
	}
	cancelBase(late)
	if err2, cause2 := kept.Err(), context.Cause(kept); err2 != err || cause2 != cause {
		t.Errorf("the kept context said %v (cause %v), then %v (cause %v) once the parent was cancelled after Map", err, cause, err2, cause2)
	}
	if err == nil || cause == late {
		t.Fatalf("the kept context says %v (cause %v) after the call", err, cause)
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
	if badValue.Load() > 0 {
		t.Errorf("Value said other than the parent's %d times", badValue.Load())
	}
	if v := kept.Value(ccKey{}); v != "v" {
		t.Errorf("Value after the call: %v", v)
	}
	if d, ok := kept.Deadline(); func() bool { pd, pok := parent.Deadline(); return d != pd || ok != pok }() {
		t.Errorf("Deadline %v %v differs from the parent's", d, ok)
	}
	afters := 0
	for _, d := range derived {
		if d == nil {
			afters++
			continue
		}
		<-d.Done() // the test's timeout says if it never ends
		if c := context.Cause(d); c != cause {
			t.Errorf("a derived context's cause is %v, the call's %v", c, cause)
		}
	}
	for afterRan.Load() != int32(afters) {
		runtime.Gosched() // AfterFunc runs in a goroutine of its own
	}
}
