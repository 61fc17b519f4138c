package main

import (
	"cmp"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/fetch/demoserver"
	"go.uber.org/goleak"
)

// handlerTransport answers requests by calling a handler in the caller's
// goroutine, with no sockets, so that the whole exchange runs in a synctest
// bubble and its waits take virtual time.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}

// fakeServer answers the three kinds of path the example uses, as the demo
// server does: /item waits ?delay then sends ?size bytes, /status answers
// ?code, /hang waits until the client gives up.
func fakeServer() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/item", func(w http.ResponseWriter, r *http.Request) {
		delay, _ := time.ParseDuration(r.URL.Query().Get("delay"))
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		select {
		case <-time.After(delay):
			w.Write([]byte(strings.Repeat("x", size)))
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		http.Error(w, http.StatusText(code), code)
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	return mux
}

func urlsOn(base string) []string {
	urls := make([]string, len(paths))
	for i, p := range paths {
		urls[i] = base + p
	}
	return urls
}

// All five fetches run at once, so the total is the slowest one (the hang,
// cut at 2s), not the sum; the 500 and the hang are reported as errors; the
// summary is sorted fastest to slowest.
func TestFetchesRunAtOnceAndSummaryIsSorted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client := &http.Client{Transport: handlerTransport{fakeServer()}}
		outcomes, total := run(t.Context(), io.Discard, client, urlsOn("http://demo"), 2*time.Second)
		if total != 2*time.Second {
			t.Errorf("total = %v, want 2s (the slowest, cut by its limit)", total)
		}
		type row struct {
			path string
			took time.Duration
		}
		var got []row
		for _, o := range outcomes {
			got = append(got, row{strings.TrimPrefix(o.URL, "http://demo"), o.Took})
		}
		want := []row{
			{"/status?code=500", 0},
			{"/item?delay=50ms&size=512", 50 * time.Millisecond},
			{"/item?delay=300ms&size=2048", 300 * time.Millisecond},
			{"/item?delay=1s&size=10000", time.Second},
			{"/hang", 2 * time.Second},
		}
		if !slices.Equal(got, want) {
			t.Errorf("summary:\n got %v\nwant %v", got, want)
		}
		checkOutcomes(t, outcomes)
	})
}

// checkOutcomes checks each outcome's bytes or error, whatever the order.
func checkOutcomes(t *testing.T, outcomes []Outcome) {
	t.Helper()
	if len(outcomes) != 5 {
		t.Fatalf("got %d outcomes, want 5", len(outcomes))
	}
	for _, o := range outcomes {
		var se *StatusError
		switch {
		case strings.HasSuffix(o.URL, "/status?code=500"):
			if !errors.As(o.Err, &se) || se.Code != 500 {
				t.Errorf("%s: err = %v, want HTTP 500", o.URL, o.Err)
			}
		case strings.HasSuffix(o.URL, "/hang"):
			if !errors.Is(o.Err, async.ErrTimeout) {
				t.Errorf("%s: err = %v, want a timeout", o.URL, o.Err)
			}
		default:
			size, _ := strconv.Atoi(o.URL[strings.LastIndex(o.URL, "=")+1:])
			if o.Err != nil || o.Bytes != int64(size) {
				t.Errorf("%s: %d bytes, err %v; want %d bytes", o.URL, o.Bytes, o.Err, size)
			}
		}
	}
}

// The same run against the real demo server on 127.0.0.1, over real
// sockets. It takes about the per-request limit (2s here); it asserts
// outcomes and order, not times.
func TestAgainstDemoServer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // server, client and tasks all gone
	srv, err := demoserver.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	limit := 2 * time.Second
	outcomes, _ := run(t.Context(), io.Discard, client, urlsOn(srv.URL), limit)
	checkOutcomes(t, outcomes)
	if !slices.IsSortedFunc(outcomes, func(a, b Outcome) int { return cmp.Compare(a.Took, b.Took) }) {
		t.Errorf("summary is not sorted by time: %+v", outcomes)
	}
	if last := outcomes[len(outcomes)-1]; !strings.HasSuffix(last.URL, "/hang") {
		t.Errorf("slowest = %s, want the hanging URL", last.URL)
	}
}
