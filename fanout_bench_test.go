package async_test

import (
	"context"
	"testing"

	"github.com/asyncgo/async"
)

// BenchmarkMapLimit is Map over 100,000 trivial items, at most 64 at a
// time: workload (b) of bench/, without its peers, for profiling.
func BenchmarkMapLimit(b *testing.B) {
	items := make([]int, 100000)
	for i := range items {
		items[i] = i
	}
	fn := func(_ context.Context, i int) (int, error) { return i * 2, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := async.Map(b.Context(), items, fn, async.WithLimit(64)); err != nil {
			b.Fatal(err)
		}
	}
}
