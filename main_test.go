package async_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine is still running when
// they end: every task, group and helper must clean up after itself.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
