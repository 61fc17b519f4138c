package async

import (
	"context"
	"slices"
	"testing"
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
