package taskhttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/fetch"
)

// roundTripper adapts a function to http.RoundTripper.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// stuckFetch runs fetchall's engine over 40 URLs of a.test, every one of
// which got a 503 with a Retry-After of an hour and now waits in the host's
// pause, and 3 URLs of b.test whose responses never come, until the test
// ends: the tree of a fetch that seems stuck.
func stuckFetch(t *testing.T) *async.Scope {
	t.Helper()
	web := roundTripper(func(req *http.Request) (*http.Response, error) {
		if req.URL.Host == "a.test" {
			return &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"3600"}},
				Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
		}
		<-req.Context().Done()
		return nil, req.Context().Err()
	})
	f, err := fetch.New(fetch.Config{Transport: web, Concurrency: 64, Retries: 1, MaxRetryAfter: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for i := range 40 {
		urls = append(urls, fmt.Sprintf("http://a.test/page/%d", i))
	}
	for i := range 3 {
		urls = append(urls, fmt.Sprintf("http://b.test/slow/%d", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	scopes := make(chan *async.Scope, 1)
	done := make(chan error, 1)
	go func() {
		done <- async.Run(ctx, func(ctx context.Context) error {
			scopes <- async.ScopeOf(ctx)
			_, err := f.Run(ctx, fetch.Slice(urls), fetch.SinkFunc(func(*fetch.Record) error { return nil }))
			return err
		}, async.WithSignals(nil), async.WithName("fetchall"))
	}()
	s := <-scopes
	t.Cleanup(func() { cancel(); <-done })
	// Until the run has settled: the 40 URLs of a.test waiting in their
	// host's pause, the 3 of b.test running (in their round trip), and
	// every other task (main, the host tasks) waiting for what it started.
	// The tests look at the tree's counts, which change until then.
	var last string
	for range 10_000 {
		aWaiting, bRunning, others, settled := 0, 0, 0, 0
		for _, n := range s.Snapshot().Nodes {
			if n.Kind != async.KindTask {
				continue
			}
			switch {
			case strings.HasPrefix(n.Name, "http://a.test/"):
				if n.State == async.Waiting {
					aWaiting++
				}
			case strings.HasPrefix(n.Name, "http://b.test/"):
				if n.State == async.Running {
					bRunning++
				}
			default:
				others++
				if n.State == async.Waiting {
					settled++
				}
			}
		}
		if aWaiting == 40 && bRunning == 3 && others > 0 && settled == others {
			return s
		}
		last = fmt.Sprintf("a.test waiting %d of 40, b.test running %d of 3, other tasks waiting %d of %d", aWaiting, bRunning, settled, others)
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("the run never settled: %s", last)
	return nil
}
