//go:build unix

package async

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time this process has used so far, user and
// system, all threads (the GC's included), for benchmarks that report it:
// on a machine shared with other work, CPU time per op is steadier than
// the time per op.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
