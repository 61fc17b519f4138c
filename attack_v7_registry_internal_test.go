package async

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
	"weak"
)

// v7Task is a task core with the state the attack gives it, so that a
// reader that finds the core in the registry finds its state too: the core
// is the first field.
type v7Task struct {
	core  taskCore
	state atomic.Int32
}

const (
	v7Unborn = iota
	v7Tracking
	v7Tracked
	v7Ending
	v7Ended
)

// v7CollidingTasks returns n tasks of s whose homes collide in every table
// of up to 2^20 slots: task i has home (i+1)<<20 + i%homes, in shard
// i%shards, so that the tasks pile up on a few homes, overflow, and make
// the tables grow (and, once they end, shrink) all the time.
func v7CollidingTasks(s *Scope, first, n, homes, shards int) []*v7Task {
	tasks := make([]*v7Task, n)
	for j := range tasks {
		i := first + j
		x := new(v7Task)
		home := uint64(i+1)<<20 + uint64(i%homes)
		x.core.id = home*trackShards + uint64(i%shards)
		x.core.extra.Store(&taskExtra{track: &s.self})
		tasks[j] = x
	}
	return tasks
}

// TestAttackV7RegistryCollidingHomes attacks the registry where its table
// is weakest: every task's home collides with many others (ids 2^26
// apart), so that most tasks go to the overflow, the tables double under
// the trackers and shrink after every collection, and a track's claim
// lands in tables retired meanwhile. Makers track and untrack without the
// lock on several goroutines; a resizer replaces the tables as growth and
// reclaim would; readers list the registry all the while. Every reading
// must list each task at most once, never one whose untrack returned
// before the reading began, and always one tracked before it began and
// not yet untracked when it ended.
func TestAttackV7RegistryCollidingHomes(t *testing.T) {
	for _, c := range []struct {
		name          string
		homes, shards int
	}{
		{"one home", 1, 1},
		{"four homes", 4, 2},
		{"nine homes", 9, 3}, // homes 8 apart and within one probe of another
	} {
		t.Run(c.name, func(t *testing.T) { testV7Colliding(t, c.homes, c.shards) })
	}
}

func testV7Colliding(t *testing.T, homes, shards int) {
	s := newScope(context.Background(), runConfig{})
	defer s.close()
	const (
		makers  = 4
		batch   = 48
		perRun  = 40 * batch
		readers = 2
	)
	fn := func(context.Context) (int, error) { return 0, nil }
	all := v7CollidingTasks(s, 0, makers*perRun, homes, shards)
	var stop, failed atomic.Bool
	fail := func(format string, args ...any) {
		if failed.CompareAndSwap(false, true) {
			t.Errorf(format, args...)
		}
	}
	var started sync.WaitGroup
	started.Add(readers)
	var busy atomic.Int64 // readings that listed a task
	var wg sync.WaitGroup
	for m := range makers {
		wg.Go(func() {
			started.Wait()
			var ends sync.WaitGroup
			mine := all[m*perRun : (m+1)*perRun]
			for lo := 0; lo < len(mine) && !failed.Load(); lo += batch {
				b := mine[lo : lo+batch]
				for _, x := range b {
					x.state.Store(v7Tracking)
					s.track(&x.core, fn)
					x.state.Store(v7Tracked)
				}
				// The first batch stays until a reading has listed a task
				// (on one core the readers might otherwise not run while
				// the makers do).
				for deadline := time.Now().Add(10 * time.Second); lo == 0 && busy.Load() == 0 && time.Now().Before(deadline); {
					runtime.Gosched()
				}
				// End the batch on another goroutine, in the reverse
				// order, while the next one is tracked.
				ends.Go(func() {
					for i := len(b) - 1; i >= 0; i-- {
						b[i].state.Store(v7Ending)
						s.untrack(&b[i].core)
						b[i].state.Store(v7Ended)
					}
				})
			}
			ends.Wait()
		})
	}
	var reads sync.WaitGroup
	// The resizer: what placeLocked and reclaimRegistries do, more often.
	reads.Go(func() {
		for n := 0; !stop.Load() && !failed.Load(); n++ {
			for i := range shards {
				sh := &s.shards[i]
				sh.mu.Lock()
				switch n % 3 {
				case 0:
					sh.reclaimLocked()
				case 1:
					if tab := sh.tab.Load(); tab != nil && len(tab.slots) < 1<<12 {
						sh.resize(2 * len(tab.slots))
					}
				case 2:
					if tab := sh.tab.Load(); tab != nil {
						sh.resize(max(trackMinSlots, len(tab.slots)/4))
					}
				}
				sh.mu.Unlock()
			}
			if n%64 == 0 {
				runtime.GC() // and the collections' own reclaim
			}
			runtime.Gosched()
		}
	})
	for range readers {
		reads.Go(func() {
			before := make([]int32, len(all))
			listed := make(map[*v7Task]bool)
			for n := 0; !stop.Load() && !failed.Load(); n++ {
				if n == 1 {
					started.Done()
				}
				for i, x := range all {
					before[i] = x.state.Load()
				}
				clear(listed)
				s.eachTask(func(e trackEntry) {
					x := (*v7Task)(unsafe.Pointer(e.task))
					if listed[x] {
						fail("task %d listed twice", x.core.id)
					}
					listed[x] = true
					if e.fn != funcEntry(fn) {
						fail("task %d listed with function %#x", x.core.id, e.fn)
					}
				})
				if len(listed) > 0 {
					busy.Add(1)
				}
				for i, x := range all {
					switch after := x.state.Load(); {
					case before[i] == v7Ended && listed[x]:
						fail("task %d listed after its untrack returned", x.core.id)
					case after == v7Unborn && listed[x]:
						fail("task %d listed though its track had not begun when the reading ended", x.core.id)
					case before[i] == v7Tracked && after == v7Tracked && !listed[x]:
						fail("live task %d (home %d) not listed", x.core.id, x.core.id/trackShards)
					}
				}
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	reads.Wait()
	if busy.Load() == 0 {
		t.Error("no reading met a live task: the test checked nothing")
	}
	if n := s.Len(); n != 0 {
		t.Errorf("%d tasks listed after all were untracked", n)
	}
	for i := range shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		if len(sh.overflow) != 0 {
			t.Errorf("shard %d: %d tasks left in the overflow", i, len(sh.overflow))
		}
		sh.mu.Unlock()
	}
}

// TestAttackV7RegistryClaimAcrossTwoResizes: a track claims a slot of a
// table, and before it looks whether that table is retired, two resizes
// have replaced it (so the table it claimed in is not the one retired
// last). It must record its task again, once, in the shard's table, and
// its untrack must find it there.
func TestAttackV7RegistryClaimAcrossTwoResizes(t *testing.T) {
	s := new(Scope)
	sh := &s.shards[0]
	fn := func(context.Context) (int, error) { return 0, nil }
	others := v7CollidingTasks(s, 0, 20, 1, 1) // 8 in the table, 12 overflow
	for _, x := range others {
		s.track(&x.core, fn)
	}
	late := v7CollidingTasks(s, 100, 1, 1, 1)[0]
	late.core.extra.Load().site = funcEntry(fn)
	old := sh.tab.Load()
	sh.mu.Lock()
	sh.resize(2 * len(old.slots))
	sh.resize(4 * len(old.slots))
	sh.mu.Unlock()
	// resize emptied the old table, so the late claim lands there.
	p := old.claim(&late.core)
	if p == nil {
		t.Fatal("no slot in the retired table")
	}
	if !old.retired.Load() {
		t.Fatal("the replaced table is not retired")
	}
	sh.retake(p, &late.core)
	count := func() (n int) {
		s.eachTask(func(e trackEntry) {
			if e.task == &late.core {
				n++
			}
		})
		return n
	}
	if n := count(); n != 1 {
		t.Fatalf("the late task is listed %d times", n)
	}
	if got := s.Len(); got != len(others)+1 {
		t.Errorf("%d tasks listed, want %d", got, len(others)+1)
	}
	s.untrack(&late.core)
	for _, x := range others {
		s.untrack(&x.core)
	}
	if got := s.Len(); got != 0 {
		t.Errorf("%d tasks listed after all were untracked", got)
	}
	for i := range old.slots {
		if atomic.LoadPointer(&old.slots[i]) != nil {
			t.Errorf("the retired table still holds a task in slot %d", i)
		}
	}
}

// TestAttackV7RegistryKeepsNoUntrackedTask checks that tasks that went
// through the overflow, the tables' growth and shrinking, and claims in
// retired tables, are collectable once untracked: no table, retired or
// not, and no overflow keeps one. The tasks are tracked and untracked
// on several goroutines while the tables are replaced.
func TestAttackV7RegistryKeepsNoUntrackedTask(t *testing.T) {
	s := newScope(context.Background(), runConfig{})
	defer s.close()
	fn := func(context.Context) (int, error) { return 0, nil }
	const n, workers = 2000, 4
	refs := make([]weak.Pointer[v7Task], n)
	var stop atomic.Bool
	var resizer sync.WaitGroup
	resizer.Go(func() {
		for k := 0; !stop.Load(); k++ {
			sh := &s.shards[k%2]
			sh.mu.Lock()
			if tab := sh.tab.Load(); tab != nil {
				if k%2 == 0 {
					sh.resize(min(2*len(tab.slots), 1<<12))
				} else {
					sh.resize(max(trackMinSlots, len(tab.slots)/2))
				}
			}
			sh.mu.Unlock()
			runtime.Gosched()
		}
	})
	// Keep a few tasks tracked throughout, so that the tables keep
	// moving tasks while the others come and go.
	keep := v7CollidingTasks(s, n, 16, 3, 2)
	for _, x := range keep {
		s.track(&x.core, fn)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			per := n / workers
			tasks := v7CollidingTasks(s, w*per, per, 3, 2)
			for i, x := range tasks {
				refs[w*per+i] = weak.Make(x)
				s.track(&x.core, fn)
			}
			for i := range tasks {
				s.untrack(&tasks[i].core)
				tasks[i] = nil
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	resizer.Wait()
	if got := s.Len(); got != len(keep) {
		t.Fatalf("%d tasks listed, want the %d kept", got, len(keep))
	}
	alive := 0
	for range 3 {
		runtime.GC()
		alive = 0
		for _, r := range refs {
			if r.Value() != nil {
				alive++
			}
		}
		if alive == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if alive != 0 {
		t.Errorf("%d of %d untracked tasks outlived three collections", alive, n)
	}
	for _, x := range keep {
		s.untrack(&x.core)
	}
	if got := s.Len(); got != 0 {
		t.Errorf("%d tasks listed after all were untracked", got)
	}
}
