package taskhttp_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// scope a test starts must have returned, every server closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
