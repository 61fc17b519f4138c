package fetch

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"
	"unsafe"
)

// TestRequestPathIsShallow bounds the stack the engine's own frames take
// between a fetch's start (do) and the transport's RoundTrip: net/http
// takes about 1.5 kB more below it, and a URL task whose stack stays within
// the runtime's starting size (4 kB on a throughput-bound list, as the
// floor's goroutines) is never grown and copied. Before do's rarer steps
// and the chain's, send's and readBody's were split off (and do took its
// arguments as one job), these frames took about 2.3 kB and every URL's
// stack was grown once (2,407 bytes measured; 1,319 after). It fails when
// a large local lands in one of them.
func TestRequestPathIsShallow(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation makes frames larger")
	}
	var top, depth uintptr
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		var here byte
		depth = top - uintptr(unsafe.Pointer(&here))
		return respond(200, "ok"), nil
	})
	f := mustNew(t, Config{Transport: rt, Retries: 1})
	u, err := url.Parse("http://a.test/x")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		deepStack() // so that the stack is not moved (and top made stale) below
		var mark byte
		top = uintptr(unsafe.Pointer(&mark))
		j := &job{in: Input{Line: 1, URL: u.String()}, u: u, runStart: time.Now()}
		f.do(context.Background(), j)
		if j.rec.Outcome != OK {
			t.Errorf("record %+v", j.rec)
		}
	}()
	<-done
	t.Logf("%d bytes of stack from do to the transport", depth)
	if depth == 0 || depth > 1400 {
		t.Errorf("%d bytes of stack from do to the transport, want at most 1400", depth)
	}
}

//go:noinline
func deepStack() byte {
	var pad [32 << 10]byte
	return touchDeep(&pad)
}

//go:noinline
func touchDeep(b *[32 << 10]byte) byte { return b[len(b)-1] }
