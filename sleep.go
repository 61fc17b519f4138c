package async

import (
	"context"
	"time"
)

// Sleep waits for d, or until ctx ends if that comes first (asyncio.sleep).
// It returns nil after a full sleep and ctx.Err() otherwise, so a task that
// returns Sleep's error when cancelled ends [Cancelled]. A d <= 0 returns at
// once, with ctx.Err().
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
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
