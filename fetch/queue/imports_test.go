package queue

import (
	"os/exec"
	"strings"
	"testing"
)

// The library and the local run must not depend on NATS: only this package,
// its embedded server and fetchall's queue subcommands do.
func TestLocalPathImportsNoNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps",
		"github.com/asyncgo/async", "github.com/asyncgo/async/fetch", "github.com/asyncgo/async/fetch/demoserver").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.Contains(p, "nats-io") || strings.HasPrefix(p, "github.com/asyncgo/async/fetch/queue") {
			t.Errorf("the local path depends on %s", p)
		}
	}
}
