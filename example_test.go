package async_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/asyncgo/async"
)

func ExampleSpawn() {
	ctx := context.Background()
	task := async.Spawn(ctx, func(ctx context.Context) (string, error) {
		return "hello from " + async.Current(ctx).Name(), nil
	}, async.WithName("greeter"))
	// The task is already running; do other work here, then await it.
	msg, err := task.Await(ctx)
	fmt.Println(msg, err, task.State())
	// Output: hello from greeter <nil> done
}

func ExampleTask_Cancel() {
	ctx := context.Background()
	errShutdown := errors.New("shutting down")
	task := async.Spawn(ctx, func(ctx context.Context) (int, error) {
		<-ctx.Done() // a real task would be waiting on I/O here
		return 0, ctx.Err()
	}, async.WithName("worker"))
	task.Cancel(errShutdown)
	_, err := task.Await(ctx)
	fmt.Println(task.Cancelled(), errors.Is(err, context.Canceled), errors.Is(err, errShutdown))
	fmt.Println(err)
	// Output:
	// true true true
	// task "worker" cancelled: shutting down
}

func ExampleTask_Result() {
	ctx := context.Background()
	release := make(chan struct{})
	task := async.Spawn(ctx, func(ctx context.Context) (int, error) {
		<-release
		return 42, nil
	})
	_, err := task.Result() // not finished yet: asyncio's InvalidStateError
	fmt.Println(errors.Is(err, async.ErrInvalidState))
	close(release)
	<-task.Done()
	fmt.Println(task.Result())
	// Output:
	// true
	// 42 <nil>
}

func ExamplePanicError() {
	ctx := context.Background()
	firstByte := func(s string) byte { return s[0] }
	task := async.Spawn(ctx, func(ctx context.Context) (int, error) {
		return int(firstByte("")), nil // panics: index out of range
	}, async.WithName("parse"))
	_, err := task.Await(ctx)
	var pe *async.PanicError
	fmt.Println(err) // one line; the stack is in pe.Stack
	if errors.As(err, &pe) {
		fmt.Println("recovered:", pe.Value)
		fmt.Println("stack captured:", strings.Contains(string(pe.Stack), "ExamplePanicError"))
	}
	// Output:
	// task "parse" panicked: runtime error: index out of range [0] with length 0
	// recovered: runtime error: index out of range [0] with length 0
	// stack captured: true
}

func ExampleWithGroup() {
	ctx := context.Background()
	errNotFound := errors.New("not found")
	var users *async.Task[int]
	err := async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
		users = async.Go(g, func(ctx context.Context) (int, error) { return 3, nil }, async.WithName("users"))
		async.Go(g, func(ctx context.Context) (int, error) {
			<-users.Done() // fail only once "users" is in, so that its result shows
			return 0, errNotFound
		}, async.WithName("orders"))
		async.Go(g, func(ctx context.Context) (int, error) {
			<-ctx.Done() // cancelled when "orders" fails; not reported as an error
			return 0, ctx.Err()
		}, async.WithName("slow"))
		return nil
	}, async.WithName("checkout"))
	fmt.Println(err)
	fmt.Println(errors.Is(err, errNotFound))
	fmt.Println(users.Result())
	// Output:
	// group "checkout": 1 failure: task "orders": not found
	// true
	// 3 <nil>
}

func ExampleGather() {
	ctx := context.Background()
	square := func(n int) func(context.Context) (int, error) {
		return func(ctx context.Context) (int, error) { return n * n, nil }
	}
	results, err := async.Gather(ctx,
		async.Spawn(ctx, square(1)),
		async.Spawn(ctx, square(2)),
		async.Spawn(ctx, square(3)),
	)
	fmt.Println(results, err)
	// Output: [1 4 9] <nil>
}

func ExampleGatherSettled() {
	ctx := context.Background()
	results := async.GatherSettled(ctx,
		async.Spawn(ctx, func(ctx context.Context) (string, error) { return "ok", nil }),
		async.Spawn(ctx, func(ctx context.Context) (string, error) { return "", errors.New("bad gateway") }),
	)
	for _, r := range results {
		fmt.Printf("%q %v\n", r.Value, r.Err)
	}
	// Output:
	// "ok" <nil>
	// "" bad gateway
}

func ExampleMap() {
	ctx := context.Background()
	words := []string{"task", "group", "gather"}
	lengths, err := async.Map(ctx, words, func(ctx context.Context, w string) (int, error) {
		return len(w), nil
	}, async.WithLimit(2))
	fmt.Println(lengths, err)
	// Output: [4 5 6] <nil>
}

func ExampleWait() {
	ctx := context.Background()
	fast := async.Spawn(ctx, func(ctx context.Context) (string, error) { return "fast", nil })
	slow := async.Spawn(ctx, func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	done, pending, _ := async.Wait(ctx, async.FirstCompleted, fast, slow)
	fmt.Println(len(done), len(pending), done[0] == fast)
	slow.Cancel(nil) // Wait cancels nothing: the caller decides
	// Output: 1 1 true
}

func ExampleAsCompleted() {
	ctx := context.Background()
	gate := make(chan struct{})
	first := async.Spawn(ctx, func(ctx context.Context) (string, error) {
		<-gate
		return "started first, finished second", nil
	})
	second := async.Spawn(ctx, func(ctx context.Context) (string, error) {
		return "started second, finished first", nil
	})
	for task, err := range async.AsCompleted(ctx, first, second) {
		v, _ := task.Result()
		fmt.Println(v, err)
		if task == second {
			close(gate)
		}
	}
	// Output:
	// started second, finished first <nil>
	// started first, finished second <nil>
}

func ExampleWaitFor() {
	ctx := context.Background()
	task := async.Spawn(ctx, func(ctx context.Context) (int, error) {
		select {
		case <-time.After(time.Hour):
			return 1, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}, async.WithName("slow query"))
	_, err := async.WaitFor(ctx, 10*time.Millisecond, task)
	fmt.Println(err)
	fmt.Println(errors.Is(err, async.ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled))
	fmt.Println(task.State())
	// Output:
	// task "slow query" timed out after 10ms
	// true true false
	// cancelled
}

func ExampleTimeout() {
	ctx := context.Background()
	_, err := async.Timeout(ctx, 10*time.Millisecond, func(ctx context.Context) (string, error) {
		<-ctx.Done() // stands for a slow call that honours its context
		return "", ctx.Err()
	}, async.WithName("load config"))
	fmt.Println(err, errors.Is(err, async.ErrTimeout))
	// Output: "load config" timed out after 10ms true
}

func ExampleShield() {
	ctx := context.Background()
	release := make(chan struct{})
	save := async.Spawn(ctx, func(ctx context.Context) (string, error) {
		<-release
		return "saved", nil
	})
	guarded := async.Shield(ctx, save)
	guarded.Cancel(nil) // cancels the shield, not the save
	guarded.Await(ctx)
	close(release)
	fmt.Println(guarded.Cancelled())
	fmt.Println(save.Await(ctx))
	// Output:
	// true
	// saved <nil>
}

func ExampleReport() {
	ctx := context.Background()
	task := async.Spawn(ctx, func(ctx context.Context) (int, error) {
		for i := 1; i <= 3; i++ {
			time.Sleep(time.Millisecond) // one unit of work
			async.Report(ctx, int64(i), 3, fmt.Sprintf("file %d of 3", i))
		}
		return 3, nil
	})
	var last async.Progress
	for p := range task.WatchProgress(ctx) {
		last = p // a progress bar would redraw here
	}
	fmt.Println(last.Done, last.Total, last.Message)
	// Output: 3 3 file 3 of 3
}

// A task records when its function ran only when something needs it: a
// Run scope, whose task tree shows each task's age, or WithTimes.
func ExampleWithTimes() {
	ctx := context.Background()
	plain := async.Spawn(ctx, func(ctx context.Context) (int, error) { return 1, nil })
	timed := async.Spawn(ctx, func(ctx context.Context) (int, error) {
		return 2, async.Sleep(ctx, 10*time.Millisecond)
	}, async.WithTimes())
	plain.Await(ctx)
	timed.Await(ctx)
	fmt.Println("plain task has a start time:", !plain.StartTime().IsZero())
	fmt.Println("timed task ran for at least 10ms:", timed.EndTime().Sub(timed.StartTime()) >= 10*time.Millisecond)
	// Output:
	// plain task has a start time: false
	// timed task ran for at least 10ms: true
}
