package async

import (
	"context"
	"sync/atomic"
	"time"
)

// taskContext is the context a task's function receives: the task itself,
// seen as a context.Context, so that handing it over costs nothing.
//
// A task's own context — a context.WithCancelCause of the one it was started
// with, which Cancel cancels and which ends when the task does — is made
// only when something needs it: a Done channel, a Cancel, or a look at the
// context after the task has ended. Until then the task answers Err, Value
// and Deadline from its parent, which is what its own context would answer:
// it could only differ once cancelled or ended. Making it costs two
// allocations and, under a cancellable parent, a place in the parent's
// children; a task that never looks at its context pays neither. Because the
// context made is a real one, context.Cause, AfterFunc and derived contexts
// behave exactly as usual. One made after the parent was cancelled is
// cancelled with the parent's cause before anyone can look at it, even if
// the parent's cancellation has not reached the contexts derived from it
// yet: what the task's context said before it was made, it keeps saying
// (see adoptParentCancel).
//
// A context made after the task ended answers as it would have had it been
// made at the start: what the parent said when the task ended, if it was
// cancelled by then, else ended with [ErrTaskReturned]. Nothing that
// happens to the parent afterwards shows through.
//
// Err on a context that is not made asks the parent; under tasks started
// one inside another, each with the previous one's context, that would be
// a walk of every enclosing task. So that Err costs the same at any depth,
// no more than maxUnmadeChain such contexts in a row stay unmade: starting
// a task deeper than that makes the context of the task that many levels
// up (see boundUnmadeChain).
//
// A task of a group, or one whose parent can never be cancelled
// (context.Background, context.WithoutCancel), whose function asks for Done
// before anything made its context gets a channel and nothing else (see
// ownDone): the group closes it when it is cancelled, walking its own list,
// and the task when it ends or is cancelled. Err, Value and Cause still
// answer from the parent, which is what the context would answer; the
// standard library's context is made, as above, only if the task is
// cancelled on its own or something asks after it ended. Contexts derived
// from such a context register with it through its AfterFunc method, as
// the standard library does for any context that has one, without a
// goroutine. When the group is cancelled from above (its parent is), the
// group hears of it in a goroutine of the standard library's
// (context.AfterFunc), and closes the channels then: the task's Err says
// cancelled as soon as the cancel returns, and the channel, and with it
// the contexts derived from the task's, follow as the cancellation
// propagates. The contexts of tasks and of Map's calls made from it do
// not wait for that: their Err adopts the parent's cancellation when it
// first sees it (see mayLag).
type taskContext taskCore

// liveContext is a task's own context and the function that cancels it.
type liveContext struct {
	context.Context
	cancel context.CancelCauseFunc
	// light is the task's ctxDone if it had one before this was made:
	// Done keeps answering with it, since Done must return the same
	// channel every time.
	light chan struct{}
	// adopted is set once the parent's cancellation, if it came before
	// this was published, is this context's too (see adoptParentCancel).
	adopted atomic.Bool
}

// Done returns the context's Done channel: the one it was first asked for.
func (l *liveContext) Done() <-chan struct{} {
	if l.light != nil {
		return l.light
	}
	return l.Context.Done()
}

// contextEnded and contextEndedCancelled stand in a task's live field when
// the task ended before anything made its context: whatever makes it
// afterwards makes it ended, as it was at the end. contextEnded: the parent
// was not cancelled then, so the context ended with ErrTaskReturned;
// contextEndedCancelled: the parent was, and its error and cause, which no
// later cancellation changes, are the context's.
//
// contextLight stands in a group task's live field while its context is
// only ctxDone (see ownDone); contextEndedLight and
// contextEndedCancelledLight when such a task ended: ctxDone was made
// before they were stored, so whoever loads them may read it.
//
// contextSeenCancelled and contextSeenCancelledLight stand for a context
// not made (nil, contextLight) that someone was told is cancelled, through
// its parent (see seenCancelled): the task's end, which finds one of them
// instead of what it looked for, records that the context ended cancelled
// by the parent, whatever it saw of the parent before. Between the end's
// look at the parent and what it records, the parent may be cancelled and
// a reader told so: this keeps the end from taking that back.
var (
	contextEnded               = new(liveContext)
	contextEndedCancelled      = new(liveContext)
	contextLight               = new(liveContext)
	contextEndedLight          = new(liveContext)
	contextEndedCancelledLight = new(liveContext)
	contextSeenCancelled       = new(liveContext)
	contextSeenCancelledLight  = new(liveContext)
)

// ended reports whether l is one of the stand-ins for an ended context.
func ended(l *liveContext) bool {
	switch l {
	case contextEnded, contextEndedCancelled, contextEndedLight, contextEndedCancelledLight:
		return true
	}
	return false
}

// unmade reports whether l stands for a context not made yet, and not
// ended: nil, or only a Done channel, seen cancelled or not.
func unmade(l *liveContext) bool {
	return l == nil || l == contextLight || l == contextSeenCancelled || l == contextSeenCancelledLight
}

// light reports whether l stands for a context not made whose Done is
// ctxDone (see ownDone).
func light(l *liveContext) bool {
	switch l {
	case contextLight, contextSeenCancelledLight, contextEndedLight, contextEndedCancelledLight:
		return true
	}
	return false
}

// endMark returns the stand-in for a context that ends now, unmade: the
// parent's cancellation, if there is one, is the context's, and light says
// whether it had a Done channel of its own. baseDone says the caller has
// already seen the parent cancelled. What it returns holds only if stored
// in place of nil or contextLight: a reader told meanwhile that the parent
// is cancelled has stored another stand-in (see seenCancelled).
func (t *taskCore) endMark(light, baseDone bool) *liveContext {
	cancelled := baseDone || t.base().Err() != nil
	switch {
	case light && cancelled:
		return contextEndedCancelledLight
	case light:
		return contextEndedLight
	case cancelled:
		return contextEndedCancelled
	}
	return contextEnded
}

// maxUnmadeChain is how many tasks in a row, each started with the previous
// one's context, may leave their contexts unmade: Err on the innermost asks
// each of them, so this bounds its cost at any depth.
const maxUnmadeChain = 4

// boundUnmadeChain keeps the chain of unmade task contexts above a task
// started with ctx at most maxUnmadeChain long, by making the context of
// the task at that distance when the chain would grow longer. The chain
// only ever shortens after that (contexts are made, tasks end), so each
// task starting looks at most that far up, and Err walks no further.
func boundUnmadeChain(ctx context.Context) {
	p, ok := ctx.(*taskContext)
	if !ok {
		return
	}
	x := (*taskCore)(p)
	for n := 1; unmade(x.live.Load()); n++ {
		up, ok := x.base().(*taskContext)
		if !ok {
			return
		}
		if n == maxUnmadeChain {
			x.liveContext()
			return
		}
		x = (*taskCore)(up)
	}
}

// context returns the context the task's function receives.
func (t *taskCore) context() context.Context { return (*taskContext)(t) }

// base returns the context the task's own context derives from.
func (t *taskCore) base() context.Context {
	if x := t.extra.Load(); x != nil {
		if m := x.more.Load(); m != nil {
			if r := m.rare.Load(); r != nil && r.trace.ctx != nil {
				return r.trace.ctx
			}
		}
	}
	return t.parent
}

// liveContext returns the task's own context, making it if needed.
func (t *taskCore) liveContext() *liveContext {
	for {
		l := t.live.Load()
		if l != nil && l.Context != nil {
			return l // made: every stand-in has no Context
		}
		base := t.base()
		if l == contextEnded || l == contextEndedLight {
			// Ended before the parent was cancelled: made from a parent
			// that nothing cancels, so that no later cause shows.
			base = context.WithoutCancel(base)
		}
		ctx, cancel := context.WithCancelCause(base)
		made := &liveContext{Context: ctx, cancel: cancel}
		if light(l) {
			made.light = t.ctxDone // made before l was stored
		}
		switch l {
		case contextEnded, contextEndedLight:
			cancel(ErrTaskReturned)
			made.adopted.Store(true)
		case contextEndedCancelled, contextEndedCancelledLight, contextSeenCancelled, contextSeenCancelledLight:
			// Seen cancelled by the parent, or ended so: the parent's
			// cause, even if the parent has not told what was just made
			// yet (a context of another kind may tell it later).
			cancel(context.Cause(base))
			made.adopted.Store(true)
		}
		if t.live.CompareAndSwap(l, made) {
			adoptParentCancel(made, base)
			return made
		}
		cancel(ErrTaskReturned) // another goroutine made it first
	}
}

// adoptParentCancel cancels made, a task's context just made from base,
// with base's cause if base is cancelled already.
//
// Until made was published, the task answered Err and Cause from base: if
// anyone was told the context is cancelled, base was cancelled before made
// was published, so it is seen cancelled here. The standard library
// cancels made with base's cause too, but later, once base's cancellation
// reaches it: in between, made would say it is not cancelled, and a Cancel
// that gets there first would give it another cause. Either would take
// back what the context has said.
//
// Whoever uses made before that is done (Err, Cancel, the task's end:
// see catchUp) does it first: made is published before, so it may be
// looked at before the one that made it gets here.
func adoptParentCancel(made *liveContext, base context.Context) {
	if made.adopted.Load() {
		return
	}
	if base.Err() != nil {
		made.cancel(context.Cause(base))
	}
	made.adopted.Store(true)
}

// endContext ends the task's own context, when the task ends. If it was
// not made, it records whether the parent was cancelled by then, which is
// what the context answers if it is made afterwards; baseDone says the
// caller has already seen that it was.
//
// The compare-and-swap that stores what it records decides it: a reader
// told, perhaps after the end looked at the parent, that the context is
// cancelled through the parent has recorded that first (see
// seenCancelled), the end's fails, and it records that the context ended
// cancelled by the parent, whatever it saw of it. An end that nothing
// contends costs a load, the look at the parent and one compare-and-swap.
func (t *taskCore) endContext(baseDone bool) {
	if t.live.Load() == nil && t.live.CompareAndSwap(nil, t.endMark(false, baseDone)) {
		return
	}
	t.endMadeContext(baseDone)
}

// endMadeContext is endContext when the context was made, given a Done
// channel, or seen cancelled, before the end could record anything: live
// is no longer nil.
func (t *taskCore) endMadeContext(baseDone bool) {
	l := t.live.Load()
	if l == contextSeenCancelled {
		if t.live.CompareAndSwap(l, contextEndedCancelled) {
			return
		}
		l = t.live.Load() // made, or given a Done channel, meanwhile
	}
	if l == contextLight || l == contextSeenCancelledLight {
		t.mu.Lock()
		for l == contextLight || l == contextSeenCancelledLight {
			mark := contextEndedCancelledLight
			if l == contextLight {
				mark = t.endMark(true, baseDone)
			}
			if t.live.CompareAndSwap(l, mark) {
				t.closeDoneLocked()
				t.mu.Unlock()
				return
			}
			l = t.live.Load() // seen cancelled, or made, meanwhile
		}
		t.mu.Unlock()
	}
	t.catchUp(l)
	l.cancel(ErrTaskReturned)
	if l.light != nil {
		t.closeDone()
	}
}

// ownDone gives the task's context, not made yet, a Done channel of its
// own, which the task's group (if it has one) closes when it is cancelled
// and the task when it ends or is cancelled, and returns it; or nil if the
// context was made, or the task ended, meanwhile. Unlike making the
// standard library's context, it costs the channel alone: no cancel
// function, no place in the parent context's children map. It is for the
// tasks of ownsDone.
func (t *taskCore) ownDone() <-chan struct{} {
	t.mu.Lock()
	l := t.live.Load()
	mark := contextLight
	switch l {
	case nil:
	case contextSeenCancelled:
		mark = contextSeenCancelledLight
	default:
		t.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	t.ctxDone = ch
	if !t.live.CompareAndSwap(l, mark) {
		t.ctxDone = nil // nobody read it: only a light stand-in says it is there
		t.mu.Unlock()
		return nil
	}
	t.mu.Unlock()
	if t.inGroup {
		t.group().watchDone(t)
	}
	return ch
}

// ownsDone reports whether the task's context can be given a Done channel
// of its own (ownDone): the parent is its group's context, which closes the
// channel when it is cancelled, or a context that is never cancelled, so
// nothing but the task closes it; and the context derives from the parent
// itself, not from a trace's.
func (t *taskCore) ownsDone() bool {
	if t.base() != t.parent {
		return false
	}
	if t.inGroup {
		return true
	}
	if _, ok := t.parent.(*taskContext); ok {
		return false // asking for its Done would make its context
	}
	return t.parent.Done() == nil
}

// closeDoneLocked closes ctxDone, unless it is closed already, first
// calling the functions registered with AfterFunc: the contexts derived
// from this one are cancelled before anyone woken by the channel can look
// at them, or cancel them another way (a deferred cancel in the task,
// which would give them another cause). The standard library too cancels
// a context's children holding the context's lock. Those functions cancel
// the standard library's contexts, asking this one for its error and
// cause, which takes no lock of the task's. t.mu must be held, and ctxDone
// made.
func (t *taskCore) closeDoneLocked() {
	select {
	case <-t.ctxDone:
		return
	default:
	}
	if x := t.extra.Load(); x != nil {
		if m := x.more.Load(); m != nil {
			if r := m.rare.Load(); r != nil {
				after := r.after
				r.after = nil
				for _, a := range after {
					a.f()
				}
			}
		}
	}
	close(t.ctxDone)
}

// closeDone closes ctxDone, for the group cancelling t.
func (t *taskCore) closeDone() {
	t.mu.Lock()
	t.closeDoneLocked()
	t.mu.Unlock()
}

// afterFunc is a function registered with a task context's AfterFunc, and
// where it is in the task's list, so that stop takes it out in one step.
type afterFunc struct {
	f func()
	i int // guarded by the task's mutex
}

// AfterFunc arranges for f to be called once the context is done, and
// returns a function that stops that, reporting whether it did. The
// standard library calls it for every context derived from this one
// (context.WithCancel and the like, context.AfterFunc), when the
// context's Done channel is one of its own (see ownDone): f is then
// called synchronously, just before the channel closes, which is how a
// derived context is cancelled with its parent, with no goroutine. If the
// context is done already, f runs in a goroutine of its own, as
// context.AfterFunc runs it. Registering and stopping cost O(1), so that a
// task may derive any number of contexts.
func (c *taskContext) AfterFunc(f func()) (stop func() bool) {
	t := (*taskCore)(c)
	done := c.Done()
	t.mu.Lock()
	if t.ctxDone == nil || done != t.ctxDone {
		// The standard library's own context answers Done: it calls this
		// only if asked directly.
		t.mu.Unlock()
		return context.AfterFunc(t.liveContext().Context, f)
	}
	select {
	case <-t.ctxDone:
		t.mu.Unlock()
		go f()
		return func() bool { return false }
	default:
	}
	m := t.rareLocked()
	a := &afterFunc{f: f, i: len(m.after)}
	m.after = append(m.after, a)
	t.mu.Unlock()
	return func() bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		if a.i >= len(m.after) || m.after[a.i] != a {
			return false // run, or stopped, already
		}
		last := len(m.after) - 1
		m.after[a.i] = m.after[last]
		m.after[a.i].i = a.i
		m.after[last] = nil
		m.after = m.after[:last]
		return true
	}
}

// made returns the task's own context if it has been made, or nil.
func (c *taskContext) made() *liveContext {
	t := (*taskCore)(c)
	l := t.live.Load()
	if l != nil && l.Context != nil {
		// Made: every stand-in has no Context. One load, where the
		// switch below compares l with five of them; a task's child asks
		// this when it begins and when it ends.
		return l
	}
	switch {
	case unmade(l):
		return nil
	case ended(l):
		return t.liveContext()
	default:
		return l
	}
}

// seenCancelled records that the task's context, not made, is told
// cancelled through its parent, which Err has just seen cancelled, so that
// the task's end cannot take that back (see endContext). It returns the
// context if it was made, or the task ended, meanwhile: that answers
// instead.
func (t *taskCore) seenCancelled() *liveContext {
	for {
		l := t.live.Load()
		mark := contextSeenCancelled
		switch l {
		case nil:
		case contextLight:
			mark = contextSeenCancelledLight
		case contextSeenCancelled, contextSeenCancelledLight:
			return nil
		default:
			return (*taskContext)(t).made()
		}
		if t.live.CompareAndSwap(l, mark) {
			return nil
		}
	}
}

func (c *taskContext) Deadline() (time.Time, bool) { return (*taskCore)(c).base().Deadline() }

// Done returns the context's Done channel: one of the task's own if it can
// have one (see ownsDone), else the standard library's context's.
func (c *taskContext) Done() <-chan struct{} {
	t := (*taskCore)(c)
	for {
		l := t.live.Load()
		switch {
		case l == contextLight || l == contextSeenCancelledLight:
			return t.ctxDone // made before l was stored
		case (l == nil || l == contextSeenCancelled) && t.ownsDone():
			if ch := t.ownDone(); ch != nil {
				return ch
			}
			continue // made, or ended, meanwhile
		}
		return t.liveContext().Done()
	}
}

// Err answers, made or not, what the context not made answers: the
// parent's error when the parent's cancellation is what ended it. A made
// context holds the standard library's error instead, context.Canceled,
// when the parent is not one of the standard library's own and says
// otherwise (a TimeoutScope's context says DeadlineExceeded once expired);
// the same cause tells that the parent's cancellation reached it first.
func (c *taskContext) Err() error {
	t := (*taskCore)(c)
	if t.live.Load() == nil && t.base().Err() == nil {
		// Not made, not seen cancelled, not ended, and the parent is not
		// cancelled: what a task's child asks when it begins and when it
		// ends, at the price of the parent's Err and two loads.
		return nil
	}
	l := c.made()
	if l == nil {
		err := (*taskCore)(c).base().Err()
		if err == nil {
			return nil
		}
		// Told cancelled from now on, unless made (perhaps by a Cancel
		// that saw the parent not yet cancelled) or ended meanwhile: the
		// made context answers from now on, so it does now.
		if l = (*taskCore)(c).seenCancelled(); l == nil {
			return err
		}
	}
	err := l.Err()
	if err == nil {
		t := (*taskCore)(c)
		if !mayLag(t.parent) && l.adopted.Load() {
			return nil
		}
		// Cancelled by catchUp, or by the parent meanwhile, or not.
		t.catchUp(l)
		if err = l.Err(); err == nil {
			return nil
		}
	}
	if err != context.Canceled {
		return err
	}
	return cancelledErr(l, (*taskCore)(c).base())
}

// catchUp cancels l, the task's made context, with the parent's cause if
// l was published before the one that made it looked at the parent (see
// adoptParentCancel), or if the parent says it is cancelled but may not
// have told l yet (see mayLag). A task's context with a Done channel of its
// own tells the contexts made from it of a cancellation from above its
// group only when the group hears of it, in a goroutine of the standard
// library's (see Group.watchDone); until then, l would say it is not
// cancelled after the cancel had returned, and a Cancel or the task's end
// would give it a cause of its own though the parent's came first. Err,
// Cancel and the task's end call it before they read or cancel l.
func (t *taskCore) catchUp(l *liveContext) {
	if !l.adopted.Load() {
		adoptParentCancel(l, t.base())
	}
	if mayLag(t.parent) && t.base() == t.parent && l.Err() == nil && t.parent.Err() != nil {
		l.cancel(context.Cause(t.parent))
	}
}

// mayLag reports whether a context made from ctx may hear of ctx's
// cancellation later than ctx's Err reports it: ctx is a task's context
// with a Done channel of its own (see ownDone), whose group, cancelled from
// above, closes it in a goroutine of its own. Any other context the
// library makes a context from tells it at once: the standard library's
// own, a task's context made as one of them. (A context of another kind
// altogether is the standard library's business: it too tells the
// contexts made from it in a goroutine.)
func mayLag(ctx context.Context) bool {
	p, ok := ctx.(*taskContext)
	if !ok {
		return false
	}
	l := (*taskCore)(p).live.Load()
	return l != nil && (l.light != nil || light(l))
}

// cancelledErr is Err of a task's or a call's context once made, own,
// derived from parent, when own says context.Canceled: the parent's error
// instead when the parent's cancellation is what ended own and the parent
// says otherwise.
func cancelledErr(own, parent context.Context) error {
	if perr := parent.Err(); perr != nil && perr != context.Canceled && context.Cause(own) == context.Cause(parent) {
		return perr
	}
	return context.Canceled
}

func (c *taskContext) Value(key any) any {
	if _, ok := key.(nodeKey); ok {
		return (*taskCore)(c)
	}
	if l := c.made(); l != nil {
		return l.Value(key)
	}
	return (*taskCore)(c).base().Value(key)
}

func (c *taskContext) String() string {
	return "async.TaskContext(" + (*taskCore)(c).Name() + ")"
}
