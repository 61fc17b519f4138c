package async_test

// The unretrieved-error report after ed640df: it is armed in the task's
// part (taskMore) that also holds the done callbacks, the first of them in
// the part itself, and the part with progress and the rest (taskRare)
// hangs off it. A failed task whose error nobody retrieved is reported
// once when it is collected, whichever parts it made and whatever its
// callbacks captured (the task itself included); one whose error a
// callback, an await or Result retrieved is not.

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/asyncgo/async"
)

var errSplit = errors.New("split failure")

func TestAttackUnretrievedReportWithSplitParts(t *testing.T) {
	var mu sync.Mutex
	reported := map[string]int{}
	prev := async.SetUnretrievedErrorHandler(func(task string, err error) {
		if strings.HasPrefix(task, "split-") && errors.Is(err, errSplit) {
			mu.Lock()
			reported[task]++
			mu.Unlock()
		}
	})
	defer func() { async.SetUnretrievedErrorHandler(prev) }()

	// Each case runs a task to its end and lets go of it; want says
	// whether its error must be reported.
	type taskCase struct {
		name string
		want bool
		run  func(name string)
	}
	failing := func(name string, gate <-chan struct{}, inside func(ctx context.Context)) *async.Task[int] {
		return async.Spawn(context.Background(), func(ctx context.Context) (int, error) {
			<-gate
			if inside != nil {
				inside(ctx)
			}
			return 0, errSplit
		}, async.WithName(name))
	}
	withCallbacks := func(n int, retrieve bool) func(string) {
		return func(name string) {
			gate := make(chan struct{})
			task := failing(name, gate, nil)
			for range n {
				task.AddDoneCallback(func(t *async.Task[int]) {
					if retrieve {
						t.Err()
					}
				})
			}
			close(gate)
			<-task.Done()
		}
	}
	cases := []taskCase{
		{"split-one-callback", true, withCallbacks(1, false)},
		{"split-three-callbacks", true, withCallbacks(3, false)},
		{"split-callback-retrieves", false, withCallbacks(1, true)},
		{"split-third-callback-retrieves", false, func(name string) {
			gate := make(chan struct{})
			task := failing(name, gate, nil)
			task.AddDoneCallback(func(*async.Task[int]) {})
			task.AddDoneCallback(func(*async.Task[int]) {})
			task.AddDoneCallback(func(t *async.Task[int]) { t.Result() })
			close(gate)
			<-task.Done()
		}},
		{"split-callback-holds-the-task", true, func(name string) {
			gate := make(chan struct{})
			task := failing(name, gate, nil)
			self := task
			task.AddDoneCallback(func(*async.Task[int]) { _ = self.State() })
			close(gate)
			<-task.Done()
		}},
		{"split-progress", true, func(name string) {
			gate := make(chan struct{})
			close(gate)
			task := failing(name, gate, func(ctx context.Context) { async.Report(ctx, 1, 2, "half") })
			<-task.Done()
		}},
		{"split-progress-and-callback", true, func(name string) {
			gate := make(chan struct{})
			task := failing(name, gate, func(ctx context.Context) {
				async.Report(ctx, 1, 2, "half")
				stop := context.AfterFunc(ctx, func() {})
				stop()
			})
			task.AddDoneCallback(func(*async.Task[int]) {})
			close(gate)
			<-task.Done()
		}},
		{"split-watched", true, func(name string) {
			gate := make(chan struct{})
			task := failing(name, gate, nil)
			done := make(chan struct{})
			go func() {
				defer close(done)
				async.Wait(context.Background(), async.AllCompleted, task)
			}()
			close(gate)
			<-done
		}},
		{"split-awaited", false, func(name string) {
			gate := make(chan struct{})
			close(gate)
			failing(name, gate, nil).Await(context.Background())
		}},
		{"split-renamed-", true, func(name string) {
			gate := make(chan struct{})
			close(gate)
			task := async.Spawn(context.Background(), func(ctx context.Context) (int, error) {
				async.Current(ctx).(interface{ SetName(string) }).SetName(name + "x")
				return 0, errSplit
			})
			<-task.Done()
		}},
		{"split-future", true, func(name string) {
			f := async.NewFuture[int](context.Background(), async.WithName(name))
			f.AddDoneCallback(func(*async.Task[int]) {})
			f.Fail(errSplit)
		}},
		{"split-future-callback-retrieves", false, func(name string) {
			f := async.NewFuture[int](context.Background(), async.WithName(name))
			f.AddDoneCallback(func(t *async.Task[int]) { t.Err() })
			f.Fail(errSplit)
		}},
	}
	want := map[string]bool{}
	for _, c := range cases {
		c.run(c.name)
		name := c.name
		if strings.HasSuffix(name, "-") {
			name += "x"
		}
		want[name] = c.want
	}
	// The reports come from the cleanups of collected tasks.
	complete := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for name, w := range want {
			if w && reported[name] == 0 {
				return false
			}
		}
		return true
	}
	for i := 0; i < 1000 && !complete(); i++ {
		runtime.GC()
		runtime.Gosched()
	}
	for range 5 {
		runtime.GC()
		runtime.Gosched()
	}
	mu.Lock()
	defer mu.Unlock()
	for name, w := range want {
		switch n := reported[name]; {
		case w && n != 1:
			t.Errorf("%s: reported %d times, want once", name, n)
		case !w && n != 0:
			t.Errorf("%s: its error was retrieved, yet it was reported %d times", name, n)
		}
	}
}
