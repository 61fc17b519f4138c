package async_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

// A task's waiters and its error share one field (taskCore.outcome): Done,
// Gather, Await, Cancel and the task's end race here from many goroutines,
// and every one of them must see one story — the one channel Done handed
// out closes, every Gather returns the task's own result or error, and Err
// never changes once read. A receive from Done returns once the state is
// final.
func TestAttackOutcomeRaces(t *testing.T) {
	boom := errors.New("boom")
	for round := range 300 {
		ctx := context.Background()
		start := make(chan struct{})
		fail := round%3 == 1
		task := async.Spawn(ctx, func(ctx context.Context) (int, error) {
			<-start
			if fail {
				return 0, boom
			}
			return 7, nil
		})
		var wg sync.WaitGroup
		chans := make([]<-chan struct{}, 16)
		for i := range chans {
			wg.Go(func() { chans[i] = task.Done() })
		}
		gathered := make([]error, 16)
		for i := range gathered {
			wg.Go(func() {
				out, err := async.Gather(ctx, task, task)
				if err == nil && (out[0] != 7 || out[1] != 7) {
					t.Errorf("round %d: Gather = %v", round, out)
				}
				gathered[i] = err
			})
		}
		settled := make([]async.Result[int], 0, 2)
		var mu sync.Mutex
		wg.Go(func() {
			r := async.GatherSettled(ctx, task)
			mu.Lock()
			settled = append(settled, r...)
			mu.Unlock()
		})
		cancelled := false
		if round%3 == 2 {
			wg.Go(func() { cancelled = task.Cancel(nil) })
		}
		close(start)
		v, err := task.Await(ctx)
		wg.Wait()
		first := task.Err()
		// The channel closes just after the task's state becomes final
		// (Await may return in between): a receive from it returns, and
		// then the state, result and error are final.
		for i, ch := range chans {
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
				t.Fatalf("round %d: Done channel %d still open 10s after the task finished", round, i)
			}
			if s := task.State(); s != async.Done && s != async.Cancelled {
				t.Fatalf("round %d: State = %v after Done channel %d closed", round, s, i)
			}
		}
		for i, gerr := range gathered {
			if (gerr == nil) != (err == nil) || (err != nil && !errors.Is(gerr, boom) && !errors.Is(gerr, context.Canceled)) {
				t.Errorf("round %d: Gather %d = %v, Await = %v", round, i, gerr, err)
			}
		}
		if len(settled) != 1 || (settled[0].Err == nil) != (err == nil) || (err == nil && settled[0].Value != 7) {
			t.Errorf("round %d: GatherSettled = %+v, Await = %d, %v", round, settled, v, err)
		}
		if fail && !cancelled && !errors.Is(err, boom) {
			t.Errorf("round %d: Await = %v, want %v", round, err, boom)
		}
		if again := task.Err(); again != first || !errors.Is(err, first) && first != err {
			t.Errorf("round %d: Err = %v, then %v; Await said %v", round, first, again, err)
		}
	}
}
