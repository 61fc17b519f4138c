package async

import (
	"context"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
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
		if tab := sh.tab.Load(); tab != nil {
			n += len(tab.slots)
		}
		n += len(sh.overflow)
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
	// The tables double as the tasks come, when an eighth of their size
	// has overflowed: at the end they are at most twice too large.
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
// has reclaimed: four times (rounded up to a power of two) what the live
// tasks need, or trackMinSlots a shard.
func shrunk(keep int) int { return 8*keep + trackShards*trackMinSlots }

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

// TestRegistryShrinksAsTasksComeAndGo checks that a registry shrinks
// after a burst while tasks keep being recorded and cleared, on other
// goroutines, as the collections reclaim it: the tables are replaced under
// the tasks that come and go, and every one of them is still found and
// cleared.
func TestRegistryShrinksAsTasksComeAndGo(t *testing.T) {
	s := newScope(context.Background(), runConfig{})
	defer s.close()
	const n, keep = 100000, 100
	tasks := burst(t, s, n, keep)
	fn := func(context.Context) (int, error) { return 0, nil }
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			churn := make([]taskCore, 3*trackShards)
			for i := range churn {
				churn[i].extra.Store(&taskExtra{track: &s.self})
			}
			for !stop.Load() {
				for i := range churn {
					churn[i].id = lastTaskID.Add(1)
					s.track(&churn[i], fn)
				}
				for i := range churn {
					s.untrack(&churn[i])
				}
			}
		})
	}
	got := registrySlots(s)
	for i := 0; i < 100 && got > shrunk(keep+6*trackShards); i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
		got = registrySlots(s)
	}
	stop.Store(true)
	wg.Wait()
	if got > shrunk(keep+6*trackShards) {
		t.Errorf("%d slots left for at most %d live tasks: the registry did not shrink", got, keep+6*trackShards)
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
	t.Run("steady", func(t *testing.T) { testListsExactlyTheLiveTasks(t, false) })
	// With the tables replaced, larger and smaller, all the time: every
	// task is moved while it is recorded, cleared and listed.
	t.Run("resizing", func(t *testing.T) { testListsExactlyTheLiveTasks(t, true) })
}

func testListsExactlyTheLiveTasks(t *testing.T, resizing bool) {
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
	if resizing {
		reads.Go(func() {
			for n := 0; !stop.Load() && !failed.Load(); n++ {
				for i := range s.shards {
					sh := &s.shards[i]
					sh.mu.Lock()
					size := trackMinSlots
					if tab := sh.tab.Load(); tab != nil {
						size = len(tab.slots)
					}
					// Up to 256 slots and down again, eight moves each way:
					// at times too small for the live tasks, so that some
					// overflow.
					if n/8%2 == 0 {
						size *= 2
					} else {
						size = max(trackMinSlots, size/2)
					}
					sh.resize(size)
					sh.mu.Unlock()
				}
				runtime.Gosched()
			}
		})
	}
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
					if listed[i] {
						failed.Store(true)
						t.Errorf("task %d listed twice", i)
					}
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

// TestReclaimKeepsAFullTable checks that reclaiming a shard whose table
// holds many tasks (as every collection does, see reclaimRegistries)
// leaves its table as it was: moving every task after every collection
// would cost as much as the collection.
func TestReclaimKeepsAFullTable(t *testing.T) {
	s := new(Scope)
	const n = 8 * trackShards * trackMinSlots
	trackTasks(s, n)
	sh := &s.shards[0]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	tab := sh.tab.Load()
	if len(tab.slots) <= trackMinSlots {
		t.Fatalf("%d slots: the table is too small for reclaim to look at it", len(tab.slots))
	}
	sh.reclaimLocked()
	if sh.tab.Load() != tab {
		t.Errorf("reclaim replaced a table of %d slots holding %d tasks", len(tab.slots), sh.liveLocked())
	}
}

// shardTasks returns n tasks of shard 0 with consecutive homes from first,
// ready to be tracked in s.
func shardTasks(s *Scope, first, n int) []taskCore {
	tasks := make([]taskCore, n)
	for i := range tasks {
		tasks[i].id = uint64(first+i) * trackShards
		tasks[i].extra.Store(&taskExtra{track: &s.self})
	}
	return tasks
}

// listedOnce checks that s lists each of tasks exactly once, and no other.
func listedOnce(t *testing.T, s *Scope, tasks ...[]taskCore) {
	t.Helper()
	want := make(map[*taskCore]bool)
	for _, ts := range tasks {
		for i := range ts {
			want[&ts[i]] = true
		}
	}
	seen := make(map[*taskCore]bool)
	s.eachTask(func(e trackEntry) {
		switch {
		case seen[e.task]:
			t.Errorf("task %d listed twice", e.task.id)
		case !want[e.task]:
			t.Errorf("task %d listed but not live", e.task.id)
		}
		seen[e.task] = true
	})
	if len(seen) < len(want) {
		t.Errorf("%d tasks listed, want %d", len(seen), len(want))
	}
}

// TestRegistryGrowsAsTasksOverflow checks that a shard's table doubles as
// its tasks overflow, that the tasks it held before are all moved into the
// new one, and that untrack finds each of them wherever it is.
func TestRegistryGrowsAsTasksOverflow(t *testing.T) {
	s := new(Scope)
	sh := &s.shards[0]
	fn := func(context.Context) (int, error) { return 0, nil }
	tasks := shardTasks(s, 1, 1000)
	var sizes []int
	for i := range tasks {
		s.track(&tasks[i], fn)
		if n := len(sh.tab.Load().slots); len(sizes) == 0 || sizes[len(sizes)-1] != n {
			sizes = append(sizes, n)
		}
	}
	if want := []int{32, 64, 128, 256, 512, 1024}; !slices.Equal(sizes, want) {
		t.Errorf("the table grew through sizes %v, want %v", sizes, want)
	}
	listedOnce(t, s, tasks)
	// Every other task, then the rest.
	for i := 0; i < len(tasks); i += 2 {
		s.untrack(&tasks[i])
	}
	for i := 1; i < len(tasks); i += 2 {
		s.untrack(&tasks[i])
	}
	if n := s.Len(); n != 0 {
		t.Errorf("%d tasks listed after all were untracked", n)
	}
}

// TestRegistryClusterOverflows checks that long-lived tasks whose homes
// are next to each other do not make a table grow at every lap of the ids
// round it: the tasks whose home is in the cluster go to the overflow,
// which the tasks that come and go leave as they go.
func TestRegistryClusterOverflows(t *testing.T) {
	s := new(Scope)
	sh := &s.shards[0]
	fn := func(context.Context) (int, error) { return 0, nil }
	// 24 long-lived tasks with consecutive homes, and no more: an eighth
	// of a table of 256.
	long := shardTasks(s, 1, 24)
	for i := range long {
		s.track(&long[i], fn)
	}
	size := len(sh.tab.Load().slots)
	// 200 laps of the table, 16 tasks at a time.
	first := len(long) + 1
	for range 200 * size / 16 {
		churn := shardTasks(s, first, 16)
		first += len(churn)
		for i := range churn {
			s.track(&churn[i], fn)
		}
		listedOnce(t, s, long, churn)
		for i := range churn {
			s.untrack(&churn[i])
		}
	}
	if got := len(sh.tab.Load().slots); got > 4*size {
		t.Errorf("the table grew from %d to %d slots for %d live tasks", size, got, len(long)+16)
	}
	listedOnce(t, s, long)
}

// TestRegistryRetakesAClaimInARetiredTable checks what track does when
// the table it claimed a slot in was retired meanwhile, both ways: resize
// saw the claim and moved the task, or it did not and the task records
// itself again.
func TestRegistryRetakesAClaimInARetiredTable(t *testing.T) {
	s := new(Scope)
	sh := &s.shards[0]
	fn := func(context.Context) (int, error) { return 0, nil }
	tasks := shardTasks(s, 1, 3)
	s.track(&tasks[0], fn) // the shard has a table
	for _, moved := range []bool{true, false} {
		x := &tasks[1]
		if !moved {
			x = &tasks[2]
		}
		x.extra.Load().site = funcEntry(fn)
		old := sh.tab.Load()
		var p *unsafe.Pointer
		if moved {
			p = old.claim(x) // before resize looks
		}
		sh.mu.Lock()
		sh.resize(2 * len(old.slots))
		sh.mu.Unlock()
		if !moved {
			p = old.claim(x) // after
		}
		if !old.retired.Load() {
			t.Fatal("resize left the old table in service")
		}
		sh.retake(p, x)
		if got := atomic.LoadPointer(p); got != nil {
			t.Errorf("moved %v: the retired table still holds a task", moved)
		}
	}
	listedOnce(t, s, tasks)
	for i := range tasks {
		s.untrack(&tasks[i])
	}
	listedOnce(t, s)
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
