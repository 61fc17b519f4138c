package async_test

// An attack on f36b1ab (adoptParentCancel, and Err's second look at a
// context made meanwhile): a task's context is made (Done, Cancel,
// context.AfterFunc, a derived context) and read (Err, context.Cause)
// by several goroutines at once, while its parent is cancelled or expires
// (a context.WithDeadline, a TimeoutScope) and the task ends. Every
// observer must see one story: once Err says something it says the same
// ever after, and so does Cause; the derived contexts end with the task's
// cause; each AfterFunc runs once. Seeded rounds, as in
// attack_core_cancel_test.go.

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

func TestAttackCtxOneStory(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	for round := range rounds {
		attackCtxOneStory(t, round)
		if t.Failed() {
			return
		}
	}
}

// storyWatch records what one goroutine saw of a context: the first
// non-nil Err and Cause, and any later answer that differs.
type storyWatch struct {
	err, cause error
}

// see reads ctx once and reports a change of story. (Err and Cause are two
// reads: Err may be nil and Cause not, if the cancellation comes between.)
// A context not made, seen cancelled with the parent's cause, that later
// says the task's end's (ErrTaskReturned) is a change like any other: the
// end records that the context ended cancelled once a reader was told so
// (attack_end_task_test.go holds the end at that instant).
func (w *storyWatch) see(ctx context.Context) (msg string) {
	err := ctx.Err()
	cause := context.Cause(ctx)
	switch {
	case w.err != nil && err != w.err:
		return "Err said " + w.err.Error() + ", then " + storyErrString(err)
	case w.cause != nil && cause != w.cause:
		return "Cause said " + w.cause.Error() + ", then " + storyErrString(cause)
	}
	if err != nil {
		w.err = err
	}
	if cause != nil {
		w.cause = cause
	}
	return ""
}

func storyErrString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// attackCtxOneStory runs one round.
func attackCtxOneStory(t *testing.T, round int) {
	rng := rand.New(rand.NewPCG(uint64(round), 0xf36b1ab))
	// 0: WithCancelCause, 1: WithDeadline, 2: NewTimeout, 3: a custom
	// context whose cancellation reaches its children in goroutines
	// (portAfterFuncContext), 4: WithCancelCause with a crowd of children,
	// so that its cancellation takes a while to reach the task's, 5: like 3,
	// but AfterFunc yields after it has registered the function, as if
	// the goroutine registering were preempted there: the window in which
	// the parent's cancellation can come between a made context's
	// registration and its publication; 6: like 5, and Err too yields,
	// before it answers, as if the goroutine asking were preempted there.
	parentKind := rng.IntN(7)
	inGroup := rng.IntN(2) == 0
	asksDone := rng.IntN(3) == 0
	doCancel, doDone, doAfter, doDerive, doEnd := rng.IntN(2) == 0, rng.IntN(2) == 0, rng.IntN(2) == 0, rng.IntN(2) == 0, rng.IntN(3) > 0
	observers := 1 + rng.IntN(3)
	wait := time.Duration(rng.IntN(50)) * time.Microsecond
	where := func() string {
		return "round " + itoa(uint64(round))
	}

	causeParent, causeSelf := errors.New("parent's cause"), errors.New("own cause")
	var (
		parent       context.Context
		cancelParent func()
	)
	switch parentKind {
	case 0:
		p, cancel := context.WithCancelCause(context.Background())
		parent, cancelParent = p, func() { cancel(causeParent) }
		defer cancel(nil)
	case 1:
		p, cancel := context.WithDeadline(context.Background(), time.Now().Add(wait))
		parent, cancelParent = p, func() { <-p.Done() }
		defer cancel()
	case 2:
		p, scope := async.NewTimeout(context.Background(), wait)
		parent, cancelParent = p, func() { <-p.Done() }
		defer scope.Stop()
	case 3:
		p := &portAfterFuncContext{}
		parent, cancelParent = p, func() { p.cancel(context.Canceled) }
	case 5, 6:
		p := &yieldingParent{portAfterFuncContext: &portAfterFuncContext{}, yields: rng.IntN(20)}
		if parentKind == 6 {
			p.errYields = 1 + rng.IntN(5)
		}
		parent, cancelParent = p, func() { p.cancel(context.Canceled) }
	case 4:
		p, cancel := context.WithCancelCause(context.Background())
		for range 500 {
			_, stop := context.WithCancel(p)
			defer stop()
		}
		parent, cancelParent = p, func() { cancel(causeParent) }
		defer cancel(nil)
	}

	ctxs := make(chan context.Context, 1)
	release := make(chan struct{})
	fn := func(ctx context.Context) (int, error) {
		if asksDone {
			ctx.Done()
		}
		ctxs <- ctx
		<-release
		return 0, nil
	}
	var task *async.Task[int]
	groupDone := make(chan error, 1)
	if inGroup {
		tasks := make(chan *async.Task[int], 1)
		go func() {
			groupDone <- async.WithGroup(parent, func(_ context.Context, g *async.Group) error {
				tasks <- async.Go(g, fn)
				return nil
			})
		}()
		task = <-tasks
	} else {
		task = async.Spawn(parent, fn)
		groupDone <- nil
	}
	var ctx context.Context
	select {
	case ctx = <-ctxs:
	case <-task.Done():
		// The parent expired before the task began: nothing to watch.
		<-groupDone
		return
	}

	var (
		start    = make(chan struct{})
		actors   sync.WaitGroup
		stop     atomic.Bool
		afterRun atomic.Int32
		derived  = make(chan context.Context, 1)
		stops    = make(chan func(), 2)
		mu       sync.Mutex
		problems []string
	)
	report := func(who, msg string) {
		mu.Lock()
		problems = append(problems, who+": "+msg)
		mu.Unlock()
	}
	act := func(f func()) {
		actors.Go(func() {
			<-start
			f()
		})
	}
	act(cancelParent)
	if doCancel {
		act(func() { task.Cancel(causeSelf) })
	}
	if doDone {
		act(func() { ctx.Done() })
	}
	if doAfter {
		act(func() {
			s := context.AfterFunc(ctx, func() { afterRun.Add(1) })
			stops <- func() { s() }
		})
	}
	if doDerive {
		act(func() {
			d, cancel := context.WithCancel(ctx)
			derived <- d
			stops <- cancel
		})
	}
	if doEnd {
		act(func() { close(release) })
	}
	var watchers sync.WaitGroup
	watches := make([]*storyWatch, observers)
	for i := range watches {
		w := &storyWatch{}
		watches[i] = w
		watchers.Go(func() {
			<-start
			for !stop.Load() {
				if msg := w.see(ctx); msg != "" {
					report("observer", msg)
					return
				}
			}
		})
	}
	close(start)
	actors.Wait()
	if !doEnd {
		close(release)
	}
	task.Await(context.Background())
	<-groupDone
	stop.Store(true)
	watchers.Wait()

	// After the end: every observer's story goes on the same.
	final := &storyWatch{}
	final.see(ctx)
	if final.err == nil || final.cause == nil {
		t.Errorf("%s: the ended task's context says Err %v, Cause %v", where(), final.err, final.cause)
	}
	for _, w := range watches {
		if msg := w.see(ctx); msg != "" {
			report("observer, after the end", msg)
		}
	}
	var te *async.TimeoutError
	switch final.cause {
	case causeParent, causeSelf, async.ErrTaskReturned, context.DeadlineExceeded, context.Canceled:
	default:
		if !errors.As(final.cause, &te) {
			report("final", "Cause "+final.cause.Error())
		}
	}
	if final.cause == causeSelf && final.err != context.Canceled {
		report("final", "Cancel's cause with Err "+final.err.Error())
	}
	// A group task's parent is its group's context, a standard one under
	// the TimeoutScope's, which says Canceled with the scope's cause.
	if (final.cause == context.DeadlineExceeded || te != nil) != (final.err == context.DeadlineExceeded) && !(inGroup && te != nil) {
		report("final", "Err "+final.err.Error()+" with Cause "+final.cause.Error())
	}
	if doDerive {
		d := <-derived
		<-d.Done()
		if c := context.Cause(d); c != final.cause {
			report("derived", "Cause "+storyErrString(c)+", the task's "+final.cause.Error())
		}
	}
	if doAfter {
		deadline := time.Now().Add(10 * time.Second)
		for afterRun.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := afterRun.Load(); n != 1 {
			report("AfterFunc", "ran "+itoa(uint64(n))+" times")
		}
	}
	close(stops)
	for s := range stops {
		s()
	}
	for _, p := range problems {
		t.Errorf("%s (parent %d, group %v, asks Done %v, Cancel %v, Done %v, AfterFunc %v, derive %v, end %v): %s",
			where(), parentKind, inGroup, asksDone, doCancel, doDone, doAfter, doDerive, doEnd, p)
	}
}

// yieldingParent is a portAfterFuncContext whose AfterFunc yields the
// processor yields times after registering the function, and whose Err
// yields errYields times before it answers.
type yieldingParent struct {
	*portAfterFuncContext
	yields, errYields int
}

func (p *yieldingParent) Err() error {
	for range p.errYields {
		runtime.Gosched()
	}
	return p.portAfterFuncContext.Err()
}

func (p *yieldingParent) AfterFunc(f func()) func() bool {
	stop := p.portAfterFuncContext.AfterFunc(f)
	for range p.yields {
		runtime.Gosched()
	}
	return stop
}
