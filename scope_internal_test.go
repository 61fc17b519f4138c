package async

import (
	"context"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
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
		tasks[i].extra.Store(&taskExtra{track: &s.self})
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
			tasks[k][i].extra.Store(&taskExtra{track: &s.self})
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

// registrySlots returns how many slots s's registry has.
func registrySlots(s *Scope) (n int) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.chunks) * trackChunkSlots
		sh.mu.Unlock()
	}
	return n
}

// trackTasks records n tasks, numbered from 1, in s's registry.
func trackTasks(s *Scope, n int) []taskCore {
	tasks := make([]taskCore, n)
	fn := func(context.Context) (int, error) { return 0, nil }
	for i := range tasks {
		tasks[i].id = uint64(i + 1)
		tasks[i].extra.Store(&taskExtra{track: &s.self})
		s.track(&tasks[i], fn)
	}
	return tasks
}

// burst tracks n tasks in s, then untracks all but every (n/keep)th, and
// returns the tasks.
func burst(t *testing.T, s *Scope, n, keep int) []taskCore {
	tasks := trackTasks(s, n)
	// The shards grow by half at a time, as the tasks come.
	if got := registrySlots(s); got < n || got > 2*n {
		t.Fatalf("%d slots for %d tasks", got, n)
	}
	for i := range tasks {
		if i%(n/keep) != 0 {
			s.untrack(&tasks[i])
		}
	}
	return tasks
}

// checkKept checks that s lists exactly the tasks burst kept, and then
// untracks them.
func checkKept(t *testing.T, s *Scope, tasks []taskCore, keep int) {
	t.Helper()
	n := len(tasks)
	if got := len(s.tasks()); got != keep {
		t.Fatalf("Tasks() has %d tasks, want %d", got, keep)
	}
	for _, h := range s.tasks() {
		if (h.ID()-1)%uint64(n/keep) != 0 {
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

// shrunk is the most slots a registry may keep for keep live tasks once it
// has reclaimed: what the live tasks fill, and reclaimMin chunks a shard.
func shrunk(keep int) int { return 4*keep + trackShards*reclaimMin*trackChunkSlots }

// TestRegistryShrinks checks that after a burst of tasks, and nothing
// after it, the registry's slots follow the live tasks, not the peak, once
// the garbage collector has run (untrack never looks at the shard: the
// collection is what reclaims an idle registry), and that reclaiming keeps
// every remaining task findable and removable.
func TestRegistryShrinks(t *testing.T) {
	s := newScope(context.Background(), runConfig{})
	defer s.close()
	const n, keep = 100000, 100
	tasks := burst(t, s, n, keep)
	// The reclaim runs on the runtime's cleanup goroutine after a
	// collection: give it a few.
	got := registrySlots(s)
	for i := 0; i < 100 && got > shrunk(keep); i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
		got = registrySlots(s)
	}
	if got > shrunk(keep) {
		t.Errorf("%d slots left for %d live tasks: the registry did not shrink", got, keep)
	}
	checkKept(t, s, tasks, keep)
}

// TestRegistryShrinksAsTasksComeAndGo checks that a registry that keeps
// recording tasks after a burst shrinks by itself, as the sweep for free
// slots goes round and finds them mostly free, with no collection's help:
// its scope is not among the live ones that the collections reclaim.
func TestRegistryShrinksAsTasksComeAndGo(t *testing.T) {
	s := new(Scope)
	const n, keep = 100000, 100
	tasks := burst(t, s, n, keep)
	peak := registrySlots(s)
	fn := func(context.Context) (int, error) { return 0, nil }
	churn := make([]taskCore, trackShards)
	for i := range churn {
		churn[i].extra.Store(&taskExtra{track: &s.self})
	}
	// Enough tasks, one at a time, for every shard's sweep to go round.
	for range 2 * peak / trackShards {
		for i := range churn {
			churn[i].id = lastTaskID.Add(1)
			s.track(&churn[i], fn)
			s.untrack(&churn[i])
		}
	}
	if got := registrySlots(s); got > shrunk(keep) {
		t.Errorf("%d slots left for %d live tasks: the registry did not shrink", got, keep)
	}
	checkKept(t, s, tasks, keep)
}

// TestRegistryListsExactlyTheLiveTasks starts and ends tasks on several
// goroutines while others read the registry, and checks every reading: a
// task whose untrack had returned before the reading began is not listed,
// a task tracked before it began and still live when it ended is, and a
// listed task's function is its own, not that of a task that held the slot
// before it. untrack takes no lock, so it races with the readers and with
// track reusing the slots it clears.
func TestRegistryListsExactlyTheLiveTasks(t *testing.T) {
	s := newScope(context.Background(), runConfig{})
	defer s.close()
	const (
		makers  = 4
		batch   = 64
		perRun  = 48 * batch
		readers = 2
	)
	const (
		unborn = iota
		tracked
		ending
		ended
	)
	fns := []func(context.Context) (int, error){
		func(context.Context) (int, error) { return 0, nil },
		func(context.Context) (int, error) { return 1, nil },
		func(context.Context) (int, error) { return 2, nil },
	}
	var pcs []uintptr
	for _, f := range fns {
		pcs = append(pcs, reflect.ValueOf(f).Pointer())
	}
	tasks := make([]taskCore, makers*perRun)
	states := make([]atomic.Int32, len(tasks))
	byID := make(map[uint64]int, len(tasks))
	for i := range tasks {
		tasks[i].id = lastTaskID.Add(1)
		tasks[i].extra.Store(&taskExtra{track: &s.self})
		byID[tasks[i].id] = i
	}
	var stop atomic.Bool
	var started sync.WaitGroup // the readers' first reading, before any task
	started.Add(readers)
	var wg sync.WaitGroup
	for m := range makers {
		wg.Go(func() {
			started.Wait()
			// Track a batch, then end it on another goroutine while the
			// next batch is tracked, so slots are cleared and reused
			// concurrently.
			var ends sync.WaitGroup
			for lo := m * perRun; lo < (m+1)*perRun; lo += batch {
				for i := lo; i < lo+batch; i++ {
					s.track(&tasks[i], fns[i%len(fns)])
					states[i].Store(tracked)
				}
				ends.Go(func() {
					for i := lo; i < lo+batch; i++ {
						states[i].Store(ending)
						s.untrack(&tasks[i])
						states[i].Store(ended)
					}
				})
			}
			ends.Wait()
		})
	}
	var failed atomic.Bool
	var reads sync.WaitGroup
	var busyReads atomic.Int64 // readings that listed a task
	for range readers {
		reads.Go(func() {
			before := make([]int32, len(tasks))
			for n := 0; !stop.Load() && !failed.Load(); n++ {
				if n == 1 {
					started.Done()
				}
				for i := range states {
					before[i] = states[i].Load()
				}
				listed := make(map[int]bool)
				s.eachTask(func(e trackEntry) {
					i := byID[e.task.id]
					listed[i] = true
					if e.fn != pcs[i%len(pcs)] {
						failed.Store(true)
						t.Errorf("task %d listed with another task's function", i)
					}
				})
				if len(listed) > 0 {
					busyReads.Add(1)
				}
				for i := range states {
					switch after := states[i].Load(); {
					case before[i] == ended && listed[i]:
						failed.Store(true)
						t.Errorf("task %d listed after its untrack returned", i)
					case before[i] == tracked && after == tracked && !listed[i]:
						failed.Store(true)
						t.Errorf("live task %d not listed", i)
					}
				}
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	reads.Wait()
	if busyReads.Load() == 0 {
		t.Error("no reading met a live task: the test checked nothing")
	}
	if n := s.Len(); n != 0 {
		t.Fatalf("%d tasks listed after all ended", n)
	}
}

// TestReclaimKeepsTheSweepOfAFullShard checks that reclaiming a shard whose
// chunks all hold tasks (as every collection does, see reclaimRegistries)
// leaves its chunks and its sweep as they were: starting the sweep over
// would make the next task's search for a free slot look at every slot of
// the shard, after every collection.
func TestReclaimKeepsTheSweepOfAFullShard(t *testing.T) {
	s := new(Scope)
	const n = 2 * trackShards * reclaimMin * trackChunkSlots
	trackTasks(s, n)
	sh := &s.shards[0]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	chunks, next := len(sh.chunks), sh.next
	if chunks <= reclaimMin {
		t.Fatalf("%d chunks: the shard is too small for reclaim to look at it", chunks)
	}
	sh.reclaim()
	if len(sh.chunks) != chunks || sh.next != next {
		t.Errorf("reclaim of a full shard: %d chunks, sweep at %d; want %d and %d as before", len(sh.chunks), sh.next, chunks, next)
	}
}

// TestSnapshotAllocatesOncePerTask checks what a snapshot allocates for
// each live task: its default name, and nothing for reading the registry
// (the entries it copies are values).
func TestSnapshotAllocatesOncePerTask(t *testing.T) {
	s := newScope(context.Background(), runConfig{})
	defer s.close()
	const n = 1000
	tasks := make([]taskCore, n)
	fn := func(context.Context) (int, error) { return 0, nil }
	for i := range tasks {
		tasks[i].id = lastTaskID.Add(1)
		tasks[i].parent = context.Background()
		tasks[i].extra.Store(&taskExtra{track: &s.self})
		s.track(&tasks[i], fn)
	}
	defer func() {
		for i := range tasks {
			s.untrack(&tasks[i])
		}
	}()
	if got := len(s.Snapshot().Nodes); got != n {
		t.Fatalf("snapshot of %d nodes, want %d", got, n)
	}
	allocs := testing.AllocsPerRun(5, func() { s.Snapshot() })
	if allocs > n+32 {
		t.Errorf("a snapshot of %d tasks allocates %v times, want at most one a task and a few more", n, allocs)
	}
}

type entryRecv struct{ n int }

func (r entryRecv) value(context.Context) (int, error)    { return r.n, nil }
func (r *entryRecv) pointer(context.Context) (int, error) { return r.n, nil }

func entryGeneric[T any](context.Context) (T, error) { var v T; return v, nil }

// TestFuncEntryIsReflectPointer: funcEntry, which track records a task's
// function with, agrees with reflect.Value.Pointer for every kind of
// function a task is started with, and says 0 for a nil one.
func TestFuncEntryIsReflectPointer(t *testing.T) {
	n := 3
	r := &entryRecv{n: 1}
	var nilFn func(context.Context) (int, error)
	for _, c := range []struct {
		name string
		fn   any
	}{
		{"top-level", TestFuncEntryIsReflectPointer},
		{"closure", func(context.Context) (int, error) { return n, nil }},
		{"closure without captures", func(context.Context) error { return nil }},
		{"method value", r.value},
		{"pointer method value", r.pointer},
		{"method expression", (*entryRecv).pointer},
		{"generic", entryGeneric[string]},
		{"generic library function", Spawn[int]},
		{"nil", nilFn},
	} {
		if got, want := funcEntry(c.fn), reflect.ValueOf(c.fn).Pointer(); got != want {
			t.Errorf("%s: funcEntry = %#x, reflect says %#x", c.name, got, want)
		}
	}
	if funcEntry(nilFn) != 0 {
		t.Error("funcEntry of a nil function is not 0")
	}
}

// TestFuncEntryAllocatesNothing: recording a task's function costs no
// allocation.
func TestFuncEntryAllocatesNothing(t *testing.T) {
	fn := func(context.Context) (int, error) { return 0, nil }
	var sink uintptr
	if n := testing.AllocsPerRun(100, func() { sink += funcEntry(fn) }); n != 0 {
		t.Errorf("funcEntry allocates %v times", n)
	}
}
