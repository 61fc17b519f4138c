package async_test

// A task's context not made yet answers Err and Cause from its parent. If
// Cancel makes it while the parent's cancellation is on its way to the
// contexts derived from the parent (the standard library closes the
// parent's Done, then cancels its children one by one), Cancel's cause
// can reach the made context first: the function has seen its context
// cancelled, with the parent's cause, and afterwards it says Cancel's.
// TestAttackCancelledByWhomAgrees (attack_core_cancel_test.go) met this
// once in 450,000 rounds, with a group task's context (its own Done
// channel only) and the group's parent cancelled; this test makes the
// window wide with a parent whose derived contexts hear of its
// cancellation when the test says.

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

// slowParent is a context whose cancellation reaches the contexts derived
// from it some time after its own Err says it is cancelled, as the
// standard library's does (it cancels its children one by one after it
// has closed its Done channel). Here the test says when: AfterFunc,
// through which derived contexts register, holds the registering
// goroutine until let is closed, and the functions run when fire is
// called.
type slowParent struct {
	done        chan struct{}
	err         atomic.Pointer[error]
	registering chan struct{}
	let         chan struct{}
	mu          sync.Mutex
	fs          []func()
}

func (p *slowParent) Deadline() (time.Time, bool) { return time.Time{}, false }
func (p *slowParent) Done() <-chan struct{}       { return p.done }
func (p *slowParent) Value(any) any               { return nil }
func (p *slowParent) Err() error {
	if e := p.err.Load(); e != nil {
		return *e
	}
	return nil
}

func (p *slowParent) cancel() {
	err := context.Canceled
	p.err.Store(&err)
	close(p.done)
}

func (p *slowParent) AfterFunc(f func()) func() bool {
	close(p.registering)
	<-p.let
	p.mu.Lock()
	p.fs = append(p.fs, f)
	p.mu.Unlock()
	return func() bool { return false }
}

func (p *slowParent) fire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.fs {
		f()
	}
}

// The cause a task's context was seen cancelled with stays its cause.
func TestAttackCauseSeenThroughTheParentStays(t *testing.T) {
	parent := &slowParent{done: make(chan struct{}), registering: make(chan struct{}), let: make(chan struct{})}
	causeSelf := errors.New("own cause")

	look := make(chan struct{})
	seen := make(chan error)
	task := async.Spawn(context.Context(parent), func(ctx context.Context) (int, error) {
		for range look {
			if ctx.Err() != nil {
				seen <- context.Cause(ctx)
			} else {
				seen <- nil
			}
		}
		return 0, ctx.Err()
	})
	look <- struct{}{}
	if c := <-seen; c != nil {
		t.Fatalf("before anything: cause %v", c)
	}
	cancelled := make(chan bool)
	go func() { cancelled <- task.Cancel(causeSelf) }()
	<-parent.registering // Cancel is making the task's context
	parent.cancel()
	look <- struct{}{}
	first := <-seen // through the parent: the context is not made yet
	close(parent.let)
	took := <-cancelled
	look <- struct{}{}
	second := <-seen
	close(look)
	parent.fire()
	task.Await(context.Background())
	if first != second {
		t.Errorf("the task's context said it was cancelled with %v, then with %v (Cancel reported %v)", first, second, took)
	}
}
