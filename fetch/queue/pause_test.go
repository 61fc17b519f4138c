package queue

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/queue/embedded"
)

// A host's Retry-After pause holds when its partition changes hands: the
// worker that got the 503 is killed (or stopped) during the pause, and the
// next holder sends nothing to the host before the pause ends.
func TestRetryAfterPauseSurvivesHandOff(t *testing.T) {
	for _, how := range []string{"killed", "stopped"} {
		t.Run(how, func(t *testing.T) {
			srv := startNATS(t, embedded.Options{})
			job := openJob(t, connect(t, srv.URL), testOptions)
			const pause = 3 * time.Second
			var (
				mu     sync.Mutex
				starts []time.Time
				busyAt time.Time
			)
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				starts = append(starts, time.Now())
				first := r.URL.Path == "/busy" && busyAt.IsZero()
				if first {
					busyAt = time.Now()
				}
				mu.Unlock()
				if first {
					w.Header().Set("Retry-After", fmt.Sprint(int(pause/time.Second)))
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				time.Sleep(10 * time.Millisecond)
			}))
			defer ts.Close()
			urls := []string{ts.URL + "/busy"}
			for i := range 200 {
				urls = append(urls, fmt.Sprintf("%s/p/%d", ts.URL, i))
			}
			enqueue(t, job, urls)
			cfg := fetch.Config{Concurrency: 4, PerHost: 1, Retries: 2, MaxRetryAfter: 10 * time.Second, Timeout: 5 * time.Second}
			ws := newWorkers(t, srv.URL, cfg)
			ws.drain = 500 * time.Millisecond // shorter than the pause: the rest goes to the next holder
			first := ws.start("first")
			deadline := time.Now().Add(20 * time.Second)
			for {
				mu.Lock()
				at := busyAt
				mu.Unlock()
				if !at.IsZero() {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the first worker never asked for /busy")
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond) // well into the pause
			if how == "killed" {
				first.kill()
			} else {
				first.cancel()
			}
			<-first.done
			ws.start("next")
			_, recs := collect(t, job, 40*time.Second, CollectOptions{})
			if len(recs) != len(urls) {
				t.Errorf("%d records for %d URLs", len(recs), len(urls))
			}
			mu.Lock()
			defer mu.Unlock()
			inPause := 0
			for _, st := range starts {
				if st.After(busyAt) && st.Before(busyAt.Add(pause)) {
					inPause++
				}
			}
			if inPause > 0 {
				t.Errorf("%d requests reached the host during its %v Retry-After pause, after its first holder was %s", inPause, pause, how)
			}
			t.Logf("first holder %s 300ms into a %v pause: %d requests, %d of them inside the pause", how, pause, len(starts), inPause)
		})
	}
}

// The record of a pause survives in the job's bucket, keyed by the host's
// partition, and an expired one is not read back.
func TestPausesRecorded(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	job := openJob(t, connect(t, srv.URL), testOptions)
	ctx := context.Background()
	until := time.Now().Add(time.Hour).Round(0)
	if err := job.setPauses(ctx, 3, map[string]time.Time{"a.test:80": until, "b.test:80": time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	m, err := job.Pauses(ctx, 3)
	if err != nil || len(m) != 1 || !m["a.test:80"].Equal(until) {
		t.Errorf("Pauses: %v, %v; want a.test:80 until %v alone", m, err, until)
	}
	if m, err := job.Pauses(ctx, 4); err != nil || len(m) != 0 {
		t.Errorf("Pauses of a partition with none: %v, %v", m, err)
	}
}
