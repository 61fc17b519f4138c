package async

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

// NoTimeout is the duration that never runs out: given to [WaitFor],
// [Timeout] or [NewTimeout], it means "no time limit", as None does for
// asyncio's timeouts. A duration of 0 or less is not "no limit": it has
// already run out.
const NoTimeout time.Duration = math.MaxInt64

// TimeoutScope is a timeout whose deadline can be read and moved while the
// code it limits runs: asyncio.Timeout, the object `async with
// asyncio.timeout(d) as cm` binds. [NewTimeout] makes one with the context
// to run the code with; when the deadline passes, that context is cancelled
// with a [*TimeoutError] as its cause.
//
// After the code has run, [TimeoutScope.Exit] ends the scope and tells a
// timeout apart from anything else; [TimeoutScope.Expired] says whether the
// deadline passed. Every method is safe for concurrent use.
//
// The scope's context reports its parent's Deadline, not the scope's own,
// because the scope's deadline moves and a context's Deadline must not: a
// context derived from it (context.WithTimeout, [WaitFor], [Timeout])
// compares its own deadline with its parent's once, when it is made, and
// sets no timer of its own if the parent's is earlier. Were the scope's
// deadline reported, moving it later would silently carry every such inner
// deadline along; as it is, inner deadlines stay independent of the scope,
// as nested timeouts are in asyncio and Trio. Read the scope's deadline
// with [TimeoutScope.Deadline].
//
// Once the deadline has passed, the context's Err is
// context.DeadlineExceeded and its cause the [*TimeoutError], as with
// context.WithTimeoutCause, and so is the context of a task started with
// it. Other contexts derived from it see that cause, but their Err is
// context.Canceled: the standard library gives DeadlineExceeded only to the
// contexts of its own timers, so test them with
// errors.Is(context.Cause(ctx), ErrTimeout), or let [TimeoutScope.Exit]
// sort the outcome.
type TimeoutScope struct {
	ctx    timeoutContext
	parent context.Context
	cancel context.CancelCauseFunc
	start  time.Time
	err    *TimeoutError // the cause when the deadline passes

	mu       sync.Mutex
	deadline time.Time // zero for none
	timer    *time.Timer
	gen      uint64 // counts schedules, so that a stale timer does nothing
	expired  bool
	exited   bool
}

// timeoutContext is the scope's context: an ordinary cancellable context
// (so that contexts derived from it are cancelled by the same call) that
// answers Err as a deadline does once the scope's timer cancelled it.
type timeoutContext struct {
	context.Context
	s *TimeoutScope
}

// Deadline is the parent's: see [TimeoutScope] for why not the scope's.
func (c *timeoutContext) Deadline() (time.Time, bool) { return c.s.parent.Deadline() }

// Err returns context.DeadlineExceeded if the scope's expiry is what
// cancelled the context (its cause is the scope's TimeoutError: a cause is
// set once, by whatever cancelled the context first), else what the
// context says.
func (c *timeoutContext) Err() error {
	err := c.Context.Err()
	if err != nil && context.Cause(c.Context) == error(c.s.err) {
		return context.DeadlineExceeded
	}
	return err
}

func (c *timeoutContext) String() string { return "async.TimeoutContext" }

// NewTimeout returns a context derived from ctx that is cancelled when d has
// passed, with a [*TimeoutError] as cause, and the scope that moves that
// deadline. d == [NoTimeout] sets no deadline (one can be set later with
// [TimeoutScope.Reschedule]). The caller must call [TimeoutScope.Exit] or
// [TimeoutScope.Stop] when the code is done, as with context.WithTimeout's
// cancel function.
//
//	ctx, tm := async.NewTimeout(ctx, 2*time.Second, async.WithName("login"))
//	defer tm.Stop()
//	v, err := login(ctx)           // may call tm.Reschedule to extend its time
//	err = tm.Exit(err)             // a *TimeoutError if the deadline cut login short
//
// Options: [WithName] (names the scope in its TimeoutError).
func NewTimeout(ctx context.Context, d time.Duration, opts ...TimeoutOption) (context.Context, *TimeoutScope) {
	when := time.Time{}
	now := time.Now()
	if d != NoTimeout {
		when = now.Add(d)
	}
	return newTimeoutScope(ctx, now, when, opts)
}

// NewTimeoutAt is [NewTimeout] with an absolute deadline
// (asyncio.timeout_at); the zero Time means no deadline.
func NewTimeoutAt(ctx context.Context, when time.Time, opts ...TimeoutOption) (context.Context, *TimeoutScope) {
	return newTimeoutScope(ctx, time.Now(), when, opts)
}

func newTimeoutScope(ctx context.Context, now, when time.Time, opts []TimeoutOption) (context.Context, *TimeoutScope) {
	s := &TimeoutScope{parent: ctx, start: now, err: &TimeoutError{}}
	if len(opts) > 0 {
		s.err.Name = nameOf(opts)
	}
	cctx, cancel := context.WithCancelCause(ctx)
	s.ctx = timeoutContext{Context: cctx, s: s}
	s.cancel = cancel
	s.mu.Lock()
	s.scheduleLocked(when)
	s.mu.Unlock()
	return &s.ctx, s
}

// Deadline returns the scope's current deadline, and false if it has none
// (asyncio's when()). The scope's context does not report it: see
// [TimeoutScope].
func (s *TimeoutScope) Deadline() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deadline, !s.deadline.IsZero()
}

// Reschedule moves the deadline to when, later or earlier; the zero Time
// removes it. A deadline already past expires the scope at once. It reports
// false, and changes nothing, if the scope has already expired or exited:
// asyncio raises RuntimeError there.
func (s *TimeoutScope) Reschedule(when time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.expired || s.exited {
		return false
	}
	s.scheduleLocked(when)
	return true
}

// scheduleLocked replaces the timer with one for when. s.mu must be held.
func (s *TimeoutScope) scheduleLocked(when time.Time) {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.gen++
	s.deadline = when
	if when.IsZero() {
		return
	}
	d := time.Until(when)
	if d <= 0 {
		s.expireLocked()
		return
	}
	gen := s.gen
	s.timer = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.gen == gen && !s.exited {
			s.expireLocked()
		}
	})
}

func (s *TimeoutScope) expireLocked() {
	if s.expired {
		return
	}
	s.expired = true
	s.err.After = s.deadline.Sub(s.start)
	s.cancel(s.err)
}

// Expired reports whether the deadline passed before the scope exited
// (asyncio's expired()). It can be true while the code still runs: the
// context is cancelled, and the code has not noticed yet.
func (s *TimeoutScope) Expired() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expired
}

// Stop ends the scope without judging any outcome: the timer is stopped and
// the context released. It is safe to call more than once and after
// [TimeoutScope.Exit], which makes it the one to defer.
func (s *TimeoutScope) Stop() {
	s.mu.Lock()
	if !s.expired && !s.exited && !s.deadline.IsZero() && !time.Now().Before(s.deadline) {
		// The deadline has passed and its timer has not run yet (two
		// scopes with one deadline, say): it expired all the same.
		s.expireLocked()
	}
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.exited = true
	s.mu.Unlock()
	s.cancel(context.Canceled)
}

// Exit ends the scope, as [TimeoutScope.Stop] does, and returns err, the
// error of the code the scope limited, or in its place the scope's
// [*TimeoutError] if the deadline passed and err is the code giving up
// because of it (its context's error), as asyncio's Timeout turns the
// CancelledError into TimeoutError on the way out. A cancellation of the
// parent context that reached the code first, or any other error, is
// returned as is.
func (s *TimeoutScope) Exit(err error) error {
	s.Stop()
	if err == nil || !s.Expired() {
		return err
	}
	return timeoutOutcome(context.Cause(&s.ctx), s.err, err)
}

// timeoutOutcome returns timeout instead of err when err is the code giving
// up because the timeout cancelled its context: cause, the context's cause,
// is the timeout, so the timer fired before anything else cancelled the
// context, and err is the context's error. A cancellation that reached the
// context first (its parent's, with its own cause) and real errors stand,
// whatever happened after.
func timeoutOutcome(cause error, timeout *TimeoutError, err error) error {
	if err != nil && cause == error(timeout) && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		return timeout
	}
	return err
}
