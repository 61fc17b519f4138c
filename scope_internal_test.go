package async

import (
	"context"
	"testing"
)

// BenchmarkTrackUntrack is the registry's share of a tracked task's cost:
// recording it when it is made and clearing it when it ends, with nothing
// else around, so the number is steady on a busy machine where whole
// spawn+await runs are not.
func BenchmarkTrackUntrack(b *testing.B) {
	s := newScope(context.Background(), runConfig{})
	defer s.close()
	const batch = 1000
	tasks := make([]taskCore, batch)
	for i := range tasks {
		tasks[i].id = lastTaskID.Add(1)
	}
	fn := func(context.Context) (int, error) { return 0, nil }
	b.ReportAllocs()
	for b.Loop() {
		for i := range tasks {
			s.track(&tasks[i], fn)
		}
		for i := range tasks {
			s.untrack(&tasks[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/task")
}
