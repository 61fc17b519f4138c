//go:build !unix

package async

import "time"

// processCPU reports that CPU time is not available on this platform.
func processCPU() (time.Duration, bool) { return 0, false }
