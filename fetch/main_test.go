package fetch

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: a run
// must not leave requests, timers or connections behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
