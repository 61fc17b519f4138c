package async_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// Under CollectAll, Map runs every item whatever fails and returns every
// result and every error, each with its index.
func TestMapCollectAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fn := func(ctx context.Context, i int) (int, error) {
			if err := async.Sleep(ctx, time.Duration(i)*time.Second); err != nil {
				return 0, err
			}
			switch i {
			case 1:
				return 0, errBoom
			case 3:
				panic("item three")
			}
			return i * 10, nil
		}
		for _, limit := range []int{0, 2} {
			out, err := async.Map(t.Context(), []int{0, 1, 2, 3, 4}, fn, async.WithJoin(async.CollectAll()), async.WithLimit(limit))
			if want := []int{0, 0, 20, 0, 40}; !slices.Equal(out, want) {
				t.Errorf("limit %d: results %v, want %v: every success kept", limit, out, want)
			}
			var ge *async.GroupError
			if !errors.As(err, &ge) || len(ge.Errors) != 2 {
				t.Fatalf("limit %d: error %v, want a GroupError of 2", limit, err)
			}
			var ie *async.IndexError
			if !errors.As(ge.Errors[0], &ie) || ie.Index != 1 || !errors.Is(ie, errBoom) {
				t.Errorf("limit %d: first error %v, want item 1's boom", limit, ge.Errors[0])
			}
			var pe *async.PanicError
			if !errors.As(ge.Errors[1], &ie) || ie.Index != 3 || !errors.As(ie, &pe) {
				t.Errorf("limit %d: second error %v, want item 3's panic", limit, ge.Errors[1])
			}
		}
	})
}

// When ctx ends under CollectAll, Map keeps what succeeded and returns a
// CancelledError with ctx's cause, as WithGroup does: the calls cancelled
// are not failures, and the ones never made are not made.
func TestMapCollectAllCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(t.Context())
		stop := errors.New("stop")
		go func() { time.Sleep(1500 * time.Millisecond); cancel(stop) }()
		var made atomic.Int32
		out, err := async.Map(ctx, []int{1, 1, 1, 1}, func(ctx context.Context, i int) (int, error) {
			made.Add(1)
			return i, async.Sleep(ctx, time.Second)
		}, async.WithJoin(async.CollectAll()), async.WithLimit(1))
		var ce *async.CancelledError
		if !errors.As(err, &ce) || !errors.Is(err, stop) {
			t.Fatalf("Map = %v, %v; want a CancelledError with ctx's cause", out, err)
		}
		if out[0] != 1 || made.Load() != 2 {
			t.Errorf("results %v after %d calls; want item 0's kept, and items 2 and 3 never called", out, made.Load())
		}
	})
}

// Under FirstSuccess, GatherFunc keeps the first result and cancels the rest.
func TestGatherFuncFirstSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		race := async.FirstSuccess()
		fns := []func(context.Context) (string, error){
			sleepThen(time.Second, "", errBoom),
			sleepThen(2*time.Second, "b", nil),
			sleepThen(time.Hour, "c", nil),
		}
		out, err := async.GatherFunc(t.Context(), fns, async.WithJoin(race))
		if err != nil || race.Index() != 1 || out[race.Index()] != "b" || time.Since(start) != 2*time.Second {
			t.Errorf("GatherFunc = %q, %v, index %d after %v; want b at 1 after 2s", out, err, race.Index(), time.Since(start))
		}
		race = async.FirstSuccess()
		_, err = async.GatherFunc(t.Context(), fns[:1], async.WithJoin(race))
		if !errors.Is(err, errBoom) || race.Index() != -1 {
			t.Errorf("none succeeded: %v, index %d; want the failure, -1", err, race.Index())
		}
	})
}

// Map and GatherFunc honour any JoinPolicy, not only the built-in ones: a
// quorum of 2 in 4 stops Map once two calls have succeeded, and says so
// when it cannot be reached. Each call is handed to the policy with its
// index in its name and in its error.
func TestMapHonoursACustomJoinPolicy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		fn := func(ctx context.Context, i int) (int, error) {
			if err := async.Sleep(ctx, time.Duration(i+1)*time.Second); err != nil {
				return 0, err
			}
			return i, nil
		}
		out, err := async.Map(t.Context(), []int{0, 1, 2, 3}, fn, async.WithJoin(&quorum{need: 2, left: 4}))
		if err != nil || time.Since(start) != 2*time.Second || out[0] != 0 || out[1] != 1 {
			t.Errorf("quorum of 2: %v, %v after %v; want items 0 and 1 after 2s", out, err, time.Since(start))
		}
		fails := func(ctx context.Context) (int, error) { return 0, errBoom }
		_, err = async.GatherFunc(t.Context(), []func(context.Context) (int, error){fails, fails, fails}, async.WithJoin(&quorum{need: 2, left: 3}))
		if !errors.Is(err, errNoQuorum) {
			t.Errorf("GatherFunc with a quorum out of reach = %v; want the policy's errNoQuorum", err)
		}

		var names []string
		var idx []int
		rec := &recorder{join: func(h async.Handle, err error) {
			names = append(names, h.Name())
			var ie *async.IndexError
			if errors.As(err, &ie) {
				idx = append(idx, ie.Index)
			}
		}}
		_, err = async.Map(t.Context(), []int{0, 1}, func(ctx context.Context, i int) (int, error) {
			if i == 1 {
				return 0, errBoom
			}
			return i, nil
		}, async.WithJoin(rec), async.WithLimit(1))
		if err != nil || !slices.Equal(names, []string{"item 0", "item 1"}) || !slices.Equal(idx, []int{1}) {
			t.Errorf("the policy saw %v with failures at %v, and Map returned %v; want item 0 and item 1, a failure at 1, and the policy's nil", names, idx, err)
		}
	})
}

// recorder is a policy that calls join for every end and never cancels.
type recorder struct{ join func(async.Handle, error) }

func (r *recorder) Join(h async.Handle, err error) error { r.join(h, err); return nil }
func (r *recorder) Result() error                        { return nil }

// WinnerResult reads the winner's value, typed, without a type assertion;
// it reports false, never panics, for no winner and for a winner of
// another type.
func TestWinnerResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		race := async.FirstSuccess()
		fns := []func(context.Context) (string, error){
			sleepThen(time.Second, "", errBoom),
			sleepThen(2*time.Second, "b", nil),
		}
		if _, err := async.GatherFunc(t.Context(), fns, async.WithJoin(race)); err != nil {
			t.Fatal(err)
		}
		if v, ok := async.WinnerResult[string](race); !ok || v != "b" {
			t.Errorf("GatherFunc's winner = %q, %v; want b", v, ok)
		}
		if v, ok := async.WinnerResult[int](race); ok {
			t.Errorf("WinnerResult of the wrong type = %v, true; want false", v)
		}
		if v, ok := async.WinnerResult[string](async.FirstSuccess()); ok || v != "" {
			t.Errorf("no winner: %q, %v; want \"\", false", v, ok)
		}

		race = async.FirstSuccess()
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			async.Go(g, sleepThen(time.Second, 7, nil))
			async.Go(g, sleepThen(2*time.Second, 8, nil))
			return nil
		}, async.WithJoin(race))
		if v, ok := async.WinnerResult[int](race); err != nil || !ok || v != 7 {
			t.Errorf("a group's winner = %v, %v (%v); want 7", v, ok, err)
		}
		race = async.FirstSuccess()
		_ = async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			g.Go(func(context.Context) error { return nil })
			return nil
		}, async.WithJoin(race))
		if _, ok := async.WinnerResult[int](race); ok {
			t.Error("a Group.Go winner read as an int")
		}
		if race.Index() != -1 {
			t.Errorf("a group's Race.Index() = %d; want -1", race.Index())
		}
	})
}

// Every outcome of a batch, with its index.
func ExampleMap_collectAll() {
	parse := func(ctx context.Context, s string) (int, error) {
		var n int
		_, err := fmt.Sscan(s, &n)
		return n, err
	}
	out, err := async.Map(context.Background(), []string{"1", "x", "3"}, parse, async.WithJoin(async.CollectAll()))
	fmt.Println(out)
	fmt.Println(err)
	// Output:
	// [1 0 3]
	// group "items": 1 failure: item 1: expected integer
}
