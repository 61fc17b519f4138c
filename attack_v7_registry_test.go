package async_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

// v7Rec follows one task of the attack: its ID once Spawn returned, and
// how far it got.
type v7Rec struct {
	id    atomic.Uint64
	phase atomic.Int32
}

const (
	v7Unspawned = iota
	v7Spawned   // Spawn returned; the task blocks until released
	v7Released  // its release was closed: it may end at any moment
	v7SeenDone  // its Done channel was seen closed
)

// TestAttackV7AllTasksAndSnapshotWhileTasksComeAndGo attacks the registry
// through Run: spawners start tasks (plain, and a group's) in bursts large
// enough for the tables to grow, and end them, while the collections
// shrink the tables and readers call AllTasks and Snapshot without pause.
// Every reading lists each task at most once; never a task whose Done was
// seen closed before the reading began (AllTasks and Snapshot alike: the
// task is untracked before it is seen finished); always a task that was
// spawned before the reading began and not released when it ended. A
// Snapshot lists no finished task.
func TestAttackV7AllTasksAndSnapshotWhileTasksComeAndGo(t *testing.T) {
	const (
		spawners = 3
		bursts   = 6
		burst    = 400
		readers  = 2
	)
	recs := make([]v7Rec, spawners*bursts*burst)
	err := async.Run(t.Context(), func(ctx context.Context) error {
		scope := async.ScopeOf(ctx)
		var failed, stop atomic.Bool
		fail := func(format string, args ...any) {
			if failed.CompareAndSwap(false, true) {
				t.Errorf(format, args...)
			}
		}
		var readersStarted sync.WaitGroup
		readersStarted.Add(readers)
		var busy atomic.Int64 // readings that listed tasks
		var wg sync.WaitGroup
		for sp := range spawners {
			wg.Go(func() {
				readersStarted.Wait()
				mine := recs[sp*bursts*burst : (sp+1)*bursts*burst]
				for b := range bursts {
					if failed.Load() {
						return
					}
					recsB := mine[b*burst : (b+1)*burst]
					release := make(chan struct{})
					tasks := make([]async.Handle, burst)
					err := async.WithGroup(ctx, func(gctx context.Context, g *async.Group) error {
						for i := range recsB {
							var h async.Handle
							if i%2 == 0 {
								h = async.Spawn(gctx, func(context.Context) (int, error) {
									<-release
									return i, nil
								})
							} else {
								h = g.Go(func(context.Context) error {
									<-release
									return nil
								})
							}
							tasks[i] = h
							recsB[i].id.Store(h.ID())
							recsB[i].phase.Store(v7Spawned)
						}
						// Let the readers see them; the first burst waits until a
						// reading has listed tasks (on one core the readers might
						// otherwise not run while the spawners do).
						runtime.Gosched()
						for deadline := time.Now().Add(10 * time.Second); b == 0 && busy.Load() == 0 && time.Now().Before(deadline); {
							runtime.Gosched()
						}
						for i := range recsB {
							recsB[i].phase.Store(v7Released)
						}
						close(release)
						return nil
					})
					if err != nil {
						fail("group: %v", err)
						return
					}
					for i, h := range tasks {
						<-h.Done()
						recsB[i].phase.Store(v7SeenDone)
					}
				}
			})
		}
		var reads sync.WaitGroup
		reads.Go(func() { // the collections shrink the tables
			for !stop.Load() {
				runtime.GC()
				time.Sleep(2 * time.Millisecond)
			}
		})
		for r := range readers {
			reads.Go(func() {
				before := make([]int32, len(recs))
				ids := make([]uint64, len(recs))
				for n := 0; !stop.Load() && !failed.Load(); n++ {
					if n == 1 {
						readersStarted.Done()
					}
					for i := range recs {
						before[i] = recs[i].phase.Load()
						ids[i] = recs[i].id.Load()
					}
					listed := make(map[uint64]int)
					if (n+r)%2 == 0 {
						for _, h := range async.AllTasks(ctx) {
							listed[h.ID()]++
						}
					} else {
						for _, node := range scope.Snapshot().Nodes {
							if node.Kind != async.KindTask {
								continue
							}
							if node.State.Finished() {
								fail("snapshot lists task %d %s", node.ID, node.State)
							}
							listed[node.ID]++
						}
					}
					for id, c := range listed {
						if c != 1 {
							fail("task %d listed %d times", id, c)
						}
					}
					if len(listed) > 1 {
						busy.Add(1)
					}
					for i := range recs {
						after := recs[i].phase.Load()
						switch {
						case before[i] == v7SeenDone && listed[ids[i]] > 0:
							fail("task %d listed though its Done was seen closed before the reading", ids[i])
						case before[i] == v7Spawned && after == v7Spawned && listed[ids[i]] == 0:
							fail("task %d, live throughout the reading, not listed", ids[i])
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
		if got := async.AllTasks(ctx); len(got) != 1 || got[0] != async.Current(ctx) {
			t.Errorf("AllTasks after every task ended = %v, want main alone", got)
		}
		return nil
	}, async.WithSignals(nil))
	if err != nil {
		t.Fatal(err)
	}
}

// TestAttackV7LeakReportListsEachLeakOnce: Run's leak report, when many
// tasks outlive the grace period (enough for the tables to have grown,
// some started by other tasks, some in a group left behind) while many
// others end during the shutdown, lists every task still running exactly
// once, and no other: not main, not one that ended.
func TestAttackV7LeakReportListsEachLeakOnce(t *testing.T) {
	const stubborn, obedient = 600, 600
	release := make(chan struct{})
	defer close(release)
	var mu sync.Mutex
	want := make(map[uint64]bool)
	var mainID uint64
	add := func(h async.Handle) {
		mu.Lock()
		want[h.ID()] = true
		mu.Unlock()
	}
	err := async.Run(t.Context(), func(ctx context.Context) error {
		mainID = async.Current(ctx).ID()
		var started sync.WaitGroup
		started.Add(stubborn + obedient)
		ignore := func(context.Context) (int, error) {
			started.Done()
			<-release
			return 0, nil
		}
		heed := func(ctx context.Context) (int, error) {
			started.Done()
			<-ctx.Done()
			return 0, ctx.Err()
		}
		for i := range stubborn + obedient {
			fn := heed
			if i%2 == 0 {
				fn = ignore
			}
			switch i % 3 {
			case 0:
				h := async.Spawn(ctx, fn)
				if i%2 == 0 {
					add(h)
				}
			case 1: // started by a task that ends once it has started
				outer := async.Spawn(ctx, func(ctx context.Context) (async.Handle, error) {
					in := make(chan struct{})
					h := async.Spawn(ctx, func(ctx context.Context) (int, error) {
						close(in)
						return fn(ctx)
					})
					<-in // else the end of ctx would keep it from starting
					return h, nil
				})
				h, err := outer.Await(ctx)
				if err != nil {
					return err
				}
				if i%2 == 0 {
					add(h)
				}
			case 2: // started without main's cancellation
				h := async.Spawn(context.WithoutCancel(ctx), fn)
				if i%2 == 0 {
					add(h)
				}
			}
		}
		started.Wait()
		return nil
	}, async.WithSignals(nil), async.WithGracePeriod(time.Second))
	var leak *async.LeakError
	if !errors.As(err, &leak) {
		t.Fatalf("Run = %v, want a *LeakError", err)
	}
	seen := make(map[uint64]int)
	var ids []uint64
	for _, info := range leak.Tasks {
		seen[info.ID]++
		ids = append(ids, info.ID)
		if info.State.Finished() {
			t.Errorf("leak report lists task %d %s", info.ID, info.State)
		}
		if info.ID == mainID {
			t.Errorf("leak report lists main")
		}
		if !want[info.ID] {
			t.Errorf("leak report lists task %d (%s), which heeded its context", info.ID, info.Name)
		}
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("leak report lists task %d %d times", id, c)
		}
	}
	for id := range want {
		if seen[id] == 0 {
			t.Errorf("leak report misses task %d", id)
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("leak report not oldest first")
	}
}
