package async

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// A JoinPolicy decides, as a group's tasks end, whether the group cancels
// the rest, and what [WithGroup] returns: Java's StructuredTaskScope.Joiner,
// as a value given with [WithJoin]. [FailFast] is the default; [CollectAll]
// and [FirstSuccess] are the other common ones; any type with these two
// methods is a policy.
//
// [Map] and [GatherFunc] honour any policy too, handing it their calls as
// they end (see Map).
//
// A policy serves one group: make a new one for each WithGroup.
type JoinPolicy interface {
	// Join is called once for each of the group's tasks as it ends, one
	// call at a time, in the order the tasks end, before anyone can see
	// the task finished (so an awaiter of a task that made Join cancel
	// the group finds the group cancelled). err is nil if the task
	// succeeded, a [*CancelledError] (errors.Is(err, context.Canceled))
	// if it ended cancelled, or its failure. Join returns a non-nil cause
	// to cancel the group with, or nil to let the rest run. It must not
	// block or add tasks to the group.
	Join(t Handle, err error) (cancel error)
	// Result returns what WithGroup returns once its body and every task
	// have ended: nil for success. A failure of the body itself is added
	// to it (see WithGroup).
	Result() error
}

// FailFast returns the default policy, asyncio's TaskGroup and errgroup's:
// the first task to fail cancels the group, and WithGroup returns a
// [*GroupError] of every real failure; cancellations are not failures.
// Under [Map] and [GatherFunc] the first call to fail cancels the rest, and
// its error, an [*IndexError], is what they return (or, if no call failed
// but one passed on a cancellation of its own, that one's).
func FailFast() JoinPolicy { return &failFast{} }

// failFast is the default policy. A group given it behaves as one given no
// policy, through the group's own bookkeeping, which costs a task nothing
// extra; Map and GatherFunc use its methods.
type failFast struct {
	mu    sync.Mutex
	first error // the first real failure
	echo  error // the first cancellation
}

// Join cancels with the first real failure.
func (f *failFast) Join(_ Handle, err error) error {
	if err == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case errors.Is(err, context.Canceled):
		if f.echo == nil {
			f.echo = err
		}
	case f.first == nil:
		f.first = err
		return err
	}
	return nil
}

func (*failFast) ignoresSuccess() {}

// Result returns the first real failure, or else the first cancellation.
func (f *failFast) Result() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.first != nil {
		return f.first
	}
	return f.echo
}

// attributed returns err as a policy records it: as it is if it already
// names where it came from (a call of Map or GatherFunc, a task), else in a
// TaskError with t's name.
func attributed(t Handle, err error) error {
	switch err.(type) {
	case *IndexError, *TaskError:
		return err
	}
	return &TaskError{Task: t.Name(), Err: err}
}

// CollectAll returns a policy under which no task's end cancels the others:
// every task runs to its end, and WithGroup returns a [*GroupError] of
// every failure, in the order they happened (nil if none failed). Every
// task's result stays in its handle. It is for independent work whose
// failures are reported together: conc's pool without WithCancelOnError,
// Java's awaitAll.
func CollectAll() *Collector { return &Collector{} }

// Collector is the [CollectAll] policy. After WithGroup returns, Result
// returns the failures as the GroupError does.
type Collector struct {
	mu   sync.Mutex
	errs []error
}

// Join records a failure; it never cancels.
func (c *Collector) Join(t Handle, err error) error {
	if err != nil && !errors.Is(err, context.Canceled) {
		c.mu.Lock()
		c.errs = append(c.errs, attributed(t, err))
		c.mu.Unlock()
	}
	return nil
}

func (*Collector) ignoresSuccess() {}

// Result returns a [*GroupError] of every failure, or nil.
func (c *Collector) Result() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) == 0 {
		return nil
	}
	return &GroupError{Errors: c.errs}
}

// FirstSuccess returns a policy under which the first task to succeed wins
// and the others are cancelled, with cause [ErrFirstSuccess]: hedged
// requests, racing mirrors, Java's anySuccessfulOrThrow. WithGroup returns
// nil if a task succeeded; otherwise a [*GroupError] of every failure, or
// [ErrNoSuccess] if nothing failed. The winner is [Race.Winner], and its
// result is in its handle.
func FirstSuccess() *Race { return &Race{} }

// Race is the [FirstSuccess] policy.
type Race struct {
	mu     sync.Mutex
	winner Handle
	errs   []error
}

// Join makes the first success the winner and cancels the rest.
func (r *Race) Join(t Handle, err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err == nil && r.winner == nil:
		r.winner = t
		return ErrFirstSuccess
	case err != nil && !errors.Is(err, context.Canceled):
		r.errs = append(r.errs, attributed(t, err))
	}
	return nil
}

// Result returns nil if a task won, and otherwise every failure.
func (r *Race) Result() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.winner != nil:
		return nil
	case len(r.errs) > 0:
		return &GroupError{Errors: r.errs}
	}
	return ErrNoSuccess
}

// Winner returns the task that succeeded first, or nil if none did. Its
// result, typed, is [WinnerResult]'s.
func (r *Race) Winner() Handle {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.winner
}

// Index returns, after [Map] or [GatherFunc] under this policy, the index
// of the item or function whose call succeeded first, or -1 if none did
// (or the policy served a group, whose winner is a task: see
// [Race.Winner]).
func (r *Race) Index() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.winner.(interface{ callIndex() int }); ok {
		return c.callIndex()
	}
	return -1
}

// WinnerResult returns the result of r's winner, the task or call that
// succeeded first, with ok true; or the zero T and false if none won, or if
// the winner's result is not a T (a task of [Group.Go], whose result is
// the empty struct, or a task of another type). It never panics.
func WinnerResult[T any](r *Race) (v T, ok bool) {
	w, ok := r.Winner().(interface{ Result() (T, error) })
	if !ok {
		return v, false
	}
	v, err := w.Result()
	return v, err == nil
}

// taskEnded records the end of one of the group's tasks, before the end is
// published: under the default policy a failure, which cancels the group;
// under a join policy whatever the policy decides. self is the task as its
// user holds it.
func (g *Group) taskEnded(self Handle, t *taskCore, state State, err error) {
	if g.join == nil {
		if err != nil && state == Done {
			g.taskFailed(t, err)
		}
		return
	}
	if cause := g.callJoin(func() error { return g.join.Join(self, err) }); cause != nil {
		g.Cancel(cause)
	}
}

// callJoin calls the policy, one call at a time. A policy that panics is a
// failure of the group, reported as such, and cancels it: a bug in a policy
// must neither crash the task that ended nor go unseen.
func (g *Group) callJoin(f func() error) (res error) {
	g.joinMu.Lock()
	defer g.joinMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			g.fail(&TaskError{Task: g.name + " join policy", Err: recovered(g.name+" join policy", r)})
			res = nil
		}
	}()
	return f()
}

// joinResult merges the policy's result with the group's own failures (the
// body's, and a panicking policy's): it returns every failure to report in
// a GroupError, and the policy's own error when there is nothing to merge
// it with.
func (g *Group) joinResult() (errs []error, res error) {
	res = g.callJoin(g.join.Result)
	g.mu.Lock()
	errs = slices.Clone(g.errs)
	g.mu.Unlock()
	if ge, ok := res.(*GroupError); ok {
		return append(errs, ge.Errors...), nil
	}
	if res != nil && len(errs) > 0 {
		return append(errs, res), nil
	}
	return errs, res
}
