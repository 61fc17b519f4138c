package async_test

// Ports of the Joiner tests of Java's StructuredTaskScope (openjdk
// test/jdk/java/util/concurrent/StructuredTaskScope/StructuredTaskScopeTest.java),
// named after them: TestJavaSTS<their test>. Java's allSuccessfulOrThrow is
// FailFast here, anySuccessfulResultOrThrow FirstSuccess, awaitAll
// CollectAll (which also reports the failures), allUntil a policy of the
// user's; a fork is async.Go, or a call of Map. Each runs both in a group
// and through Map, which share the policies.

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

var errFoo = errors.New("FooException")

// allSuccessfulOrThrow with no subtasks.
func TestJavaSTSAllSuccessfulOrThrow1(t *testing.T) {
	if err := async.WithGroup(t.Context(), func(context.Context, *async.Group) error { return nil }, async.WithJoin(async.FailFast())); err != nil {
		t.Errorf("group: %v", err)
	}
	if out, err := async.Map(t.Context(), []int{}, func(context.Context, int) (int, error) { return 0, nil }, async.WithJoin(async.FailFast())); err != nil || len(out) != 0 {
		t.Errorf("Map: %v, %v", out, err)
	}
}

// allSuccessfulOrThrow with one success and one failure: the failure is
// the error.
func TestJavaSTSAllSuccessfulOrThrow3(t *testing.T) {
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		async.Go(g, func(context.Context) (string, error) { return "foo", nil })
		async.Go(g, func(context.Context) (string, error) { return "", errFoo })
		return nil
	}, async.WithJoin(async.FailFast()))
	if !errors.Is(err, errFoo) {
		t.Errorf("group: %v, want FooException", err)
	}
	_, err = async.Map(t.Context(), []int{0, 1}, func(_ context.Context, i int) (string, error) {
		if i == 1 {
			return "", errFoo
		}
		return "foo", nil
	}, async.WithJoin(async.FailFast()))
	var ie *async.IndexError
	if !errors.Is(err, errFoo) || !errors.As(err, &ie) || ie.Index != 1 {
		t.Errorf("Map: %v, want item 1's FooException", err)
	}
}

// anySuccessfulResultOrThrow with no subtasks: NoSuchElementException,
// here ErrNoSuccess.
func TestJavaSTSAnySuccessfulResultOrThrow1(t *testing.T) {
	race := async.FirstSuccess()
	err := async.WithGroup(t.Context(), func(context.Context, *async.Group) error { return nil }, async.WithJoin(race))
	if !errors.Is(err, async.ErrNoSuccess) || race.Winner() != nil {
		t.Errorf("group: %v, winner %v; want ErrNoSuccess and none", err, race.Winner())
	}
	race = async.FirstSuccess()
	_, err = async.Map(t.Context(), []int{}, func(context.Context, int) (int, error) { return 0, nil }, async.WithJoin(race))
	if !errors.Is(err, async.ErrNoSuccess) || race.Index() != -1 {
		t.Errorf("Map: %v, index %d; want ErrNoSuccess and -1", err, race.Index())
	}
}

// anySuccessfulResultOrThrow with a subtask that succeeds (2), with the
// zero value as its result (3, Java's null), and beside one that fails (4).
func TestJavaSTSAnySuccessfulResultOrThrow234(t *testing.T) {
	for _, c := range []struct {
		name string
		fns  []func(context.Context) (string, error)
		want string
	}{
		{"2", []func(context.Context) (string, error){func(context.Context) (string, error) { return "foo", nil }}, "foo"},
		{"3", []func(context.Context) (string, error){func(context.Context) (string, error) { return "", nil }}, ""},
		{"4", []func(context.Context) (string, error){
			func(context.Context) (string, error) { return "foo", nil },
			func(context.Context) (string, error) { return "", errFoo },
		}, "foo"},
	} {
		race := async.FirstSuccess()
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			for _, f := range c.fns {
				async.Go(g, f)
			}
			return nil
		}, async.WithJoin(race))
		if v, ok := async.WinnerResult[string](race); err != nil || !ok || v != c.want {
			t.Errorf("%s, group: %q, %v, %v; want %q", c.name, v, ok, err, c.want)
		}
		race = async.FirstSuccess()
		_, err = async.GatherFunc(t.Context(), c.fns, async.WithJoin(race))
		if v, ok := async.WinnerResult[string](race); err != nil || !ok || v != c.want || race.Index() != 0 {
			t.Errorf("%s, GatherFunc: %q, %v, %v at %d; want %q at 0", c.name, v, ok, err, race.Index(), c.want)
		}
	}
}

// anySuccessfulResultOrThrow with a subtask that fails: its failure.
func TestJavaSTSAnySuccessfulResultOrThrow5(t *testing.T) {
	fails := func(context.Context) (string, error) { return "", errFoo }
	race := async.FirstSuccess()
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		async.Go(g, fails)
		return nil
	}, async.WithJoin(race))
	if !errors.Is(err, errFoo) {
		t.Errorf("group: %v, want FooException", err)
	}
	_, err = async.GatherFunc(t.Context(), []func(context.Context) (string, error){fails}, async.WithJoin(async.FirstSuccess()))
	if !errors.Is(err, errFoo) {
		t.Errorf("GatherFunc: %v, want FooException", err)
	}
}

// awaitAll with one success and one failure: both run to their end, the
// success's result and the failure's error are in their handles.
func TestJavaSTSAwaitAll3(t *testing.T) {
	var ok, bad *async.Task[string]
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		ok = async.Go(g, func(context.Context) (string, error) { return "foo", nil })
		bad = async.Go(g, func(context.Context) (string, error) { return "", errFoo })
		return nil
	}, async.WithJoin(async.CollectAll()))
	if v, e := ok.Result(); v != "foo" || e != nil {
		t.Errorf("subtask1 = %q, %v", v, e)
	}
	if !errors.Is(bad.Err(), errFoo) || !errors.Is(err, errFoo) {
		t.Errorf("subtask2 = %v, group = %v; want FooException in both", bad.Err(), err)
	}
}

// untilFirst is allUntil(s -> true): the first end cancels the rest.
type untilFirst struct{}

func (untilFirst) Join(async.Handle, error) error { return errors.New("until") }
func (untilFirst) Result() error                  { return nil }

// allUntil cancelling after one subtask completes: the other, sleeping a
// day, ends cancelled (Java's UNAVAILABLE).
func TestJavaSTSAllUntil3(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var first, second *async.Task[string]
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			first = async.Go(g, func(context.Context) (string, error) { return "foo", nil })
			second = async.Go(g, func(ctx context.Context) (string, error) { return "bar", async.Sleep(ctx, 24*time.Hour) })
			return nil
		}, async.WithJoin(untilFirst{}))
		if v, e := first.Result(); err != nil || v != "foo" || e != nil || !second.Cancelled() {
			t.Errorf("group %v: first %q, %v; second %v; want foo and the second cancelled", err, v, e, second.State())
		}
		calls := 0
		out, err := async.Map(t.Context(), []int{0, 1}, func(ctx context.Context, i int) (string, error) {
			calls++
			if i == 0 {
				return "foo", nil
			}
			return "bar", async.Sleep(ctx, 24*time.Hour)
		}, async.WithJoin(untilFirst{}), async.WithLimit(1))
		if err != nil || out[0] != "foo" || out[1] != "" || calls != 1 {
			t.Errorf("Map: %q, %v after %d calls; want foo and item 1 never called", out, err, calls)
		}
	})
}

// throwingPolicy is allUntil with a predicate that throws.
type throwingPolicy struct{}

func (throwingPolicy) Join(async.Handle, error) error { panic("FooException") }
func (throwingPolicy) Result() error                  { return nil }

// allUntil whose predicate throws: Java hands the exception to the
// thread's handler; here the policy's panic is a failure of the group (and
// of Map), reported, never a crash.
func TestJavaSTSAllUntil5(t *testing.T) {
	err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
		async.Go(g, func(context.Context) (string, error) { return "foo", nil })
		return nil
	}, async.WithJoin(throwingPolicy{}))
	var pe *async.PanicError
	if !errors.As(err, &pe) || pe.Value != "FooException" {
		t.Errorf("group: %v, want the policy's PanicError", err)
	}
	_, err = async.Map(t.Context(), []int{0}, func(context.Context, int) (string, error) { return "foo", nil }, async.WithJoin(throwingPolicy{}))
	if !errors.As(err, &pe) || pe.Value != "FooException" {
		t.Errorf("Map: %v, want the policy's PanicError", err)
	}
}
