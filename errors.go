package async

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ErrInvalidState is returned by [Task.Result] and [Task.Err] while the task
// has not finished (asyncio's InvalidStateError). Test for it with errors.Is.
var ErrInvalidState = errors.New("async: invalid state")

// ErrGoexit is the error of a task whose function called runtime.Goexit
// (t.FailNow in a test does), so that awaiters are released instead of
// waiting forever.
var ErrGoexit = errors.New("async: task function called runtime.Goexit")

// ErrGroupClosed is the error of a task added to a [Group] whose scope has
// already ended.
var ErrGroupClosed = errors.New("async: group is closed")

// ErrTimeout matches every [TimeoutError] with errors.Is. Timeouts also match
// context.DeadlineExceeded, so code that only knows the context package still
// recognises them.
var ErrTimeout = errors.New("async: timeout")

// ErrNilFailure is the error of a [Future] failed with a nil error: the
// future still settles, so that no awaiter waits forever, and the mistake
// shows where the result is read.
var ErrNilFailure = errors.New("async: Future.Fail called with a nil error")

// ErrFirstSuccess is the cause with which [FirstSuccess] cancels the tasks
// still running once one has succeeded.
var ErrFirstSuccess = errors.New("async: another task succeeded first")

// ErrNoSuccess is what a group under [FirstSuccess] returns when none of its
// tasks succeeded and none failed either: there were none, or every one was
// cancelled.
var ErrNoSuccess = errors.New("async: no task succeeded")

// ErrMainReturned is the cause with which [Run] cancels the tasks still
// running when main has returned that main's own context did not already
// cancel: those started with the scope's context, or detached from main's
// with context.WithoutCancel. Tasks started with main's context see
// [ErrTaskReturned], since a task's context ends with its function.
var ErrMainReturned = errors.New("async: main returned")

// ErrStreamStopped is the cause with which [Stream] cancels the calls still
// running when its consumer stops early (breaks out of the loop, returns or
// panics).
var ErrStreamStopped = errors.New("async: stream consumer stopped")

// ErrTaskReturned is the cause with which a task's context is cancelled when
// its function returns. Goroutines and tasks started with that context see it
// in context.Cause: like a context whose cancel function was deferred, a
// task's context does not outlive the task.
var ErrTaskReturned = errors.New("async: the task that owns this context has returned")

// CancelledError is the error of a task that ended because it was cancelled
// (asyncio's CancelledError). errors.Is(err, context.Canceled) is true for it,
// and errors.Is/As also see its Cause: the error given to [Task.Cancel], the
// cause of a parent context's cancellation, or a [TimeoutError].
type CancelledError struct {
	Task  string // name of the cancelled task or group
	Cause error  // why it was cancelled; context.Canceled when no cause was given
}

func (e *CancelledError) Error() string {
	if e.Cause == nil || e.Cause == context.Canceled {
		return fmt.Sprintf("task %q cancelled", e.Task)
	}
	return fmt.Sprintf("task %q cancelled: %v", e.Task, e.Cause)
}

// Is reports true for context.Canceled: a cancelled task is a cancellation
// whatever its cause.
func (e *CancelledError) Is(target error) bool { return target == context.Canceled }

// Unwrap returns the cause.
func (e *CancelledError) Unwrap() error { return e.Cause }

// PanicError is the error of a task whose function panicked. The panic is
// recovered in the task's goroutine, so it never crashes the program; the
// value and the stack of the panicking goroutine are kept here.
type PanicError struct {
	Task  string // name of the task that panicked
	Value any    // the value passed to panic
	// Stack is the goroutine's stack at the panic, as runtime/debug.Stack
	// prints it. Error leaves it out, so that a log line stays one line;
	// print it where the panic is handled.
	Stack []byte
}

// Error returns one line naming the task and the panic value, e.g.
// `task "fetch" panicked: runtime error: index out of range [0] with length 0`.
// Line breaks in the value are written as \n.
func (e *PanicError) Error() string {
	v := fmt.Sprint(e.Value)
	if strings.Contains(v, "\n") {
		v = strings.ReplaceAll(v, "\n", `\n`)
	}
	return "task " + strconv.Quote(e.Task) + " panicked: " + v
}

// Unwrap returns the panic value when it is an error, so that
// errors.Is(err, io.EOF) works for panic(io.EOF).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// recovered returns the PanicError for the value r that recover returned in
// the goroutine of the code named task, with that goroutine's stack. recover
// itself must be called by the deferred function, so each place that
// recovers calls it and hands the value here.
func recovered(task string, r any) *PanicError {
	return &PanicError{Task: task, Value: r, Stack: debug.Stack()}
}

// TaskError attributes an error to the task that returned it. The errors a
// [Group] collects are TaskErrors.
type TaskError struct {
	Task string // name of the task
	Err  error  // what the task returned (or a *PanicError)
}

func (e *TaskError) Error() string { return fmt.Sprintf("task %q: %v", e.Task, e.Err) }

// Unwrap returns the task's error.
func (e *TaskError) Unwrap() error { return e.Err }

// GroupError holds every real failure of a [Group]: one [TaskError] per task
// that failed or panicked, plus the body's own error if it returned one. The
// cancellation errors of siblings that the group cancelled because of those
// failures are left out: they are consequences, not causes.
type GroupError struct {
	Group  string  // name of the group
	Errors []error // in the order the failures happened
}

func (e *GroupError) Error() string {
	var b strings.Builder
	if len(e.Errors) == 1 {
		fmt.Fprintf(&b, "group %q: 1 failure: ", e.Group)
		b.WriteString(e.Errors[0].Error())
		return b.String()
	}
	fmt.Fprintf(&b, "group %q: %d failures", e.Group, len(e.Errors))
	for _, err := range e.Errors {
		b.WriteString("\n\t")
		b.WriteString(strings.ReplaceAll(err.Error(), "\n", "\n\t"))
	}
	return b.String()
}

// Unwrap returns the failures, for errors.Is and errors.As.
func (e *GroupError) Unwrap() []error { return e.Errors }

// TimeoutError is the error of an operation that ran out of time: [WaitFor],
// [Timeout], a [TimeoutScope] and a task cancelled by any of them.
// errors.Is(err, ErrTimeout) and errors.Is(err, context.DeadlineExceeded)
// are both true for it, which tells a timeout apart from a cancellation by
// the caller (context.Canceled).
type TimeoutError struct {
	What  string        // the kind of thing that timed out: "task" for WaitFor, empty for a block of code
	Name  string        // its name: the task's, or the one given with WithName; may be empty
	After time.Duration // the time limit that was exceeded
}

// Error returns e.g. `task "fetch" timed out after 2s`, `"load config" timed
// out after 1s` or `operation timed out after 1s`. The text is made only
// here, not when the timeout is set up, so a timeout that never expires
// costs no formatting.
func (e *TimeoutError) Error() string {
	var what string
	switch {
	case e.Name != "" && e.What != "":
		what = e.What + " " + strconv.Quote(e.Name)
	case e.Name != "":
		what = strconv.Quote(e.Name)
	case e.What != "":
		what = e.What
	default:
		what = "operation"
	}
	return what + " timed out after " + e.After.String()
}

// Is reports true for ErrTimeout and context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// UnretrievedErrorHandler is called for a task that failed and was garbage
// collected without anyone having retrieved its error — asyncio's "Task
// exception was never retrieved". It runs on a runtime cleanup goroutine.
type UnretrievedErrorHandler func(task string, err error)

var unretrievedHandler atomic.Pointer[UnretrievedErrorHandler]

func init() {
	SetUnretrievedErrorHandler(nil)
}

// SetUnretrievedErrorHandler installs h as the handler for failed tasks whose
// error was never retrieved and returns the previous handler. A nil h restores
// the default, which logs the error with log/slog at level Error.
//
// An error counts as retrieved once [Task.Await], [Task.Result] or [Task.Err]
// returned it, or a [Group] or a Gather function collected it. Cancelled tasks
// are never reported.
func SetUnretrievedErrorHandler(h UnretrievedErrorHandler) UnretrievedErrorHandler {
	if h == nil {
		h = logUnretrieved
	}
	prev := unretrievedHandler.Swap(&h)
	if prev == nil {
		return nil
	}
	return *prev
}

func logUnretrieved(task string, err error) {
	slog.Error("async: task error was never retrieved", "task", task, "err", err)
}
