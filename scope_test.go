package async_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/asyncgo/async"
)

// nodeByName finds a node of the snapshot by name.
func nodeByName(t *testing.T, snap *async.Snapshot, name string) async.TaskInfo {
	t.Helper()
	for _, n := range snap.Nodes {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("snapshot has no node %q: %+v", name, snap.Nodes)
	return async.TaskInfo{}
}

func handleNames(hs []async.Handle) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Name())
	}
	return out
}

// TestTaskTree builds main → parent → child and main → group → two tasks,
// and checks every node's parent, AllTasks and what each task awaits.
func TestTaskTree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var snap *async.Snapshot
		var all []string
		err := async.Run(t.Context(), func(ctx context.Context) error {
			parent := async.Spawn(ctx, func(ctx context.Context) (int, error) {
				child := async.Spawn(ctx, func(ctx context.Context) (int, error) {
					<-release
					return 1, nil
				}, async.WithName("child"))
				return child.Await(ctx)
			}, async.WithName("parent"))
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				g.Go(func(ctx context.Context) error {
					async.Report(ctx, 3, 10, "reading")
					<-release
					return nil
				}, async.WithName("worker-1"))
				g.Go(func(ctx context.Context) error {
					_, err := async.WaitFor(ctx, time.Minute, parent)
					return err
				}, async.WithName("worker-2"))
				time.Sleep(2 * time.Second)
				synctest.Wait()
				all = handleNames(async.AllTasks(ctx))
				snap = async.ScopeOf(ctx).Snapshot()
				// Let the group's body return first, so that main
				// is seen awaiting the group.
				go func() { time.Sleep(time.Second); close(release) }()
				return nil
			}, async.WithName("workers"))
		}, async.WithSignals(nil), async.WithName("tree"))
		if err != nil {
			t.Fatal(err)
		}

		got := slices.Sorted(slices.Values(all))
		if want := []string{"child", "main", "parent", "worker-1", "worker-2"}; !slices.Equal(got, want) {
			t.Errorf("AllTasks = %q, want %q", all, want)
		}
		if all[0] != "main" {
			t.Errorf("AllTasks = %q, want the oldest, main, first", all)
		}
		main := nodeByName(t, snap, "main")
		parent := nodeByName(t, snap, "parent")
		child := nodeByName(t, snap, "child")
		group := nodeByName(t, snap, "workers")
		w1 := nodeByName(t, snap, "worker-1")
		w2 := nodeByName(t, snap, "worker-2")
		ref := func(n async.TaskInfo) async.Ref { return async.Ref{Kind: n.Kind, ID: n.ID} }
		for _, c := range []struct {
			node   async.TaskInfo
			parent async.Ref
		}{
			{main, async.Ref{}},
			{parent, ref(main)},
			{child, ref(parent)},
			{group, ref(main)},
			{w1, ref(group)},
			{w2, ref(group)},
		} {
			if c.node.Parent != c.parent {
				t.Errorf("%s's parent = %s, want %s", c.node.Name, c.node.Parent, c.parent)
			}
		}
		if group.Kind != async.KindGroup || group.Tasks != 2 {
			t.Errorf("group node = %+v, want a group with 2 tasks", group)
		}
		if main.State != async.Running || main.Age != 2*time.Second {
			t.Errorf("main = %s, age %v; want running for 2s", main.State, main.Age)
		}
		if w1.Progress == nil || w1.Progress.Done != 3 || w1.Progress.Total != 10 || w1.Progress.Message != "reading" {
			t.Errorf("worker-1 progress = %+v, want 3/10 reading", w1.Progress)
		}
		if a := parent.Awaiting; a == nil || a.Target != ref(child) || a.Name != "child" || !a.Deadline.IsZero() {
			t.Errorf("parent awaits %+v, want the task child without deadline", a)
		}
		if a := w2.Awaiting; a == nil || a.Target != ref(parent) || a.Deadline.Sub(snap.Taken) != time.Minute-2*time.Second {
			t.Errorf("worker-2 awaits %+v, want the task parent with 58s left", a)
		}
		if w1.Awaiting != nil || main.Awaiting != nil {
			t.Errorf("worker-1 awaits %v and main %v; want nothing: neither is in Await", w1.Awaiting, main.Awaiting)
		}
	})
}

func TestAwaitingGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.Run(t.Context(), func(ctx context.Context) error {
			scope := async.ScopeOf(ctx)
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				g.Go(func(ctx context.Context) error {
					// The body has returned; main now waits for us.
					time.Sleep(time.Second)
					snap := scope.Snapshot()
					main := nodeByName(t, snap, "main")
					if a := main.Awaiting; a == nil || a.Target.Kind != async.KindGroup || a.Name != "g" {
						t.Errorf("main awaits %+v, want the group g", a)
					}
					return nil
				})
				return nil
			}, async.WithName("g"))
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestOrphanTaskOutlivesParent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.Run(t.Context(), func(ctx context.Context) error {
			release := make(chan struct{})
			parent := async.Spawn(ctx, func(ctx context.Context) (*async.Task[int], error) {
				// WithoutCancel: the child survives its parent's return.
				return async.Spawn(context.WithoutCancel(ctx), func(context.Context) (int, error) {
					<-release
					return 0, nil
				}, async.WithName("orphan")), nil
			}, async.WithName("parent"))
			orphan, _ := parent.Await(ctx)
			snap := async.ScopeOf(ctx).Snapshot()
			close(release)
			if _, err := orphan.Await(ctx); err != nil {
				return err
			}
			// The orphan is in the snapshot, and its parent, finished, is not.
			var orphanNode *async.TaskInfo
			parentSeen := false
			for i, n := range snap.Nodes {
				if n.Name == "orphan" {
					orphanNode = &snap.Nodes[i]
				}
				parentSeen = parentSeen || n.Name == "parent"
			}
			if orphanNode == nil || parentSeen || orphanNode.Parent != (async.Ref{Kind: async.KindTask, ID: parent.ID()}) {
				t.Errorf("snapshot %+v: want the orphan, pointing at the finished parent %d, and no parent node", snap.Nodes, parent.ID())
			}
			return nil
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestOutsideRun(t *testing.T) {
	ctx := context.Background()
	if got := async.AllTasks(ctx); got != nil {
		t.Errorf("AllTasks outside Run = %v, want nil", got)
	}
	if s := async.ScopeOf(ctx); s != nil {
		t.Errorf("ScopeOf outside Run = %v, want nil", s)
	}
	// A task outside any scope is not tracked by one.
	v, err := async.Spawn(ctx, func(ctx context.Context) (int, error) {
		if async.ScopeOf(ctx) != nil {
			return 0, errors.New("untracked task sees a scope")
		}
		return 1, nil
	}).Await(ctx)
	if v != 1 || err != nil {
		t.Fatal(v, err)
	}
}

// TestTrackingKeepsNoFinishedTask checks that once tracked tasks have
// finished and nothing else refers to them, the garbage collector frees
// them: the scope's registry must not hold on to them.
// TestTrackingFreesAFinishedTaskAtTheNextCollection: the registry keeps
// a finished task's memory not even until a later collection. A burst of
// tasks with large results ends, nothing reads the registry, and one
// collection must free every one of them, as it would outside Run: a
// registry that freed its slots only when swept again would hold the
// burst's results through that collection and double the heap's goal.
//
// A task's goroutine may still be running its last lines, with the task
// on its stack, when Gather returns; the collection would find the task
// there, inside Run or outside it (about 1 run in 60 under -race found one
// such task, tracked or not). So the collection waits for the tasks'
// goroutines to be gone.
func TestTrackingFreesAFinishedTaskAtTheNextCollection(t *testing.T) {
	const n = 1000
	var refs []weak.Pointer[async.Task[[]byte]]
	err := async.Run(t.Context(), func(ctx context.Context) error {
		before := runtime.NumGoroutine()
		tasks := make([]*async.Task[[]byte], n)
		for i := range tasks {
			tasks[i] = async.Spawn(ctx, func(ctx context.Context) ([]byte, error) {
				return make([]byte, 64<<10), nil
			})
		}
		if _, err := async.Gather(ctx, tasks...); err != nil {
			return err
		}
		for _, task := range tasks {
			refs = append(refs, weak.Make(task))
		}
		tasks = nil
		for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before; {
			if time.Now().After(deadline) {
				t.Fatalf("%d goroutines, %d before the tasks started", runtime.NumGoroutine(), before)
			}
			runtime.Gosched()
		}
		runtime.GC()
		alive := 0
		for _, r := range refs {
			if r.Value() != nil {
				alive++
			}
		}
		if alive != 0 {
			t.Errorf("%d of %d finished tasks outlived the collection after their end", alive, n)
		}
		return nil
	}, async.WithSignals(nil))
	if err != nil {
		t.Fatal(err)
	}
}

func TestTrackingKeepsNoFinishedTask(t *testing.T) {
	const n = 1000
	var refs []weak.Pointer[async.Task[[]byte]]
	err := async.Run(t.Context(), func(ctx context.Context) error {
		tasks := make([]*async.Task[[]byte], n)
		for i := range tasks {
			tasks[i] = async.Spawn(ctx, func(ctx context.Context) ([]byte, error) {
				async.Report(ctx, 1, 1, "done")
				return make([]byte, 1<<10), nil
			})
		}
		if _, err := async.Gather(ctx, tasks...); err != nil {
			return err
		}
		for _, task := range tasks {
			refs = append(refs, weak.Make(task))
		}
		if got := async.ScopeOf(ctx).Len(); got != 1 {
			t.Errorf("scope has %d live tasks after the others finished, want 1 (main)", got)
		}
		tasks = nil
		// Still inside Run: the scope is alive, and must not keep them.
		for range 5 {
			runtime.GC()
		}
		alive := 0
		for _, r := range refs {
			if r.Value() != nil {
				alive++
			}
		}
		if alive != 0 {
			t.Errorf("%d of %d finished tasks are still reachable", alive, n)
		}
		return nil
	}, async.WithSignals(nil))
	if err != nil {
		t.Fatal(err)
	}
}

// TestAwaitingUnwinds checks that a finished wait is no longer shown, and
// that a wait inside another (WithGroup, then Await in the body of a task)
// gives way to the outer one when it ends.
func TestAwaitingUnwinds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.Run(t.Context(), func(ctx context.Context) error {
			scope := async.ScopeOf(ctx)
			quick := async.Spawn(ctx, func(context.Context) (int, error) {
				time.Sleep(time.Second)
				return 1, nil
			}, async.WithName("quick"))
			if _, err := quick.Await(ctx); err != nil {
				return err
			}
			if a := nodeByName(t, scope.Snapshot(), "main").Awaiting; a != nil {
				t.Errorf("after the await returned, main still awaits %v", a)
			}
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				g.Go(func(ctx context.Context) error {
					time.Sleep(time.Second) // main reaches the group's wait
					if a := nodeByName(t, scope.Snapshot(), "main").Awaiting; a == nil || a.Name != "g" {
						t.Errorf("main awaits %v, want the group g", a)
					}
					return nil
				})
				return nil
			}, async.WithName("g"))
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
	})
}

// A task's start time is published by its state: whoever sees the task
// past Pending, in its state or in a snapshot, sees its start time, which
// never changes after. Readers poll while the tasks begin (under -race, a
// start time read without that ordering would be reported).
func TestStartTimeSeenWithState(t *testing.T) {
	err := async.Run(t.Context(), func(ctx context.Context) error {
		release := make(chan struct{})
		tasks := make([]*async.Task[int], 200)
		for i := range tasks {
			tasks[i] = async.Spawn(ctx, func(context.Context) (int, error) { <-release; return 0, nil })
		}
		stop := make(chan struct{})
		polled := make(chan error, 2)
		go func() { // through the tasks' methods
			first := make([]time.Time, len(tasks))
			for {
				for i, task := range tasks {
					running := task.State() != async.Pending
					st := task.StartTime()
					if running && st.IsZero() {
						polled <- errors.New("a task past Pending without a start time")
						return
					}
					if !first[i].IsZero() && !st.Equal(first[i]) {
						polled <- errors.New("a start time changed")
						return
					}
					if running {
						first[i] = st
					}
				}
				select {
				case <-stop:
					polled <- nil
					return
				default:
				}
			}
		}()
		go func() { // through snapshots
			for {
				for _, n := range async.ScopeOf(ctx).Snapshot().Nodes {
					if n.Kind == async.KindTask && n.Name != "main" && n.State != async.Pending && n.Started.IsZero() {
						polled <- errors.New("a snapshot shows a task past Pending without a start time")
						return
					}
				}
				select {
				case <-stop:
					polled <- nil
					return
				default:
				}
			}
		}()
		for _, task := range tasks {
			for task.State() == async.Pending {
				runtime.Gosched()
			}
		}
		close(release)
		for _, task := range tasks {
			task.Await(ctx)
		}
		close(stop)
		for range 2 {
			if err := <-polled; err != nil {
				return err
			}
		}
		return nil
	}, async.WithSignals(nil))
	if err != nil {
		t.Fatal(err)
	}
}
