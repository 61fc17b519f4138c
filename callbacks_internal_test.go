package async

import (
	"context"
	"math"
	"runtime"
	"slices"
	"testing"
	"weak"
)

// Removing a watcher's callbacks, first or not, keeps the others in the
// order they were added, and they all run in that order.
func TestDoneCallbacksKeepTheirOrderWhenOneIsRemoved(t *testing.T) {
	for _, watcherAt := range []int{0, 1, 3} {
		release := make(chan struct{})
		task := Spawn(context.Background(), func(context.Context) (int, error) { <-release; return 0, nil })
		c := &completions{ch: make(chan int, 1)}
		var ran []int
		for i := range 4 {
			if i == watcherAt {
				if !task.addCallback(doneCallback{c: c, i: 0}) {
					t.Fatal("task finished early")
				}
				continue
			}
			task.AddDoneCallback(func(*Task[int]) { ran = append(ran, i) })
		}
		task.removeCallbacks(c)
		last := make(chan struct{})
		task.AddDoneCallback(func(*Task[int]) { close(last) })
		close(release)
		<-last // the callbacks run in order, in the task's goroutine
		want := slices.DeleteFunc([]int{0, 1, 2, 3}, func(i int) bool { return i == watcherAt })
		if !slices.Equal(ran, want) {
			t.Errorf("watcher added at %d and removed: callbacks ran %v, want %v", watcherAt, ran, want)
		}
		if len(c.ch) != 0 {
			t.Errorf("watcher added at %d: removed, yet told of the end", watcherAt)
		}
	}
}

// TestDoneCallbackMakesOnePart checks that a done callback on a task that
// has no extra part yet (an untracked, unnamed one) costs one allocation
// for the parts that hold it: the callbacks live in the task's rarely
// needed part, which comes with the extra part in one allocation, so that
// keeping them out of the extra part (which a tracked task has from the
// start) costs such a task no allocation more.
func TestDoneCallbackMakesOnePart(t *testing.T) {
	f := func(*Task[int]) {}
	// Each measurement's tasks stay running while it counts (a callback on
	// a finished task runs at once), and all of them have exited before the
	// next one starts: a go statement with no exited goroutine to reuse
	// allocates one, so both measurements must start with the same supply,
	// whatever tests ran before this one.
	base := runtime.NumGoroutine()
	measure := func(callback bool) float64 {
		release := make(chan struct{})
		tasks := make([]*Task[int], 0, 64)
		n := testing.AllocsPerRun(20, func() {
			task := Spawn(context.Background(), func(context.Context) (int, error) { <-release; return 0, nil })
			if callback {
				task.AddDoneCallback(f)
			}
			tasks = append(tasks, task)
		})
		close(release)
		for _, task := range tasks {
			task.Await(context.Background())
		}
		for runtime.NumGoroutine() > base {
			runtime.Gosched()
		}
		return n
	}
	plain, with := math.Inf(1), math.Inf(1)
	for range 3 {
		runtime.GC()
		plain = min(plain, measure(false))
		with = min(with, measure(true))
	}
	// AddDoneCallback's closure and the parts; the first callback has room
	// in them.
	if got := with - plain; got != 2 {
		t.Errorf("a done callback cost %v allocations beyond the task's, want 2 (its closure and the parts)", got)
	}
}

// TestFinishedTaskKeepsNoCallback: once a task's done callbacks have run,
// the task, still held, keeps nothing they referred to; with one callback
// (kept inside the task's part) and with several (kept in a slice).
func TestFinishedTaskKeepsNoCallback(t *testing.T) {
	for _, n := range []int{1, 3} {
		task := Spawn(context.Background(), func(context.Context) (int, error) { return 1, nil })
		var refs []weak.Pointer[[1 << 12]byte]
		for range n {
			big := new([1 << 12]byte)
			refs = append(refs, weak.Make(big))
			task.AddDoneCallback(func(*Task[int]) { big[0]++ })
		}
		if _, err := task.Await(context.Background()); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			runtime.GC()
		}
		for i, r := range refs {
			if r.Value() != nil {
				t.Errorf("%d callbacks: what callback %d referred to is kept by the finished task", n, i)
			}
		}
		runtime.KeepAlive(task)
	}
}
