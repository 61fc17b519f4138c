// The taste of the API shown in the project's README: the README's code is
// this file from fetch on, and main_test.go checks that the two agree and
// that the program prints what the README's comments say.
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asyncgo/async"
)

var errNoURL = errors.New("no URL")

// fetch pretends to download url: one second, unless ctx ends first.
func fetch(ctx context.Context, url string) (int, error) {
	if url == "" {
		return 0, errNoURL
	}
	select {
	case <-time.After(time.Second):
		return len(url), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func main() {
	ctx := context.Background()

	// asyncio.create_task, then await: the task starts at once, in parallel.
	t := async.Spawn(ctx, func(ctx context.Context) (int, error) { return fetch(ctx, "go.dev") })
	n, err := t.Await(ctx)
	fmt.Println("awaited:", n, err) // awaited: 6 <nil>

	// asyncio.gather, two at a time: results in order, one second per pair.
	sizes, err := async.Map(ctx, []string{"a.io", "bb.io", "ccc.io"}, fetch, async.WithLimit(2))
	fmt.Println("mapped:", sizes, err) // mapped: [4 5 6] <nil>

	// asyncio.TaskGroup: the first failure cancels the rest; none outlives the block.
	err = async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
		for _, url := range []string{"a.io", "", "c.io"} {
			async.Go(g, func(ctx context.Context) (int, error) { return fetch(ctx, url) })
		}
		return nil
	})
	fmt.Println("group failed with errNoURL:", errors.Is(err, errNoURL)) // … true: err is a *GroupError holding every failure

	// asyncio.wait_for: on timeout the task is cancelled, not left running.
	slow := async.Spawn(ctx, func(ctx context.Context) (int, error) { return fetch(ctx, "slow.io") })
	_, err = async.WaitFor(ctx, 100*time.Millisecond, slow)
	fmt.Println("timed out:", errors.Is(err, async.ErrTimeout), "task:", slow.State()) // timed out: true task: cancelled
}
