package async

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// DefaultGracePeriod is how long [Run] waits, after main returns, for the
// tasks it cancels to finish before it reports them as leaks.
const DefaultGracePeriod = 5 * time.Second

type runConfig struct {
	name    string
	grace   time.Duration
	notify  bool             // subscribe to SIGINT and SIGTERM
	signals <-chan os.Signal // used instead when notify is false
	exit    func(code int)
	tracing bool
	stacks  bool
	labels  bool
}

// WithGracePeriod sets how long Run waits for the tasks it cancels after
// main returns ([DefaultGracePeriod] unless set). With d <= 0 it does not
// wait: whatever has not finished by then is reported.
func WithGracePeriod(d time.Duration) RunOption {
	return runOptionFunc(func(c *runConfig) { c.grace = d })
}

// WithSignals makes Run listen on ch instead of subscribing to SIGINT and
// SIGTERM itself, so that tests, and programs with signal handling of their
// own, decide what counts as an interrupt. A nil ch turns signal handling
// off.
func WithSignals(ch <-chan os.Signal) RunOption {
	return runOptionFunc(func(c *runConfig) { c.notify, c.signals = false, ch })
}

// WithExit replaces os.Exit as what Run calls on a second SIGINT, with exit
// status 130 (128 plus the signal's number, as a shell reports it). Run
// carries on with its shutdown if exit returns.
func WithExit(exit func(code int)) RunOption {
	return runOptionFunc(func(c *runConfig) { c.exit = exit })
}

// WithTracing makes every task of the scope a runtime/trace task named after
// the task, so that `go tool trace` lists tasks by name and attributes
// regions and logs made with a task's context to it. It costs nothing while
// the execution tracer is off.
func WithTracing() RunOption { return runOptionFunc(func(c *runConfig) { c.tracing = true }) }

// WithCreationStacks records the call stack that started each task, shown by
// snapshots and leak reports: asyncio's debug mode. It costs a few hundred
// nanoseconds per task. Without it a task's origin is the function it runs,
// which for a function literal names the file and line where it was written.
func WithCreationStacks() RunOption { return runOptionFunc(func(c *runConfig) { c.stacks = true }) }

// SignalError is the cause with which [Run] cancels main when the program
// receives a signal: errors.As finds it in the error Run returns when main
// gives up because of it.
type SignalError struct {
	Signal os.Signal
}

// Error names the signal.
func (e *SignalError) Error() string { return "async: received signal " + e.Signal.String() }

// ExitCode is the exit status by which a shell reports a program ended by
// the signal: 128 plus its number, so 130 for SIGINT and 143 for SIGTERM. A
// program that stops cleanly on the signal exits with it so that scripts
// and supervisors see why it stopped. It is 1 for a signal without a number.
func (e *SignalError) ExitCode() int {
	if n, ok := e.Signal.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}

// LeakError reports the tasks that were still alive a grace period after
// [Run]'s main returned, although Run had cancelled them. Each goroutine
// behind them is still running: a task that ignores its context.
type LeakError struct {
	Grace time.Duration // how long Run waited
	Tasks []TaskInfo    // the tasks, oldest first, as a snapshot saw them
}

// Error lists each leaked task with its state, where it was created and
// what it is blocked on.
func (e *LeakError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "async: %d task(s) still running %v after main returned and they were cancelled:", len(e.Tasks), e.Grace)
	for _, t := range e.Tasks {
		fmt.Fprintf(&b, "\n\ttask %d %q %s", t.ID, t.Name, t.State)
		if t.Origin != "" {
			fmt.Fprintf(&b, ", created at %s", t.Origin)
		}
		if t.Awaiting != nil {
			fmt.Fprintf(&b, ", awaiting %s", t.Awaiting)
		}
	}
	return b.String()
}

// Run runs main as the root task of a new [Scope] and returns main's error;
// it is asyncio.run for Go, and the place for a program's main function.
//
// In asyncio, the event loop does two jobs: it switches between coroutines at
// each await, and it is the registry of every task, which asyncio.run uses to
// cancel what main leaves behind. In Go the runtime scheduler does the first
// job, preemptively and on every core, for every goroutine. Run does the
// second: every task started with main's context, or with the context of a
// task or group that descends from it, is tracked by the scope while it
// lives, so that [AllTasks] lists them, a [Snapshot] shows them as a tree and
// nothing is left running unnoticed.
//
// Signals: the first SIGINT or SIGTERM cancels main's context with a
// [*SignalError] as cause, one graceful stop; [SignalError.ExitCode] is the
// status to exit with once main has wound down. A second SIGINT, a user
// pressing Ctrl-C again, ends the program at once with status 130
// ([WithExit]). A later SIGTERM is ignored: supervisors (systemd, docker
// stop, coreutils timeout) send SIGTERM once to ask for a clean stop,
// often to the whole process group as well as to the program, and follow
// it with SIGKILL when they want it gone ([WithSignals]).
//
// When main returns, its context is cancelled (cause [ErrTaskReturned]) like
// every task's, and Run cancels whatever else of the scope still runs (cause
// [ErrMainReturned]); it then waits up to a grace period
// ([WithGracePeriod]) for them to finish. Tasks still running after that are
// reported in a [*LeakError], joined to main's error: errors.As finds it.
func Run(ctx context.Context, main func(ctx context.Context) error, opts ...RunOption) error {
	cfg := runConfig{grace: DefaultGracePeriod, notify: true, exit: os.Exit}
	for _, o := range opts {
		if o != nil {
			o.applyRun(&cfg)
		}
	}
	s := newScope(ctx, cfg)
	defer s.close()
	defer s.cancel(ErrMainReturned)

	sigs := cfg.signals
	if cfg.notify {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(ch)
		sigs = ch
	}
	stopping := false
	onSignal := func(sig os.Signal) {
		switch {
		case !stopping:
			stopping = true
			s.cancel(&SignalError{Signal: sig})
		case sig == os.Interrupt:
			cfg.exit((&SignalError{Signal: sig}).ExitCode())
		}
	}

	root := newTask(&s.ctx, false, func(ctx context.Context) (struct{}, error) { return struct{}{}, main(ctx) }, main, []TaskOption{WithName("main")})
	root.start()
	for !root.finished() {
		select {
		case <-root.Done():
		case sig := <-sigs:
			onSignal(sig)
		}
	}
	_, err := root.Result()

	if leaks := s.shutdown(cfg.grace, sigs, onSignal); len(leaks) > 0 {
		err = errors.Join(err, &LeakError{Grace: cfg.grace, Tasks: leaks})
	}
	return err
}

// shutdown cancels every live task and waits up to grace for the scope to
// empty. It returns the tasks that are still alive then.
func (s *Scope) shutdown(grace time.Duration, sigs <-chan os.Signal, onSignal func(os.Signal)) []TaskInfo {
	s.cancel(ErrMainReturned)
	expired := make(chan struct{})
	if grace > 0 {
		timer := time.AfterFunc(grace, func() { close(expired) })
		defer timer.Stop()
	} else {
		close(expired)
	}
	// A task may start others while it stops, so look again until a look
	// finds nothing, or time is up.
	for {
		live := s.tasks()
		if len(live) == 0 {
			return nil
		}
		for _, t := range live {
			// Tasks started with context.WithoutCancel escape the scope's
			// cancellation; cancel each directly too.
			t.Cancel(ErrMainReturned)
		}
		for _, t := range live {
			for waiting := true; waiting; {
				select {
				case <-t.Done():
					waiting = false
				case sig := <-sigs:
					onSignal(sig)
				case <-expired:
					return s.leaked()
				}
			}
		}
	}
}

func (s *Scope) leaked() []TaskInfo {
	var out []TaskInfo
	for _, t := range s.Snapshot().Nodes {
		if t.Kind == KindTask {
			out = append(out, t)
		}
	}
	return out
}
