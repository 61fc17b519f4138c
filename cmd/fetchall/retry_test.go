package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/asyncgo/async/fetch"
)

func TestPostIsNotRetriedUnlessAsked(t *testing.T) {
	s := demo(t)
	ctx := context.Background()
	u := s.URL + "/status?code=503"
	r := cli(t, ctx, "", "-q", "-d", "x=1", "-retries", "2", u)
	if recs := records(t, r.stdout); len(recs) != 1 || recs[0].Attempts != 1 {
		t.Errorf("POST to a 503: %s", r.stdout)
	}
	r = cli(t, ctx, "", "-q", "-X", "PATCH", "-retries", "2", "-retry-all-methods", u)
	if recs := records(t, r.stdout); len(recs) != 1 || recs[0].Attempts != 3 {
		t.Errorf("PATCH with -retry-all-methods: %s", r.stdout)
	}
	r = cli(t, ctx, "", "-q", "-X", "PUT", "-retries", "2", u)
	if recs := records(t, r.stdout); len(recs) != 1 || recs[0].Attempts != 3 {
		t.Errorf("PUT, idempotent, is retried: %s", r.stdout)
	}
}

func TestRetryOnChoosesTheStatuses(t *testing.T) {
	s := demo(t)
	r := cli(t, context.Background(), "", "-q", "-retries", "1", "-retry-on", "404,4xx", s.URL+"/status?code=404", s.URL+"/status?code=503")
	got := map[int]int{}
	for _, rec := range records(t, r.stdout) {
		got[rec.Status] = rec.Attempts
	}
	if got[404] != 2 || got[503] != 1 {
		t.Errorf("attempts by status %v; want 404 retried, 503 not", got)
	}
	if r := cli(t, context.Background(), "", "-retry-on", "600", s.URL); r.code != exitUsage || !strings.Contains(r.stderr, "not a status") {
		t.Errorf("-retry-on 600: exit %d %q", r.code, r.stderr)
	}
}

func TestFailFastStopsAtTheFirstFailure(t *testing.T) {
	s := demo(t)
	var list strings.Builder
	fmt.Fprintf(&list, "%s/status?code=404\n", s.URL)
	for i := range 100 {
		fmt.Fprintf(&list, "%s/item?delay=2s&i=%d\n", s.URL, i)
	}
	r := cli(t, context.Background(), list.String(), "-i", "-", "-c", "4", "-backlog", "1", "-fail-fast")
	recs := records(t, r.stdout)
	if r.code != exitFailures || !strings.Contains(r.stderr, "stopped at the first failure: line 1") ||
		!strings.Contains(r.stderr, "was not read and has no records") {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	// The 404 runs at once or, if the slow URLs read after it take the
	// slots first, after them: either way the run stops there.
	failed, ok := 0, 0
	for _, rec := range recs {
		switch {
		case rec.Failed():
			failed++
		case rec.Outcome == fetch.OK:
			ok++
		case rec.Outcome != fetch.Cancelled || !strings.Contains(rec.Error, "stopped at the first failure"):
			t.Errorf("line %d: %s %q; want cancelled by -fail-fast", rec.Line, rec.Outcome, rec.Error)
		}
	}
	if failed != 1 || ok > 4 || len(recs) > 10 {
		t.Errorf("%d records, %d failed, %d ok; want the run stopped at the one failure", len(recs), failed, ok)
	}
}

func TestPerHostServesOtherHostsEarly(t *testing.T) {
	a, b := demo(t), demo(t)
	var list strings.Builder
	for i := range 30 {
		fmt.Fprintf(&list, "%s/item?delay=50ms&i=%d\n", a.URL, i)
	}
	for i := range 3 {
		fmt.Fprintf(&list, "%s/item?i=%d\n", b.URL, i)
	}
	r := cli(t, context.Background(), list.String(), "-q", "-i", "-", "-c", "4", "-per-host", "1", "-host-backlog", "64")
	recs := records(t, r.stdout)
	if r.code != exitOK || len(recs) != 33 {
		t.Fatalf("exit %d, %d records: %s", r.code, len(recs), r.stderr)
	}
	for i, rec := range recs {
		if strings.HasPrefix(rec.URL, b.URL) && i >= 15 {
			t.Errorf("%s written %dth of 33: host B waited behind host A", rec.URL, i+1)
		}
	}
}
