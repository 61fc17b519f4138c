package async_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// sleepThen returns a task function that sleeps d, then returns v and err.
func sleepThen[T any](d time.Duration, v T, err error) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		if serr := async.Sleep(ctx, d); serr != nil {
			var zero T
			return zero, serr
		}
		return v, err
	}
}

func TestFailFastIsTheDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var slow *async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, sleepThen(time.Second, 0, errBoom))
			slow = async.Go(g, sleepThen(time.Hour, 1, nil))
			return nil
		}, async.WithJoin(async.FailFast()))
		if !errors.Is(err, errBoom) || !slow.Cancelled() {
			t.Errorf("WithGroup = %v, sibling %v: want the failure, the sibling cancelled", err, slow.State())
		}
	})
}

// Under CollectAll a failure cancels nothing: every task runs to its end,
// every result is kept, every failure returned in order.
func TestCollectAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		errOther := errors.New("other")
		policy := async.CollectAll()
		var tasks []*async.Task[int]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			tasks = append(tasks,
				async.Go(g, sleepThen(time.Second, 0, errBoom), async.WithName("a")),
				async.Go(g, sleepThen(3*time.Second, 2, nil), async.WithName("b")),
				async.Go(g, sleepThen(2*time.Second, 0, errOther), async.WithName("c")),
			)
			return nil
		}, async.WithJoin(policy))
		if time.Since(start) != 3*time.Second {
			t.Errorf("WithGroup returned after %v, want 3s: every task runs to its end", time.Since(start))
		}
		var ge *async.GroupError
		if !errors.As(err, &ge) || len(ge.Errors) != 2 || !errors.Is(ge.Errors[0], errBoom) || !errors.Is(ge.Errors[1], errOther) {
			t.Fatalf("WithGroup = %v, want a GroupError of boom then other", err)
		}
		if v, err := tasks[1].Result(); v != 2 || err != nil {
			t.Errorf("the successful task's result = %v, %v", v, err)
		}
		if err := policy.Result(); !errors.As(err, &ge) || len(ge.Errors) != 2 {
			t.Errorf("Collector's Result = %v, want its 2 errors", err)
		}
		if err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, sleepThen(time.Second, 1, nil))
			return nil
		}, async.WithJoin(async.CollectAll())); err != nil {
			t.Errorf("CollectAll with no failure = %v, want nil", err)
		}
	})
}

// Under FirstSuccess the first success wins at once and cancels the rest;
// failures before it do not count.
func TestFirstSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		race := async.FirstSuccess()
		var slow *async.Task[string]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, sleepThen(time.Second, "", errBoom))
			async.Go(g, sleepThen(2*time.Second, "mirror b", nil))
			slow = async.Go(g, sleepThen(time.Hour, "mirror c", nil))
			return nil
		}, async.WithJoin(race))
		if err != nil || time.Since(start) != 2*time.Second {
			t.Fatalf("WithGroup = %v after %v, want nil after 2s", err, time.Since(start))
		}
		w, ok := race.Winner().(*async.Task[string])
		if !ok {
			t.Fatalf("Winner() = %T, want the *Task[string]", race.Winner())
		}
		if v, err := w.Result(); v != "mirror b" || err != nil {
			t.Errorf("winner's result = %q, %v", v, err)
		}
		if !slow.Cancelled() || !errors.Is(slow.Err(), async.ErrFirstSuccess) {
			t.Errorf("the slow mirror: %v %v, want cancelled by ErrFirstSuccess", slow.State(), slow.Err())
		}
	})
}

func TestFirstSuccessNoWinner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errOther := errors.New("other")
		race := async.FirstSuccess()
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, sleepThen(time.Second, 0, errBoom))
			async.Go(g, sleepThen(2*time.Second, 0, errOther))
			return nil
		}, async.WithJoin(race))
		if !errors.Is(err, errBoom) || !errors.Is(err, errOther) || race.Winner() != nil {
			t.Errorf("all failed: %v, winner %v; want every failure and no winner", err, race.Winner())
		}
		err = async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error { return nil },
			async.WithJoin(async.FirstSuccess()))
		if !errors.Is(err, async.ErrNoSuccess) {
			t.Errorf("no task: %v, want ErrNoSuccess", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		go func() { time.Sleep(time.Second); cancel() }()
		err = async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
			async.Go(g, sleepThen(time.Hour, 0, nil))
			return nil
		}, async.WithJoin(async.FirstSuccess()))
		if !errors.Is(err, context.Canceled) || errors.Is(err, async.ErrNoSuccess) {
			t.Errorf("caller cancelled: %v, want the cancellation", err)
		}
	})
}

// quorum is a policy users write: it stops the group once need tasks have
// succeeded, or once success is out of reach, and says which.
type quorum struct {
	mu             sync.Mutex
	need, left     int
	succeeded, bad int
}

var errNoQuorum = errors.New("no quorum")

func (q *quorum) Join(t async.Handle, err error) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.left--
	if err == nil {
		q.succeeded++
	} else {
		q.bad++
	}
	switch {
	case q.succeeded == q.need:
		return errors.New("quorum reached")
	case q.succeeded+q.left < q.need:
		return errNoQuorum
	}
	return nil
}

func (q *quorum) Result() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.succeeded < q.need {
		return fmt.Errorf("%w: %d of %d", errNoQuorum, q.succeeded, q.need)
	}
	return nil
}

func TestCustomJoinPolicy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		run := func(fails int) (time.Duration, error) {
			start := time.Now()
			err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
				for i := range 5 {
					var err error
					if i < fails {
						err = errBoom
					}
					async.Go(g, sleepThen(time.Duration(i+1)*time.Second, i, err))
				}
				return nil
			}, async.WithJoin(&quorum{need: 3, left: 5}))
			return time.Since(start), err
		}
		if took, err := run(0); err != nil || took != 3*time.Second {
			t.Errorf("quorum of 3 in 5: %v after %v, want nil after 3s", err, took)
		}
		if took, err := run(3); !errors.Is(err, errNoQuorum) || took != 3*time.Second {
			t.Errorf("3 of 5 failing: %v after %v, want no quorum, known at 3s", err, took)
		}
	})
}

type panickyPolicy struct{}

func (panickyPolicy) Join(async.Handle, error) error { panic("policy bug") }
func (panickyPolicy) Result() error                  { return nil }

// A panicking policy fails the group; it crashes nothing.
func TestJoinPolicyPanic(t *testing.T) {
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		g.Go(func(context.Context) error { return nil })
		return nil
	}, async.WithJoin(panickyPolicy{}))
	var pe *async.PanicError
	if !errors.As(err, &pe) || pe.Value != "policy bug" {
		t.Errorf("WithGroup = %v, want the policy's panic", err)
	}
}

// Hedged requests: ask three mirrors, keep the first answer, cancel the rest.
func ExampleFirstSuccess() {
	mirror := func(name string, d time.Duration) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := async.Sleep(ctx, d); err != nil {
				return "", err
			}
			return "from " + name, nil
		}
	}
	race := async.FirstSuccess()
	err := async.WithGroup(context.Background(), func(ctx context.Context, g *async.Group) error {
		async.Go(g, mirror("eu", 30*time.Millisecond))
		async.Go(g, mirror("us", time.Millisecond))
		async.Go(g, mirror("ap", time.Hour))
		return nil
	}, async.WithJoin(race))
	v, _ := race.Winner().(*async.Task[string]).Result()
	fmt.Println(v, err)
	// Output: from us <nil>
}

// Independent checks: run them all, report every failure.
func ExampleCollectAll() {
	check := func(name string, ok bool) func(context.Context) error {
		return func(context.Context) error {
			if !ok {
				return errors.New(name + " is down")
			}
			return nil
		}
	}
	err := async.WithGroup(context.Background(), func(ctx context.Context, g *async.Group) error {
		g.Go(check("db", false), async.WithName("db"))
		g.Go(check("cache", true), async.WithName("cache"))
		return nil
	}, async.WithJoin(async.CollectAll()), async.WithName("health"))
	fmt.Println(err)
	// Output: group "health": 1 failure: task "db": db is down
}

// The default: the first failure cancels the rest.
func ExampleFailFast() {
	err := async.WithGroup(context.Background(), func(ctx context.Context, g *async.Group) error {
		g.Go(func(context.Context) error { return errors.New("bad input") }, async.WithName("parse"))
		g.Go(func(ctx context.Context) error { return async.Sleep(ctx, time.Hour) }, async.WithName("wait"))
		return nil
	}, async.WithJoin(async.FailFast()), async.WithName("job"))
	fmt.Println(err)
	// Output: group "job": 1 failure: task "parse": bad input
}

// A policy of one's own: succeed once 2 of 3 replicas have acknowledged.
func ExampleJoinPolicy() {
	err := async.WithGroup(context.Background(), func(ctx context.Context, g *async.Group) error {
		for _, d := range []time.Duration{time.Millisecond, 2 * time.Millisecond, time.Hour} {
			g.Go(func(ctx context.Context) error { return async.Sleep(ctx, d) })
		}
		return nil
	}, async.WithJoin(&quorum{need: 2, left: 3}))
	fmt.Println(err)
	// Output: <nil>
}
