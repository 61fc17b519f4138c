package tasktree_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/tasktree"
)

//go:noinline
func blockedInReceive(ch <-chan int) int { return <-ch }

// TestStacks: with WithProfileLabels, AddStacks gives each task its own
// goroutine's stack and the runtime's wait reason, and Dump WithStacks
// writes them under each task; a scope without labels gets ErrNoLabels and
// no stacks.
func TestStacks(t *testing.T) {
	release := make(chan int)
	var snap *async.Snapshot
	var dump bytes.Buffer
	var dumpErr error
	err := async.Run(context.Background(), func(ctx context.Context) error {
		receiver := async.Spawn(ctx, func(ctx context.Context) (int, error) {
			return blockedInReceive(release), nil
		}, async.WithName("receiver"))
		sleeper := async.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 0, async.SleepNamed(ctx, time.Hour, "nap")
		}, async.WithName("sleeper"))
		for range 10_000 {
			snap = async.ScopeOf(ctx).Snapshot()
			if n := find(snap, "sleeper"); n != nil && n.State == async.Waiting {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(10 * time.Millisecond) // receiver is in its receive
		if err := tasktree.AddStacks(snap); err != nil {
			t.Error(err)
		}
		dumpErr = tasktree.Dump(ctx, &dump, tasktree.WithStacks())
		sleeper.Cancel(nil)
		close(release)
		_, err := receiver.Await(ctx)
		return err
	}, async.WithSignals(nil), async.WithProfileLabels())
	if err != nil || dumpErr != nil {
		t.Fatal(err, dumpErr)
	}
	r, s := find(snap, "receiver"), find(snap, "sleeper")
	if r.Goroutine == nil || s.Goroutine == nil {
		t.Fatalf("no goroutine for receiver (%+v) or sleeper (%+v)", r.Goroutine, s.Goroutine)
	}
	if r.Goroutine.Status != "chan receive" || !strings.Contains(r.Goroutine.Stack, "tasktree_test.blockedInReceive(") || strings.Contains(r.Goroutine.Stack, "SleepNamed") {
		t.Errorf("receiver's goroutine: %+v", r.Goroutine)
	}
	if s.Goroutine.Status != "select" || !strings.Contains(s.Goroutine.Stack, "async.SleepNamed(") || r.Goroutine.ID == s.Goroutine.ID {
		t.Errorf("sleeper's goroutine: %+v", s.Goroutine)
	}
	if m := find(snap, "main"); m.Goroutine == nil || !strings.Contains(m.Goroutine.Stack, "tasktree.AddStacks(") {
		t.Errorf("main's goroutine: %+v", m.Goroutine)
	}
	for _, want := range []string{
		`"receiver" running .*\n.*   goroutine \d+ \[chan receive\]:\n.*blockedInReceive\(`,
		`"sleeper" waiting .*\n.*goroutine \d+ \[select\]:\n(.*\n)*.*async\.SleepNamed\(`,
	} {
		if !regexp.MustCompile(want).MatchString(dump.String()) {
			t.Errorf("Dump WithStacks lacks %s:\n%s", want, dump.String())
		}
	}

	// Without the option: no stacks, and a clear error.
	err = async.Run(context.Background(), func(ctx context.Context) error {
		snap := async.ScopeOf(ctx).Snapshot()
		if err := tasktree.AddStacks(snap); !errors.Is(err, tasktree.ErrNoLabels) {
			t.Errorf("AddStacks without labels: %v, want ErrNoLabels", err)
		}
		if m := find(snap, "main"); m.Goroutine != nil {
			t.Errorf("main has a goroutine without labels: %+v", m.Goroutine)
		}
		return nil
	}, async.WithSignals(nil))
	if err != nil {
		t.Fatal(err)
	}
}

func find(s *async.Snapshot, name string) *async.TaskInfo {
	for i := range s.Nodes {
		if s.Nodes[i].Name == name {
			return &s.Nodes[i]
		}
	}
	return nil
}
