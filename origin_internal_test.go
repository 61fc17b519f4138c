package async

import (
	"runtime"
	"strings"
	"testing"
)

// TestRelativeFile names files by their place in their module, whatever
// directory the program was built in or with -trimpath.
func TestRelativeFile(t *testing.T) {
	module, _ := mainModule()
	if module != "github.com/asyncgo/async" {
		t.Fatalf("main module %q, want github.com/asyncgo/async", module)
	}
	for _, c := range []struct{ fn, file, want string }{
		{"github.com/asyncgo/async.Spawn[...]", "/home/someone/src/async/task.go", "task.go:7"},
		{"github.com/asyncgo/async/fetch.(*Fetcher).Run.func2", "/build/x/fetch/run.go", "fetch/run.go:7"},
		{"github.com/asyncgo/async/fetch.(*Fetcher).Run.func2", "github.com/asyncgo/async/fetch/run.go", "fetch/run.go:7"}, // -trimpath
		{"github.com/asyncgo/async/debug/taskhttp_test.TestX", "/tmp/b/debug/taskhttp/x_test.go", "debug/taskhttp/x_test.go:7"},
		{"golang.org/x/sync/errgroup.(*Group).Go.func1", "/root/go/pkg/mod/golang.org/x/sync@v0.25.0/errgroup/errgroup.go", "golang.org/x/sync/errgroup/errgroup.go:7"},
		{"github.com/nats-io/nats%2ego.(*Conn).flusher", "/root/go/pkg/mod/github.com/nats-io/nats.go@v1.55.0/nats.go", "github.com/nats-io/nats.go/nats.go:7"},
		{"net/http.(*conn).serve", "/usr/local/go/src/net/http/server.go", "net/http/server.go:7"},
	} {
		if got := relativeFile(c.fn, c.file, 7); got != c.want {
			t.Errorf("relativeFile(%q, %q) = %q, want %q", c.fn, c.file, got, c.want)
		}
	}
	if got := shortFunc("github.com/asyncgo/async/fetch.(*Fetcher).Run.func2"); got != "fetch.(*Fetcher).Run.func2" {
		t.Errorf("shortFunc = %q", got)
	}
}

// TestOriginHasNoBuildDirectory: the origin of a real function names its
// file within the module, not where this test was built.
func TestOriginHasNoBuildDirectory(t *testing.T) {
	pc, file, _, _ := runtime.Caller(0)
	f := runtime.FuncForPC(pc)
	got := funcOrigin(f.Entry())
	dir := file[:strings.LastIndexByte(file, '/')]
	if strings.Contains(got, dir) || !strings.HasPrefix(got, "async.TestOriginHasNoBuildDirectory (origin_internal_test.go:") {
		t.Errorf("funcOrigin = %q; want it module-relative, without %s", got, dir)
	}
}
