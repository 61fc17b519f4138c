package queue

import (
	"context"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/queue/embedded"
)

// The results stream remembers record ids for a short window whatever the
// work stream's, so that a fast job does not hold every record id in the
// server's memory; a shorter work window is kept for both.
func TestResultsDuplicateWindow(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	js := connect(t, srv.URL)
	ctx := context.Background()
	for _, tc := range []struct {
		job           string
		window        time.Duration
		work, results time.Duration
	}{
		{"default", 0, 10 * time.Minute, resultsWindow},
		{"long", time.Hour, time.Hour, resultsWindow},
		{"short", 30 * time.Second, 30 * time.Second, 30 * time.Second},
	} {
		job, err := Open(ctx, js, tc.job, Options{Partitions: 2, DuplicateWindow: tc.window})
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]time.Duration{job.workStream(): tc.work, job.resultsStream(): tc.results} {
			s, err := js.Stream(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.CachedInfo().Config.Duplicates; got != want {
				t.Errorf("job %s: stream %s has a duplicate window of %v; want %v", tc.job, name, got, want)
			}
		}
	}
}
