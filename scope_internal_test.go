package async

import (
	"context"
	"sync"
	"testing"
	"time"
)

// BenchmarkTrackUntrack is the registry's share of a tracked task's cost:
// recording it when it is made and clearing it when it ends, with nothing
// else around, so the number is steady on a busy machine where whole
// spawn+await runs are not.
func BenchmarkTrackUntrack(b *testing.B) {
	s := newScope(context.Background(), runConfig{})
	defer s.close()
	const batch = 1000
	tasks := make([]taskCore, batch)
	for i := range tasks {
		tasks[i].id = lastTaskID.Add(1)
		tasks[i].extra.Store(&taskExtra{track: s})
	}
	fn := func(context.Context) (int, error) { return 0, nil }
	b.ReportAllocs()
	cpu0, _ := processCPU()
	for b.Loop() {
		for i := range tasks {
			s.track(&tasks[i], fn)
		}
		for i := range tasks {
			s.untrack(&tasks[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/task")
	reportCPU(b, cpu0, b.N*batch)
}

// reportCPU reports the CPU time the process spent since cpu0 per task, as
// cpu-ns/task, where the platform tells it.
func reportCPU(b *testing.B, cpu0 time.Duration, tasks int) {
	if cpu1, ok := processCPU(); ok {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(tasks), "cpu-ns/task")
	}
}

// BenchmarkTrackUntrackAcrossCores is the registry as tasks use it: one
// goroutine records tasks as it makes them while another clears them as
// they end, so the shards' cache lines move between two cores, as they do
// between a spawning goroutine and the goroutines its tasks run on.
func BenchmarkTrackUntrackAcrossCores(b *testing.B) {
	s := newScope(context.Background(), runConfig{})
	defer s.close()
	const batch, batches = 256, 8
	tasks := make([][]taskCore, batches)
	for k := range tasks {
		tasks[k] = make([]taskCore, batch)
		for i := range tasks[k] {
			tasks[k][i].id = lastTaskID.Add(1)
			tasks[k][i].extra.Store(&taskExtra{track: s})
		}
	}
	fn := func(context.Context) (int, error) { return 0, nil }
	tracked := make(chan []taskCore, batches-2)
	var done sync.WaitGroup
	done.Go(func() {
		for ts := range tracked {
			for i := range ts {
				s.untrack(&ts[i])
			}
		}
	})
	// A batch is reused only once the other goroutine has cleared it:
	// when the batch made batches-1 rounds after it was sent, the channel
	// (room for batches-2) has given out at least the batch after it, so
	// the other goroutine, which clears them in order, is done with it.
	k := 0
	cpu0, _ := processCPU()
	for b.Loop() {
		ts := tasks[k%batches]
		for i := range ts {
			s.track(&ts[i], fn)
		}
		tracked <- ts
		k++
	}
	close(tracked)
	done.Wait()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/task")
	reportCPU(b, cpu0, b.N*batch) // both goroutines' time
}

// TestRegistryShrinks checks that after a burst of tasks the registry's
// slots follow the live tasks, not the peak, and that compaction keeps
// every remaining task findable and removable.
func TestRegistryShrinks(t *testing.T) {
	s := newScope(context.Background(), runConfig{})
	defer s.close()
	const n, keep = 100000, 100
	tasks := make([]taskCore, n)
	fn := func(context.Context) (int, error) { return 0, nil }
	for i := range tasks {
		tasks[i].id = uint64(i + 1)
		tasks[i].extra.Store(&taskExtra{track: s})
		s.track(&tasks[i], fn)
	}
	slots := func() (n int) {
		for i := range s.shards {
			n += len(s.shards[i].slots)
		}
		return n
	}
	if got := slots(); got != n {
		t.Fatalf("%d slots for %d tasks", got, n)
	}
	// Finish all but every 1000th task.
	for i := range tasks {
		if i%(n/keep) != 0 {
			s.untrack(&tasks[i])
		}
	}
	if got := slots(); got > 4*keep+trackShards*compactMin {
		t.Errorf("%d slots left for %d live tasks: the registry did not shrink", got, keep)
	}
	if got := len(s.tasks()); got != keep {
		t.Fatalf("Tasks() has %d tasks, want %d", got, keep)
	}
	for _, h := range s.tasks() {
		if (h.ID()-1)%(n/keep) != 0 {
			t.Fatalf("task %d is listed but finished", h.ID())
		}
	}
	for i := 0; i < n; i += n / keep {
		s.untrack(&tasks[i])
	}
	if got := s.Len(); got != 0 {
		t.Fatalf("%d live after every task finished", got)
	}
}
