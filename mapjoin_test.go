package async_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// Items a cancelled CollectAll never reached each get an error too.
func TestMapCollectAllCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		go func() { time.Sleep(1500 * time.Millisecond); cancel() }()
		out, err := async.Map(ctx, []int{1, 1, 1, 1}, func(ctx context.Context, i int) (int, error) {
			return i, async.Sleep(ctx, time.Second)
		}, async.WithJoin(async.CollectAll()), async.WithLimit(1))
		var ge *async.GroupError
		if !errors.As(err, &ge) || len(ge.Errors) != 3 {
			t.Fatalf("Map = %v, %v; want item 0 done and an error for each of the 3 others", out, err)
		}
		for k, e := range ge.Errors {
			var ie *async.IndexError
			if !errors.As(e, &ie) || ie.Index != k+1 || !errors.Is(e, context.Canceled) {
				t.Errorf("error %d = %v, want item %d cancelled", k, e, k+1)
			}
		}
		if out[0] != 1 {
			t.Errorf("item 0's result %v lost", out)
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

// A policy Map cannot honour is an error, not silently the default.
func TestMapRejectsOtherPolicies(t *testing.T) {
	_, err := async.Map(t.Context(), []int{1}, func(ctx context.Context, i int) (int, error) { return i, nil },
		async.WithJoin(&quorum{need: 1, left: 1}))
	if err == nil {
		t.Error("Map accepted a join policy it cannot honour")
	}
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
