package async_test

// The parts of a task made on first use, after ed640df (taskMore for done
// callbacks and the unretrieved-error report, taskRare for progress, the
// await record, tracing, AfterFunc and the creation stack, each made under
// the task's mutex and found with atomic loads), f26691b (a tracked task's
// start time published by its state's store) and c27fdd7 (the extra
// part's pointer set with a plain store before the task is shared): tasks
// make those parts (Report, SetName, contexts derived from theirs, awaits,
// done callbacks) while other goroutines read them (Snapshot and its JSON,
// the task tree, AllTasks, StartTime, EndTime, Name, Progress, State).
// What the readers see must be what the tasks did; under -race, nothing
// may race.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/tasktree"
)

// lazyWork is what a task of the attack does, making its parts as it goes.
func lazyWork(ctx context.Context, i int, others []async.Handle, watched chan<- struct{}) error {
	me := async.Current(ctx).(interface{ SetName(string) })
	for k := range 3 {
		async.Report(ctx, int64(k+1), 10, fmt.Sprintf("step %d", k+1))
		runtime.Gosched()
		switch (i + k) % 4 {
		case 0:
			me.SetName(fmt.Sprintf("w%d-%d", i, k))
		case 1:
			// A derived context: AfterFunc on a group task's own Done.
			d, cancel := context.WithCancel(ctx)
			go func() { <-d.Done() }()
			cancel()
		case 2:
			if o := others[(i+1)%len(others)]; o != nil {
				// A wait, recorded for the tree, with a deadline.
				wctx, cancel := context.WithTimeout(ctx, time.Millisecond)
				async.Wait(wctx, async.AllCompleted, o)
				cancel()
			}
		case 3:
			stop := context.AfterFunc(ctx, func() {})
			stop()
		}
	}
	if i%5 == 4 {
		return fmt.Errorf("worker %d fails", i)
	}
	watched <- struct{}{}
	return nil
}

// timedHandle is a task's handle with its times.
type timedHandle interface {
	StartTime() time.Time
	EndTime() time.Time
}

// lazyReader reads everything the tasks make, checking what it sees, until
// stop is closed.
type lazyReader struct {
	t       *testing.T
	mu      sync.Mutex
	started map[async.Handle]time.Time
	done    map[async.Handle]int64
}

func (r *lazyReader) look(ctx context.Context, hs []async.Handle) {
	for _, h := range hs {
		if h == nil {
			continue
		}
		state := h.State()
		st := h.(timedHandle).StartTime()
		end := h.(timedHandle).EndTime()
		p := h.Progress()
		name := h.Name()
		after := h.State()
		if state == async.Pending && !st.IsZero() && after == async.Pending {
			r.t.Errorf("%s: pending with a start time", name)
		}
		if !end.IsZero() && !after.Finished() {
			r.t.Errorf("%s: an end time, yet %v", name, after)
		}
		if !end.IsZero() && end.Before(st) {
			r.t.Errorf("%s: ended %v before it started %v", name, end, st)
		}
		if p.Done < 0 || p.Done > 3 || (p.Done > 0 && (p.Total != 10 || p.Message != fmt.Sprintf("step %d", p.Done))) {
			r.t.Errorf("%s: progress %+v, never reported", name, p)
		}
		if !strings.HasPrefix(name, "w") && !strings.HasPrefix(name, "Task-") {
			r.t.Errorf("name %q, never given", name)
		}
		r.mu.Lock()
		if !st.IsZero() {
			if first, ok := r.started[h]; ok && !first.Equal(st) {
				r.t.Errorf("%s: start time went from %v to %v", name, first, st)
			} else if !ok {
				r.started[h] = st
			}
		}
		if p.Done < r.done[h] {
			r.t.Errorf("%s: progress went back from %d to %d", name, r.done[h], p.Done)
		}
		r.done[h] = max(r.done[h], p.Done)
		r.mu.Unlock()
	}
	if s := async.ScopeOf(ctx); s != nil {
		snap := s.Snapshot()
		for _, n := range snap.Nodes {
			if n.Kind != async.KindTask || n.Name == "main" {
				continue
			}
			if n.Progress != nil && (n.Progress.Done < 1 || n.Progress.Done > 3 || n.Progress.Total != 10) {
				r.t.Errorf("%s in the snapshot: progress %+v, never reported", n.Name, *n.Progress)
			}
			if n.State == async.Pending && !n.Started.IsZero() {
				r.t.Errorf("%s in the snapshot: pending with a start time", n.Name)
			}
		}
		if _, err := json.Marshal(snap); err != nil {
			r.t.Error(err)
		}
		tasktree.Tree(snap)
		if err := tasktree.Dump(ctx, io.Discard); err != nil {
			r.t.Error(err)
		}
		async.AllTasks(ctx)
	}
}

func TestAttackLazyPartsWhileRead(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []async.RunOption
	}{
		{"plain", nil},
		{"stacks", []async.RunOption{async.WithCreationStacks()}},
		{"labels", []async.RunOption{async.WithProfileLabels()}},
		{"untracked", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			for round := range 4 {
				synctest.Test(t, func(t *testing.T) { attackLazyParts(t, round, c.name == "untracked", c.opts) })
			}
		})
	}
}

func attackLazyParts(t *testing.T, round int, untracked bool, opts []async.RunOption) {
	const n = 24
	// Each reader its own: progress never goes back as one goroutine sees it.
	newReader := func() *lazyReader {
		return &lazyReader{t: t, started: map[async.Handle]time.Time{}, done: map[async.Handle]int64{}}
	}
	r := newReader()
	opts = append(opts, async.WithSignals(nil))
	err := async.Run(t.Context(), func(ctx context.Context) error {
		if untracked {
			ctx = context.WithoutCancel(context.Background())
		}
		hs := make([]async.Handle, n)
		var hsMu sync.Mutex
		handles := func() []async.Handle {
			hsMu.Lock()
			defer hsMu.Unlock()
			return append([]async.Handle(nil), hs...)
		}
		stop := make(chan struct{})
		var readers sync.WaitGroup
		for range 2 {
			r := newReader()
			readers.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					r.look(ctx, handles())
					// Lets the bubble's clock move when nothing else
					// can run, for the tasks' waits with a deadline.
					time.Sleep(20 * time.Microsecond)
				}
			})
		}
		watched := make(chan struct{}, n)
		var callbacks atomic.Int32
		err := async.WithGroup(ctx, func(gctx context.Context, g *async.Group) error {
			for i := range n {
				task := g.Go(func(ctx context.Context) error {
					return lazyWork(ctx, i, handles(), watched)
				}, async.WithName(fmt.Sprintf("w%d", i)))
				if i%3 == 0 {
					task.AddDoneCallback(func(*async.Task[struct{}]) { callbacks.Add(1) })
				}
				if i%3 == 1 {
					go func() {
						for range task.WatchProgress(ctx) {
						}
					}()
				}
				hsMu.Lock()
				hs[i] = task
				hsMu.Unlock()
				runtime.Gosched()
			}
			return nil
		}, async.WithLimit(1+round%4))
		close(stop)
		readers.Wait()
		r.look(ctx, handles())
		if want := (n + 2) / 3; callbacks.Load() != int32(want) {
			t.Errorf("%d done callbacks ran, want %d", callbacks.Load(), want)
		}
		var te *async.TaskError
		if err == nil || !errors.As(err, &te) {
			t.Errorf("the group returned %v, want the first worker's failure", err)
		}
		return nil
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
}

// A finished task that its user keeps keeps nothing else alive: not what
// its done callbacks, its derived contexts' AfterFunc list, its progress
// watchers or its awaits referred to, whichever of its parts they made.
func TestAttackFinishedTaskWithEveryPartKeepsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var refs []weak.Pointer[[1 << 12]byte]
		big := func() *[1 << 12]byte {
			b := new([1 << 12]byte)
			refs = append(refs, weak.Make(b))
			return b
		}
		var kept []async.Handle
		async.Run(t.Context(), func(ctx context.Context) error {
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				gate := make(chan struct{}) // the tasks end after they are given their callbacks
				defer close(gate)
				for i := range 4 {
					b0 := big()
					awaited := async.Go(g, func(context.Context) (*[1 << 12]byte, error) { return b0, nil })
					b1, b2, b3 := big(), big(), big()
					task := async.Go(g, func(ctx context.Context) (int, error) {
						<-gate
						async.Report(ctx, 1, 2, "half")
						context.AfterFunc(ctx, func() { b1[0]++ })
						if i%2 == 0 {
							v, err := awaited.Await(ctx)
							return int(v[0]), err
						}
						return 0, nil
					})
					for range i {
						task.AddDoneCallback(func(*async.Task[int]) { b2[0]++ })
					}
					go func() {
						for range task.WatchProgress(context.Background()) {
							b3[0]++
						}
					}()
					kept = append(kept, task)
				}
				return nil
			})
		}, async.WithSignals(nil))
		synctest.Wait()
		for range 3 {
			runtime.GC()
		}
		for i, r := range refs {
			if r.Value() != nil {
				t.Errorf("value %d is kept alive by a finished task", i)
			}
		}
		runtime.KeepAlive(kept)
	})
}

// A snapshot never shows a task pending with a start time (TaskInfo:
// Started and Age are zero while pending): it reads the task's state once
// and its start time after, and a task that begins in between must not
// show both.
func TestAttackSnapshotPendingHasNoStartTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		async.Run(t.Context(), func(ctx context.Context) error {
			s := async.ScopeOf(ctx)
			stop := make(chan struct{})
			var readers sync.WaitGroup
			bad := 0
			readers.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					for _, n := range s.Snapshot().Nodes {
						if n.Kind == async.KindTask && n.State == async.Pending && (!n.Started.IsZero() || n.Age != 0) {
							bad++
						}
					}
					runtime.Gosched()
				}
			})
			async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				for range 400 {
					g.Go(func(context.Context) error { runtime.Gosched(); return nil })
				}
				return nil
			}, async.WithLimit(2))
			close(stop)
			readers.Wait()
			if bad > 0 {
				t.Errorf("%d times a snapshot showed a pending task with a start time", bad)
			}
			return nil
		}, async.WithSignals(nil))
	})
}
