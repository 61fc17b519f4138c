package fetch

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

// slowWeb answers every request after a moment, so that a run's inputs
// wait for request slots.
type slowWeb struct{}

func (slowWeb) RoundTrip(req *http.Request) (*http.Response, error) {
	time.Sleep(time.Millisecond)
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok")),
		ContentLength: 2, Request: req}, nil
}

// TestTasksWaitingForASlotMakeNewTasksStartWithEnoughStack: the inputs
// waiting for a request slot wait deep in their stacks (waitSlot), so
// that the runtime, which starts goroutines with the average stack in use
// it saw at the last collection, starts each URL's task with the 8 kB a
// fetch needs and growStack copies none. With the waiters shallow, the
// starting stack is 4 kB or less.
func TestTasksWaitingForASlotMakeNewTasksStartWithEnoughStack(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's own frames change what the stacks hold")
	}
	f := mustNew(t, Config{Transport: slowWeb{}, Concurrency: 8})
	defer f.Close()
	const n = 400
	src := func(yield func(Input, error) bool) {
		for i := range n {
			if !yield(Input{Line: i + 1, URL: "http://a.test/x"}, nil) {
				return
			}
		}
	}
	sample := []metrics.Sample{{Name: "/gc/stack/starting-size:bytes"}}
	written := 0
	sink := SinkFunc(func(*Record) error {
		if written++; written == n/2 {
			// Half-way, the backlog (4 × 8 inputs) waits for the 8 slots.
			runtime.GC()
			metrics.Read(sample)
		}
		return nil
	})
	if _, err := f.Run(context.Background(), src, sink); err != nil {
		t.Fatal(err)
	}
	if got := sample[0].Value.Uint64(); got < 8<<10 {
		t.Errorf("goroutines start with %d bytes of stack half-way through the run, want 8 kB", got)
	}
}
