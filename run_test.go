package async_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

func TestRunReturnsMainError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		err := async.Run(t.Context(), func(ctx context.Context) error {
			if got := async.Current(ctx); got == nil || got.Name() != "main" {
				t.Errorf("Current(main's ctx) = %v, want the task \"main\"", got)
			}
			return boom
		}, async.WithSignals(nil))
		if !errors.Is(err, boom) {
			t.Fatalf("Run = %v, want %v", err, boom)
		}
		var leak *async.LeakError
		if errors.As(err, &leak) {
			t.Fatalf("Run reported leaks with nothing left running: %v", leak)
		}
	})
}

func TestRunCancelsWhatMainLeavesBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var leftover *async.Task[int]
		err := async.Run(t.Context(), func(ctx context.Context) error {
			// WithoutCancel escapes the cancellation of main's context:
			// only Run's shutdown can stop this task.
			leftover = async.Spawn(context.WithoutCancel(ctx), func(ctx context.Context) (int, error) {
				<-ctx.Done()
				time.Sleep(time.Second) // cleaning up, within the grace period
				return 0, ctx.Err()
			}, async.WithName("leftover"))
			return nil
		}, async.WithSignals(nil), async.WithGracePeriod(2*time.Second))
		if err != nil {
			t.Fatalf("Run = %v, want nil: the leftover task stopped within the grace period", err)
		}
		if !leftover.Cancelled() {
			t.Fatalf("leftover task is %s, want cancelled", leftover.State())
		}
		if _, err := leftover.Await(t.Context()); !errors.Is(err, async.ErrMainReturned) {
			t.Fatalf("leftover task's error = %v, want one wrapping ErrMainReturned", err)
		}
	})
}

func TestRunReportsLeaks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		release := make(chan struct{})
		defer close(release)
		err := async.Run(t.Context(), func(ctx context.Context) error {
			// A task that ignores its context.
			async.Spawn(ctx, func(ctx context.Context) (int, error) {
				<-release
				return 0, nil
			}, async.WithName("stubborn"))
			async.Spawn(ctx, func(ctx context.Context) (int, error) {
				<-ctx.Done()
				return 0, ctx.Err()
			}, async.WithName("obedient"))
			synctest.Wait() // both have started
			return nil
		}, async.WithSignals(nil), async.WithGracePeriod(3*time.Second))
		if waited := time.Since(start); waited != 3*time.Second {
			t.Errorf("Run took %v, want the grace period, 3s", waited)
		}
		var leak *async.LeakError
		if !errors.As(err, &leak) {
			t.Fatalf("Run = %v, want a *LeakError", err)
		}
		if len(leak.Tasks) != 1 {
			t.Fatalf("leaks = %+v, want only the stubborn task", leak.Tasks)
		}
		got := leak.Tasks[0]
		if got.Name != "stubborn" || got.State != async.Running || !strings.Contains(got.Origin, "run_test.go:") {
			t.Fatalf("leak = %+v, want the running task \"stubborn\" created in run_test.go", got)
		}
		for _, want := range []string{`"stubborn" running`, "run_test.go:", "3s"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})
}

func TestRunCreationStacks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		err := async.Run(t.Context(), func(ctx context.Context) error {
			startStubborn(ctx, release)
			synctest.Wait()
			return nil
		}, async.WithSignals(nil), async.WithGracePeriod(time.Second), async.WithCreationStacks())
		var leak *async.LeakError
		if !errors.As(err, &leak) || len(leak.Tasks) != 1 {
			t.Fatalf("Run = %v, want one leak", err)
		}
		stack := leak.Tasks[0].Stack
		if len(stack) == 0 || !strings.Contains(stack[0], "startStubborn") {
			t.Fatalf("creation stack = %q, want it to start in startStubborn", stack)
		}
	})
}

func startStubborn(ctx context.Context, release <-chan struct{}) {
	// Dropped on purpose: the test is about the leak Run reports.
	_ = async.Spawn(ctx, func(context.Context) (int, error) {
		<-release
		return 0, nil
	})
}

func TestRunSignals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sigs := make(chan os.Signal, 1)
		var exits []int
		mainStopped := make(chan struct{})
		done := make(chan error)
		go func() {
			done <- async.Run(t.Context(), func(ctx context.Context) error {
				<-ctx.Done()
				close(mainStopped)
				time.Sleep(time.Minute) // slow to stop: a second signal comes first
				return context.Cause(ctx)
			}, async.WithSignals(sigs), async.WithExit(func(code int) { exits = append(exits, code) }))
		}()
		time.Sleep(time.Second)
		sigs <- os.Interrupt
		<-mainStopped
		synctest.Wait()
		if len(exits) != 0 {
			t.Fatalf("exit called after one signal: %v", exits)
		}
		sigs <- syscall.SIGTERM // a supervisor asking for the stop under way
		synctest.Wait()
		if len(exits) != 0 {
			t.Fatalf("exit called after SIGINT then SIGTERM: %v", exits)
		}
		sigs <- os.Interrupt
		synctest.Wait()
		if len(exits) != 1 || exits[0] != 130 {
			t.Fatalf("after a second SIGINT exit was called with %v, want [130]", exits)
		}
		err := <-done
		var sig *async.SignalError
		if !errors.As(err, &sig) || sig.Signal != os.Interrupt {
			t.Fatalf("Run = %v, want the SignalError for the first signal", err)
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want a cancellation", err)
		}
	})
}

// TestRunSIGTERMIsOneGracefulStop delivers SIGTERM twice, as coreutils
// timeout does (to the program, then to its process group): the second must
// not end the program, and main's cause carries the 143 to exit with.
func TestRunSIGTERMIsOneGracefulStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sigs := make(chan os.Signal, 1)
		var exits []int
		mainStarted, mainStopped := make(chan struct{}), make(chan struct{})
		done := make(chan error)
		go func() {
			done <- async.Run(t.Context(), func(ctx context.Context) error {
				close(mainStarted)
				<-ctx.Done()
				close(mainStopped)
				time.Sleep(time.Minute) // writing its records and summary
				return context.Cause(ctx)
			}, async.WithSignals(sigs), async.WithExit(func(code int) { exits = append(exits, code) }))
		}()
		<-mainStarted
		sigs <- syscall.SIGTERM
		<-mainStopped
		sigs <- syscall.SIGTERM
		sigs <- syscall.SIGTERM
		synctest.Wait()
		if len(exits) != 0 {
			t.Fatalf("repeated SIGTERM called exit(%v); want one graceful stop", exits)
		}
		err := <-done
		var sig *async.SignalError
		if !errors.As(err, &sig) || sig.Signal != syscall.SIGTERM {
			t.Fatalf("Run = %v, want the SignalError for SIGTERM", err)
		}
		if got := sig.ExitCode(); got != 143 {
			t.Fatalf("ExitCode() = %d for SIGTERM, want 143", got)
		}
		if got := (&async.SignalError{Signal: os.Interrupt}).ExitCode(); got != 130 {
			t.Fatalf("ExitCode() = %d for SIGINT, want 130", got)
		}
	})
}

func TestRunStopsOnContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		err := async.Run(ctx, func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}, async.WithSignals(nil))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Run = %v, want the parent's deadline", err)
		}
	})
}

func TestScopesListsRunningScopes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.Run(t.Context(), func(ctx context.Context) error {
			s := async.ScopeOf(ctx)
			if s == nil || s.Name() != "listed" {
				t.Fatalf("ScopeOf(main's ctx) = %v, want the scope \"listed\"", s)
			}
			found := false
			for _, x := range async.Scopes() {
				found = found || x == s
			}
			if !found {
				t.Error("Scopes() does not list the running scope")
			}
			return nil
		}, async.WithSignals(nil), async.WithName("listed"))
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range async.Scopes() {
			if x.Name() == "listed" {
				t.Error("Scopes() still lists a scope whose Run has returned")
			}
		}
	})
}

func ExampleRun() {
	err := async.Run(context.Background(), func(ctx context.Context) error {
		greeter := async.Spawn(ctx, func(ctx context.Context) (string, error) {
			return "hello from " + async.Current(ctx).Name(), nil
		}, async.WithName("greeter"))
		msg, err := greeter.Await(ctx)
		fmt.Println(msg)
		return err
	})
	fmt.Println("Run:", err)
	// Output:
	// hello from greeter
	// Run: <nil>
}

// A task that ignores cancellation is reported when main returns.
func ExampleLeakError() {
	release := make(chan struct{})
	defer close(release)
	err := async.Run(context.Background(), func(ctx context.Context) error {
		started := make(chan struct{})
		async.Spawn(ctx, func(ctx context.Context) (int, error) {
			close(started)
			<-release // not ctx.Done(): this task cannot be stopped
			return 0, nil
		}, async.WithName("stubborn"))
		<-started
		return nil
	}, async.WithGracePeriod(10*time.Millisecond))
	var leak *async.LeakError
	if errors.As(err, &leak) {
		for _, t := range leak.Tasks {
			fmt.Println("leaked:", t.Name, t.State)
		}
	}
	// Output:
	// leaked: stubborn running
}

// TestRunCatchesRealSignal sends the process a real SIGINT while Run is
// subscribed: Run must catch it (the process lives on) and cancel main.
func TestRunCatchesRealSignal(t *testing.T) {
	err := async.Run(context.Background(), func(ctx context.Context) error {
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(time.Minute):
			return errors.New("SIGINT did not cancel main within a minute")
		}
	})
	var sig *async.SignalError
	if !errors.As(err, &sig) || sig.Signal != os.Interrupt {
		t.Fatalf("Run = %v, want the SignalError for SIGINT", err)
	}
}
