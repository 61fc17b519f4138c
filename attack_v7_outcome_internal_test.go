package async

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestAttackV7OutcomeWaitersWhilePending attacks the waiters a pending
// task keeps in its outcome field and its callbacks: Done from many
// goroutines, Gathers (the same task twice in one, and in several at
// once), Waits whose ctx ends and AsCompleted loops that stop early, all
// at once. While the task is pending, every Done caller has the one
// channel the outcome holds; once the Waits and AsCompleted loops are
// gone, nothing of theirs is left on the task, and the Gathers' counters
// are all there (one in the outcome, the others as callbacks), each as
// many times as the task is in its Gather. At the end the outcome is the
// error, every Gather returns, and the task keeps no callbacks.
func TestAttackV7OutcomeWaitersWhilePending(t *testing.T) {
	boom := errors.New("boom")
	for round := range 100 {
		ctx := context.Background()
		release := make(chan struct{})
		task := Spawn(ctx, func(ctx context.Context) (int, error) {
			<-release
			if round%2 == 1 {
				return 0, boom
			}
			return 5, nil
		})
		var wg sync.WaitGroup
		chans := make([]<-chan struct{}, 8)
		for i := range chans {
			wg.Go(func() { chans[i] = task.Done() })
		}
		for range 4 {
			wg.Go(func() {
				actx, cancel := context.WithTimeout(ctx, 100*time.Microsecond)
				defer cancel()
				for h := range AsCompleted(actx, task, task) {
					if h != nil {
						t.Error("AsCompleted yielded a pending task")
					}
					break
				}
			})
			wg.Go(func() {
				wctx, cancel := context.WithTimeout(ctx, 100*time.Microsecond)
				defer cancel()
				if done, _, _ := Wait(wctx, FirstCompleted, task, task); len(done) != 0 {
					t.Error("Wait found a pending task done")
				}
			})
		}
		var gathers sync.WaitGroup
		gerrs := make([]error, 3)
		for i := range gerrs {
			gathers.Go(func() {
				tasks := []*Task[int]{task}
				for range i + 1 {
					tasks = append(tasks, task)
				}
				out, err := Gather(ctx, tasks...)
				if err == nil {
					for j, v := range out {
						if v != 5 {
							t.Errorf("round %d: Gather %d has %d at %d", round, i, v, j)
						}
					}
				}
				gerrs[i] = err
			})
		}
		wg.Wait()
		// Every Gather has registered once its counters are all there:
		// 2+3+4 places.
		want := 9
		deadline := time.Now().Add(10 * time.Second)
		for {
			task.mu.Lock()
			done, counter := task.waitersLocked()
			counters, others := 0, 0
			if counter != nil {
				counters++
			}
			if m := task.madeMore(); m != nil {
				for _, cb := range m.callbacks {
					if cb.c != nil && cb.c.counting {
						counters++
					} else {
						others++
					}
				}
			}
			task.mu.Unlock()
			for i, ch := range chans {
				if ch != (<-chan struct{})(done) {
					t.Fatalf("round %d: Done caller %d has another channel than the task's", round, i)
				}
			}
			if others != 0 {
				t.Fatalf("round %d: %d callbacks of Waits and AsCompleted loops that returned are left", round, others)
			}
			if counters == want || time.Now().After(deadline) {
				if counters != want {
					t.Fatalf("round %d: %d counters on the task, want %d", round, counters, want)
				}
				break
			}
			time.Sleep(50 * time.Microsecond)
		}
		close(release)
		gathers.Wait()
		for i, err := range gerrs {
			if (round%2 == 1) != errors.Is(err, boom) || (round%2 == 0 && err != nil) {
				t.Errorf("round %d: Gather %d = %v", round, i, err)
			}
		}
		task.mu.Lock()
		if _, isErr := task.outcome.(error); task.outcome != nil && !isErr {
			t.Errorf("round %d: the finished task's outcome is %T", round, task.outcome)
		}
		// (complete clears the room for the first callback after running
		// them, without the lock: not looked at here.)
		if m := task.madeMore(); m != nil && m.callbacks != nil {
			t.Errorf("round %d: the finished task keeps %d callbacks", round, len(m.callbacks))
		}
		task.mu.Unlock()
	}
}
