package async

import (
	"context"
	"time"
)

// Sleep waits for d, or until ctx ends if that comes first (asyncio.sleep).
// It returns nil after a full sleep and ctx.Err() otherwise, so a task that
// returns Sleep's error when cancelled ends [Cancelled]. A d <= 0 returns at
// once, with ctx.Err(). Inside a [Run], the task tree shows the task
// sleeping as waiting on `sleep`, with the time it wakes; [SleepNamed] also
// says what for.
func Sleep(ctx context.Context, d time.Duration) error {
	return sleepNamed(ctx, d, "")
}

func sleepNamed(ctx context.Context, d time.Duration, name string) error {
	if d <= 0 {
		return ctx.Err()
	}
	if w := trackedCurrent(ctx); w != nil {
		rec := waitRecord{sleep: name, deadline: time.Now().Add(d).UnixNano()}
		defer w.restoreAwaiting(rec, w.setAwaiting(rec))
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SleepNamed is [Sleep] that says, for the task tree, what the task sleeps
// for: while it sleeps, the snapshot of the task running with ctx shows an
// [Awaiting] with Sleep set, name and the time it wakes, which
// debug/tasktree prints as `awaiting sleep "Retry-After example.com:443"
// (wakes in 800ms)`. A pause that a program imposes on itself (a rate limit,
// a server's Retry-After, a backoff) is then visible where the task is.
// Outside a [Run], it is Sleep.
func SleepNamed(ctx context.Context, d time.Duration, name string) error {
	return sleepNamed(ctx, d, name)
}
