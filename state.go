package async

import "strconv"

// State is where a task is in its life. A task moves forward only:
// Pending → Running → Done or Cancelled, or Pending → Cancelled when it is
// cancelled before its function is entered.
type State int32

const (
	// Pending: the task exists but its function has not been entered yet,
	// either because its goroutine has not been scheduled or because it is
	// queued behind a group's concurrency limit.
	Pending State = iota
	// Running: the task's function has been entered and has not returned.
	Running
	// Done: the function returned, with a result or an error (a failure).
	Done
	// Cancelled: the task ended because it was cancelled: before its
	// function was entered, or because the function returned a
	// cancellation (see the package doc for the rule).
	Cancelled
	// Waiting is a view of Running that only a [Snapshot] reports: the
	// task's function is blocked in one of this package's waits (Await,
	// Gather, Wait, AsCompleted, WaitFor, Timeout, the end of WithGroup,
	// Sleep, SleepNamed, a Future's Await). [Task.State] never returns it.
	Waiting
)

// String returns the lower-case name of the state, as asyncio prints it.
func (s State) String() string {
	switch s {
	case Pending:
		return "pending"
	case Running:
		return "running"
	case Done:
		return "done"
	case Cancelled:
		return "cancelled"
	case Waiting:
		return "waiting"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Finished reports whether s is a final state (Done or Cancelled).
func (s State) Finished() bool { return s == Done || s == Cancelled }
