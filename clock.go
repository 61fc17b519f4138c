package async

import (
	"sync/atomic"
	"time"
)

// The task clock. A task records when it starts and ends as monotonic
// readings relative to epoch, which cost half of what time.Now does (no wall
// clock is read) on the path every task takes; the wall-clock times are
// worked out only when someone asks. Inside a testing/synctest bubble the
// readings follow the bubble's virtual clock, as time.Now does.
var epoch = time.Now()

// monoNow returns the time since epoch, plus one so that no reading is 0,
// which means "not yet".
func monoNow() int64 { return int64(time.Since(epoch)) + 1 }

// monoTime converts a monoNow reading back to a time.Time. It reads the
// clock once, so that two readings converted at different moments compare
// as the readings do; reading it twice (time.Now and monoNow) would shift
// each conversion by the time between the two reads.
func monoTime(m int64) time.Time {
	if m == 0 {
		return time.Time{}
	}
	now := time.Now()
	return now.Add(time.Duration(m - (int64(now.Sub(epoch)) + 1)))
}

// scopeClockStep is how long a reading of a scope's clock is handed out
// again before the clock is read afresh: the resolution of the times a
// scope's tasks record.
const scopeClockStep = time.Millisecond

// scopeClock is the clock a [Run] scope's tasks record their times with
// (when they start and end, when a wait begins): a reading of the task
// clock, handed out again to everyone who asks within the next
// scopeClockStep. A reading costs an atomic load instead of a read of the
// clock, which on a virtual machine costs as much as a third of what a
// task does; the price is resolution: a time recorded from it may be up to
// about scopeClockStep early (more if the process is starved of CPU, since
// a timer marks the reading stale).
//
// It keeps order: a reading is never earlier than any reading, its own or
// an exact one passed to saw, that happened before it. So a task that
// starts after another ended never has the earlier start time, and a
// task's end is never before its start.
type scopeClock struct {
	latest atomic.Int64 // the reading handed out; 0 once it is stale
	stale  *time.Timer  // marks latest stale scopeClockStep after it was taken
}

// init readies the clock; its timer is armed by the first reading. Inside a
// testing/synctest bubble the timer belongs to the bubble, as the scope does.
func (c *scopeClock) init() {
	c.stale = time.AfterFunc(time.Hour, func() { c.latest.Store(0) })
	c.stale.Stop()
}

// now returns the clock's reading.
func (c *scopeClock) now() int64 {
	if m := c.latest.Load(); m != 0 {
		return m
	}
	return c.saw(monoNow())
}

// saw makes m, a monoNow reading just taken, the clock's reading unless a
// later one has been made meanwhile, and returns the clock's reading.
func (c *scopeClock) saw(m int64) int64 {
	for {
		l := c.latest.Load()
		if l != 0 && l >= m { // readings are negative inside a synctest bubble
			return l
		}
		if c.latest.CompareAndSwap(l, m) {
			if l == 0 {
				// Only the reading that made the clock fresh arms the
				// timer, and the timer's function has run by then, so
				// one firing is pending at a time.
				c.stale.Reset(scopeClockStep)
			}
			return m
		}
	}
}

// stop disarms the clock's timer when its scope ends, leaving the clock
// stale: a task that outlives the scope and reads it takes a fresh reading
// and arms the timer again, for one more firing.
func (c *scopeClock) stop() {
	c.stale.Stop()
	c.latest.Store(0)
}

// timing says whether and how a task records its times.
type timing uint8

const (
	untimed    timing = iota // StartTime and EndTime are the zero Time
	scopeTimed               // a task of a Run scope: from the scope's clock
	exactTimed               // WithTimes: exact readings of the task clock
)

// timingFor returns the timing of a task started WithTimes or not, and
// recorded by track, if anything records it.
func timingFor(withTimes bool, track *tracker) timing {
	switch {
	case withTimes:
		return exactTimed
	case track != nil:
		return scopeTimed
	}
	return untimed
}

// trackerNow returns a reading of the clock the tasks that track records
// read: its scope's clock, or the task clock.
func trackerNow(track tracker) int64 {
	if c := track.clock(); c != nil {
		return c.now()
	}
	return monoNow()
}

// now returns a reading for one of the task's times; x is its extra part.
// A task of a scope that asked for exact times still moves its scope's
// clock, so that the scope's readings stay in order with its own.
func (t *taskCore) now(x *taskExtra) int64 {
	var c *scopeClock
	if x.track != nil {
		c = (*x.track).clock()
	}
	if t.timing == scopeTimed && c != nil {
		return c.now()
	}
	m := monoNow()
	if c != nil {
		c.saw(m)
	}
	return m
}
