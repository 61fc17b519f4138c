package bench

import (
	"errors"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// Every benchmark in this package is named Benchmark<Workload>/[n=N/]impl=<name>
// so that benchstat -col /impl puts the implementations side by side and
// peerstable.go can rebuild the table in BENCHMARKS.md. The implementations:
//
//	floor-wg    bare goroutines and a sync.WaitGroup: the floor
//	floor-chan  a goroutine and a result channel per task: the floor for futures
//	async       this library, through the API a user would reach for first
//	async-*     the same workload through another of this library's APIs
//	errgroup    golang.org/x/sync/errgroup
//	conc        github.com/sourcegraph/conc
//	pond        github.com/alitto/pond/v2

// errBoom is the failure of workload (d).
var errBoom = errors.New("boom")

// trivial is the work of workloads (a) and (b): cheap enough that only the
// cost of running it as a task is measured, and not inlined away.
//
//go:noinline
func trivial(i int) int { return i + 1 }

// run runs one implementation of a workload as a sub-benchmark. Besides
// the wall time it reports cpu-ns/op, the CPU time the whole process spent
// per op: on a machine shared with other jobs, wall time also counts the
// time spent waiting for a core, CPU time mostly does not.
func run(b *testing.B, impl string, f func(b *testing.B)) {
	b.Run("impl="+impl, func(b *testing.B) {
		b.ReportAllocs()
		cpu0, ok0 := processCPU()
		f(b)
		if cpu1, ok1 := processCPU(); ok0 && ok1 && b.N > 0 {
			b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
		}
	})
}

// sizeName names a sub-benchmark after the number of tasks.
func sizeName(n int) string { return "n=" + strconv.Itoa(n) }

// perTask reports the time per task, which compares across sizes.
func perTask(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/task")
}

// liveBytes is what the tasks of workload (c) hold: heap in use plus
// goroutine stacks. Sys is not used because it only ever grows.
func liveBytes() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// sysBytes is the memory the Go runtime has obtained from the OS. It never
// shrinks, so its growth over a run is the run's peak footprint.
func sysBytes() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Sys
}

// checkResults fails the benchmark unless out holds trivial(i) at every i,
// so that an implementation that loses or misplaces a result cannot look fast.
func checkResults(b *testing.B, out []int) {
	for i, v := range out {
		if v != i+1 {
			b.Fatalf("result %d = %d, want %d", i, v, i+1)
		}
	}
}

var warm sync.Once

// warmUp makes the runtime, once per process, grow the heap and the stack
// pool that 100,000 live goroutines need. Without it the implementation
// measured first in a process pays for that growth (page faults, fresh stack
// spans) and looks several times slower than the same code measured later.
// Workload (c) does not call it: it is measured in a fresh process on
// purpose.
func warmUp() {
	warm.Do(func() {
		release := make(chan struct{})
		var wg sync.WaitGroup
		for range 100000 {
			wg.Go(func() { <-release })
		}
		close(release)
		wg.Wait()
	})
}
