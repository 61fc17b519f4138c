package async_test

// A call's context made by another goroutine while the call is seen
// cancelled, or across the call's return, in seeded rounds (branch
// verify6-repro, 7ba0d21). attack_end_call_internal_test.go holds the
// goroutines at the instants these rounds meet only now and then.

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/asyncgo/async"
)

// A goroutine holding a call's context that makes it (Done) while the
// call's parent is cancelled: another goroutine that has seen the context
// cancelled through the parent must not see it uncancelled afterwards,
// not even for an instant while what is made is being published.
func TestAttackCallContextMadeElsewhereWhileSeenCancelled(t *testing.T) {
	rounds := 400
	if testing.Short() {
		rounds = 50
	}
	why := errors.New("parent's reason")
	spinYields := runtime.GOMAXPROCS(0) < 2
	bad, badCause := 0, 0
	for round := range rounds {
		rng := rand.New(rand.NewPCG(uint64(round), 6))
		delay := rng.IntN(200)
		parent, cancel := context.WithCancelCause(context.Background())
		_, _ = async.Map(parent, []int{0, 1}, func(ctx context.Context, i int) (int, error) {
			if i == 0 {
				ctx.Done() // the task's context gets a Done channel of its own
				return 0, nil
			}
			var goMake, made atomic.Bool
			go func() { // already running, on another P if there is one
				for !goMake.Load() {
					if spinYields {
						runtime.Gosched()
					}
				}
				ccSpin(delay)
				ctx.Done()
				made.Store(true)
			}()
			go cancel(why)
			for ctx.Err() == nil {
				if spinYields {
					runtime.Gosched()
				}
			}
			first, firstCause := ctx.Err(), context.Cause(ctx)
			goMake.Store(true)
			for !made.Load() {
				if err := ctx.Err(); err != first {
					if bad++; bad == 1 {
						t.Errorf("round %d: the call's context said %v, then %v while made elsewhere", round, first, err)
					}
				}
				if c := context.Cause(ctx); c != firstCause {
					if badCause++; badCause == 1 {
						t.Errorf("round %d: the call's context's cause was %v, then %v while made elsewhere", round, firstCause, c)
					}
				}
				if spinYields {
					runtime.Gosched()
				}
			}
			return 0, nil
		}, async.WithLimit(1))
	}
	if bad+badCause > 0 {
		t.Errorf("%d looks at Err and %d at Cause, in %d rounds, told another story", bad, badCause, rounds)
	}
}

// A goroutine holding a call's context that starts making it (Done) as the
// call returns, the parent cancelled just after the return (at the start
// of the next call): the context kept says the call returned
// (ErrTaskReturned), never the later cancellation, and never, once the
// call has returned, that it is not cancelled.
func TestAttackCallContextMadeAcrossTheReturn(t *testing.T) {
	rounds := 600
	if testing.Short() {
		rounds = 60
	}
	later := errors.New("later")
	var mu sync.Mutex
	wrong, uncancelled := 0, 0
	for round := range rounds {
		rng := rand.New(rand.NewPCG(uint64(round), 66))
		makeAt, returnAt := rng.IntN(400), rng.IntN(400)
		parent, cancel := context.WithCancelCause(context.Background())
		var kept context.Context
		var returned atomic.Bool
		var wg sync.WaitGroup
		_, _ = async.Map(parent, []int{0, 1, 2}, func(ctx context.Context, i int) (int, error) {
			switch i {
			case 1:
				kept = ctx
				wg.Add(2)
				go func() {
					defer wg.Done()
					ccSpin(makeAt)
					ctx.Done()
				}()
				go func() { // looks from the instant the call has returned
					defer wg.Done()
					for !returned.Load() {
						runtime.Gosched()
					}
					for range 50 {
						if ctx.Err() == nil {
							mu.Lock()
							uncancelled++
							if uncancelled == 1 {
								t.Errorf("round %d: the call's context said not cancelled after the call returned", round)
							}
							mu.Unlock()
							return
						}
					}
				}()
				ccSpin(returnAt)
			case 2:
				returned.Store(true)
				cancel(later)
			}
			return 0, nil
		}, async.WithLimit(1))
		wg.Wait()
		if err, cause := kept.Err(), context.Cause(kept); err != context.Canceled || cause != async.ErrTaskReturned {
			wrong++
			if wrong == 1 {
				t.Errorf("round %d: the call's context kept says %v (cause %v), want %v (cause %v)",
					round, err, cause, context.Canceled, async.ErrTaskReturned)
			}
		}
		cancel(nil)
	}
	if wrong+uncancelled > 0 {
		t.Errorf("%d rounds ended with the later cause, %d said not cancelled after the call, of %d", wrong, uncancelled, rounds)
	}
}
