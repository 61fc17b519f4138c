package fetch

import (
	"context"
	"sync"
)

// requestSlots are a run's request slots (Concurrency of them: an attempt
// holds one while it runs) and, in one first-come first-served line, what
// waits for one: inputs read whose task has not started, and tasks that
// wait for a slot again (a retry, or a first attempt that waited for its
// host first).
//
// An input waits as an input, not as a task parked on a channel: when a
// slot is given back and an input is first in line, the slot goes to it and
// its task starts holding it, on the goroutine that gave the slot back.
// Only then does the input have a task (and a goroutine and a stack), as in
// a bare loop of goroutines behind a semaphore; a task parked for a slot
// cost a park and a wake-up per URL, and a live goroutine for each input of
// the backlog. Profile of fetchall on 200,000 URLs of list (b) (-c 64),
// before: runtime.selectgo 0.60 s of 8.76 s, of which the wait for the
// slot in waitTurn and the reader's wait for a backlog place are the parts
// per URL.
type requestSlots struct {
	mu   sync.Mutex
	free int
	line ring // what waits, first in line first
	// inputs counts the inputs in line, starting those being started (taken
	// from the line, their task not yet added to its group); idle is closed
	// when both fall to 0, if the reader waits for that (see settle).
	inputs, starting int
	idle             chan struct{}
	start            func(*pending) // starts an input's task, which holds a slot
}

// slotWaiter is one place in line: an input to start, or a goroutine to wake.
type slotWaiter struct {
	p    *pending
	wake chan struct{} // buffered (1)
}

func newRequestSlots(n int, start func(*pending)) *requestSlots {
	return &requestSlots{free: n, start: start}
}

// submit starts p's task with a slot if one is free and nothing waits, or
// puts p in line. Only the run's reader calls it.
func (s *requestSlots) submit(p *pending) {
	s.mu.Lock()
	if s.free > 0 && s.line.len() == 0 {
		s.free--
		s.starting++
		s.mu.Unlock()
		s.startOne(p)
		return
	}
	s.line.push(slotWaiter{p: p})
	s.inputs++
	s.mu.Unlock()
}

// startOne starts p's task, which holds a slot, and counts it started.
func (s *requestSlots) startOne(p *pending) {
	p.tk.holdsSlot = true
	s.start(p)
	s.mu.Lock()
	s.starting--
	s.settled()
	s.mu.Unlock()
}

// acquire waits for a slot, in line, until ctx ends. A run whose context
// has ended takes none.
func (s *requestSlots) acquire(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	s.mu.Lock()
	if s.free > 0 && s.line.len() == 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	w := slotWaiter{wake: make(chan struct{}, 1)}
	s.line.push(w)
	s.mu.Unlock()
	select {
	case <-w.wake:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	out := s.line.remove(w.wake)
	s.mu.Unlock()
	if !out { // handed a slot meanwhile: give it on
		<-w.wake
		s.release()
	}
	return context.Cause(ctx)
}

// release gives a slot back: to the first in line, if any.
func (s *requestSlots) release() {
	s.mu.Lock()
	w, ok := s.line.pop()
	switch {
	case !ok:
		s.free++
		s.mu.Unlock()
	case w.p != nil:
		s.inputs--
		s.starting++
		s.mu.Unlock()
		s.startOne(w.p)
	default:
		s.mu.Unlock()
		w.wake <- struct{}{}
	}
}

// settled closes idle if the reader waits for it and no input is in line
// or being started; the caller holds mu.
func (s *requestSlots) settled() {
	if s.idle != nil && s.inputs == 0 && s.starting == 0 {
		close(s.idle)
		s.idle = nil
	}
}

// settle returns once every input in line has its task, or, when ctx ends
// first, takes the inputs still in line out of it and returns them (their
// tasks never start). The reader calls it when it stops reading, before it
// lets the host groups close: a task may be added to a group only while it
// is open.
func (s *requestSlots) settle(ctx context.Context) []*pending {
	s.mu.Lock()
	if s.inputs == 0 && s.starting == 0 {
		s.mu.Unlock()
		return nil
	}
	if ctx.Err() == nil {
		idle := make(chan struct{})
		s.idle = idle
		s.mu.Unlock()
		select {
		case <-idle:
			return nil
		case <-ctx.Done():
		}
		s.mu.Lock()
		s.idle = nil
	}
	left := s.line.takeInputs()
	s.inputs -= len(left)
	for s.starting > 0 { // a task being added right now: wait for it
		idle := make(chan struct{})
		s.idle = idle
		s.mu.Unlock()
		<-idle
		s.mu.Lock()
	}
	s.mu.Unlock()
	return left
}

// ring is a first-in first-out line of slotWaiters that grows as needed.
type ring struct {
	buf        []slotWaiter
	head, size int
}

func (r *ring) len() int { return r.size }

func (r *ring) push(w slotWaiter) {
	if r.size == len(r.buf) {
		buf := make([]slotWaiter, max(16, 2*len(r.buf)))
		n := copy(buf, r.buf[r.head:])
		copy(buf[n:], r.buf[:r.head])
		r.buf, r.head = buf, 0
	}
	r.buf[(r.head+r.size)%len(r.buf)] = w
	r.size++
}

func (r *ring) pop() (slotWaiter, bool) {
	if r.size == 0 {
		return slotWaiter{}, false
	}
	w := r.buf[r.head]
	r.buf[r.head] = slotWaiter{}
	r.head = (r.head + 1) % len(r.buf)
	r.size--
	return w, true
}

// remove takes the goroutine waiting on wake out of line, and reports
// whether it was in line.
func (r *ring) remove(wake chan struct{}) bool {
	return r.filter(func(w slotWaiter) bool { return w.wake != wake }) != nil
}

// takeInputs takes every input out of line, keeping the goroutines in
// their order, and returns the inputs in theirs.
func (r *ring) takeInputs() []*pending {
	var ps []*pending
	r.filter(func(w slotWaiter) bool {
		if w.p != nil {
			ps = append(ps, w.p)
			return false
		}
		return true
	})
	return ps
}

// filter keeps the waiters for which keep is true, in order, and returns
// those it dropped.
func (r *ring) filter(keep func(slotWaiter) bool) []slotWaiter {
	var dropped []slotWaiter
	kept := make([]slotWaiter, 0, r.size)
	for i := 0; i < r.size; i++ {
		w := r.buf[(r.head+i)%len(r.buf)]
		if keep(w) {
			kept = append(kept, w)
		} else {
			dropped = append(dropped, w)
		}
	}
	clear(r.buf)
	r.head, r.size = 0, copy(r.buf, kept)
	return dropped
}
