package report

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// collector is a sink that keeps records.
type collector struct {
	mu   sync.Mutex
	recs []fetch.Record
}

func (c *collector) Write(rec *fetch.Record) error {
	c.mu.Lock()
	c.recs = append(c.recs, *rec)
	c.mu.Unlock()
	return nil
}

func mustNew(t *testing.T, cfg fetch.Config) *fetch.Fetcher {
	t.Helper()
	f, err := fetch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func runAll(t *testing.T, f *fetch.Fetcher, list []string) (*collector, *fetch.Summary) {
	t.Helper()
	c := &collector{}
	sum, err := f.Run(context.Background(), fetch.Slice(list), c)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return c, sum
}

// slowWeb answers every request with a 200 after d, in virtual time when
// it runs in a synctest bubble.
type slowWeb time.Duration

func (d slowWeb) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case <-time.After(time.Duration(d)):
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Request: req,
		Body: io.NopCloser(strings.NewReader("ok")), ContentLength: 2, ProtoMajor: 1, ProtoMinor: 1}, nil
}
