package async_test

// f36b1ab's adoptParentCancel runs after the made context is published. In
// between, the context is made, not cancelled, and its parent is: whoever
// looks at it then (Err, context.Cause, Cancel, the task's end) sees it as
// if the parent had not been cancelled, although the function may already
// have seen the context cancelled through its parent. pausedParent makes
// that window as wide as the test wants: the first call of its Err after
// the test arms it waits until the test lets it go, and adoptParentCancel
// is what calls it.

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

// pausedParent is a context not of the standard library, cancelled with
// cancel. Derived contexts register through AfterFunc, which holds the
// first registering goroutine until go_ is closed; their functions run
// when the test calls fire. Once armed, the next Err call waits on let
// after closing paused.
type pausedParent struct {
	done        chan struct{}
	err         atomic.Pointer[error]
	registering chan struct{}
	go_         chan struct{}
	first       atomic.Bool
	armed       atomic.Bool
	paused      chan struct{}
	let         chan struct{}
	mu          sync.Mutex
	fs          []func()
}

func newPausedParent() *pausedParent {
	return &pausedParent{done: make(chan struct{}), registering: make(chan struct{}), go_: make(chan struct{}),
		paused: make(chan struct{}), let: make(chan struct{})}
}

func (p *pausedParent) Deadline() (time.Time, bool) { return time.Time{}, false }
func (p *pausedParent) Done() <-chan struct{}       { return p.done }
func (p *pausedParent) Value(any) any               { return nil }
func (p *pausedParent) Err() error {
	if p.armed.CompareAndSwap(true, false) {
		close(p.paused)
		<-p.let
	}
	if e := p.err.Load(); e != nil {
		return *e
	}
	return nil
}

func (p *pausedParent) cancel() {
	err := context.Canceled
	p.err.Store(&err)
	close(p.done)
}

func (p *pausedParent) AfterFunc(f func()) func() bool {
	if p.first.CompareAndSwap(false, true) {
		close(p.registering)
		<-p.go_
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fs = append(p.fs, f)
	return func() bool { return false }
}

func (p *pausedParent) fire() {
	p.mu.Lock()
	fs := p.fs
	p.fs = nil
	p.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// adoptWindow starts a task under a pausedParent and looks at its context
// (Err, then context.Cause): before anything, then once the parent is
// cancelled, while another goroutine (makeIt) is making the context
// (first); then, with the maker held inside adoptParentCancel, middle runs
// and the test looks again (mid); and after the maker has finished (last).
// The task's function returns when middle or the end of the test says.
func adoptWindow(t *testing.T, makeIt func(*async.Task[int], context.Context),
	middle func(task *async.Task[int], release func())) (first, mid, last [2]error) {
	t.Helper()
	parent := newPausedParent()
	task, ctx, release := spawnHeld(parent, false)
	see := func(out *[2]error) { out[0], out[1] = ctx.Err(), context.Cause(ctx) }
	var before [2]error
	see(&before)
	if before[0] != nil {
		t.Fatalf("before anything: %v", before[0])
	}
	// The maker registers with the parent (not cancelled yet) and is
	// held there; the parent is cancelled, without telling the derived
	// contexts yet, and the test sees it; the maker publishes the
	// context and is held in adoptParentCancel's look at the parent.
	madeIt := make(chan struct{})
	go func() { makeIt(task, ctx); close(madeIt) }()
	<-parent.registering
	parent.cancel()
	see(&first)
	parent.armed.Store(true)
	close(parent.go_)
	select {
	case <-parent.paused:
	case <-madeIt:
		t.Fatalf("the context was made without a look at the parent after it was published")
	case <-time.After(10 * time.Second):
		t.Fatalf("the maker has not looked at the parent after 10 s")
	}
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	middle(task, func() { free(); <-task.Done() })
	see(&mid)
	close(parent.let)
	<-madeIt
	parent.fire()
	see(&last)
	free()
	task.Await(context.Background())
	return first, mid, last
}

// The function saw its context cancelled through its parent; Done (or
// Cancel), asked by another goroutine, made it and published it; until
// adoptParentCancel cancels it, Err says it is not cancelled.
func TestAttackAdoptWindowErr(t *testing.T) {
	makers := map[string]func(*async.Task[int], context.Context){
		"Done":   func(_ *async.Task[int], ctx context.Context) { ctx.Done() },
		"Cancel": func(task *async.Task[int], _ context.Context) { task.Cancel(errors.New("own cause")) },
	}
	for name, makeIt := range makers {
		first, mid, last := adoptWindow(t, makeIt, func(*async.Task[int], func()) {})
		if first[0] == nil || mid[0] != first[0] || last[0] != first[0] {
			t.Errorf("made by %s: Err said %v, then %v, then %v", name, first[0], mid[0], last[0])
		}
		if mid[1] != first[1] || last[1] != first[1] {
			t.Errorf("made by %s: Cause said %v, then %v, then %v", name, first[1], mid[1], last[1])
		}
	}
}

// The function saw its context cancelled through its parent; Done, asked
// by another goroutine, made it and published it; a Cancel before
// adoptParentCancel cancels it gives it Cancel's cause.
func TestAttackAdoptWindowCancel(t *testing.T) {
	own := errors.New("own cause")
	first, mid, last := adoptWindow(t,
		func(_ *async.Task[int], ctx context.Context) { ctx.Done() },
		func(task *async.Task[int], _ func()) { task.Cancel(own) })
	if first[0] == nil || mid[0] != first[0] || last[0] != first[0] {
		t.Errorf("Err said %v, then %v, then %v", first[0], mid[0], last[0])
	}
	if mid[1] != first[1] || last[1] != first[1] {
		t.Errorf("Cause said %v, then %v, then %v", first[1], mid[1], last[1])
	}
}

// The function saw its context cancelled through its parent; Done, asked
// by another goroutine, made it and published it; the task's end before
// adoptParentCancel cancels it gives it ErrTaskReturned.
func TestAttackAdoptWindowEnd(t *testing.T) {
	first, mid, last := adoptWindow(t,
		func(_ *async.Task[int], ctx context.Context) { ctx.Done() },
		func(_ *async.Task[int], end func()) { end() })
	if first[0] == nil || mid[0] != first[0] || last[0] != first[0] {
		t.Errorf("Err said %v, then %v, then %v", first[0], mid[0], last[0])
	}
	if mid[1] != first[1] || last[1] != first[1] {
		t.Errorf("Cause said %v, then %v, then %v", first[1], mid[1], last[1])
	}
}
