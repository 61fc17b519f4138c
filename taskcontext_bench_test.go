package async_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/asyncgo/async"
)

// BenchmarkNestedTaskErr measures ctx.Err() in the innermost of depth
// tasks, each started with the context of the one before, none of which
// asked for its context's Done channel (each waits on its child's Done
// instead). made asks for every context's Done first: the cost of an Err
// on a made context, for comparison.
func BenchmarkNestedTaskErr(b *testing.B) {
	for _, made := range []bool{false, true} {
		for _, depth := range []int{1, 8, 512} {
			name := "depth=" + strconv.Itoa(depth)
			if made {
				name = "made/" + name
			}
			b.Run(name, func(b *testing.B) {
				var level func(ctx context.Context, n int) (int, error)
				level = func(ctx context.Context, n int) (int, error) {
					if made {
						ctx.Done()
					}
					if n > 1 {
						child := async.Spawn(ctx, func(ctx context.Context) (int, error) { return level(ctx, n-1) })
						<-child.Done()
						return child.Result()
					}
					b.ResetTimer()
					for range b.N {
						if ctx.Err() != nil {
							b.Fatal("cancelled")
						}
					}
					b.StopTimer()
					return 0, nil
				}
				task := async.Spawn(context.Background(), func(ctx context.Context) (int, error) { return level(ctx, depth) })
				<-task.Done()
			})
		}
	}
}
