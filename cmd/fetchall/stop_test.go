package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/asyncgo/async/fetch"
)

func TestMaxTimeSaysWhatWasNotRecordedAndResumeFetchesIt(t *testing.T) {
	// /u/N answers at once, except /u/0 and /u/1, which hang in the first
	// run: with -c 2 the run stops with most of the list unread.
	var firstRun atomic.Bool
	firstRun.Store(true)
	var hanging atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if firstRun.Load() && (r.URL.Path == "/u/0" || r.URL.Path == "/u/1") {
			hanging.Add(1)
			<-r.Context().Done()
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer ts.Close()
	var list strings.Builder
	for i := range 200 {
		fmt.Fprintf(&list, "%s/u/%d\n", ts.URL, i)
	}
	in := writeFile(t, "list.txt", list.String())
	out := filepath.Join(filepath.Dir(in), "out.jsonl")
	r := cli(t, context.Background(), "", "-q", "-c", "2", "-max-time", "300ms", "-i", in, "-o", out, "-resume", out)
	recs := fileRecords(t, out)
	m := regexp.MustCompile(`the input after line (\d+) was not read and has no records`).FindStringSubmatch(r.stderr)
	if r.code != exitFailures || m == nil || !strings.Contains(r.stderr, "-resume "+out) {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	last, _ := strconv.Atoi(m[1])
	if len(recs) != last || !strings.Contains(r.stderr, fmt.Sprintf("%d URLs recorded", last)) {
		t.Errorf("%d records; the message says lines up to %d have one: %s", len(recs), last, r.stderr)
	}
	for _, rec := range recs {
		if rec.Line > last {
			t.Errorf("line %d has a record but the message says it was not read", rec.Line)
		}
	}
	firstRun.Store(false)
	if r := cli(t, context.Background(), "", "-q", "-c", "2", "-i", in, "-o", out, "-resume", out); r.code != exitOK {
		t.Fatalf("resume: exit %d %s", r.code, r.stderr)
	}
	ok := map[int]bool{}
	for _, rec := range fileRecords(t, out) {
		if rec.Outcome == fetch.OK {
			ok[rec.Line] = true
		}
	}
	if len(ok) != 200 {
		t.Errorf("after resume %d of 200 lines have an ok record", len(ok))
	}
}

func TestOneCountEverywhereInvalidLinesIncluded(t *testing.T) {
	s := demo(t)
	var list strings.Builder
	for i := range 35 {
		fmt.Fprintf(&list, "%s/item?i=%d\n", s.URL, i)
	}
	list.WriteString("not a url\nftp://x.test/\n")
	dir := t.TempDir()
	tl := filepath.Join(dir, "t.html")
	r := cli(t, context.Background(), list.String(), "-i", "-", "-sorted", "-timeline", tl, "-o", filepath.Join(dir, "o.jsonl"))
	page, _ := os.ReadFile(tl)
	if !strings.Contains(r.stderr, "37 URLs in") || !strings.Contains(r.stderr, "37 URLs from fastest to slowest") ||
		!strings.Contains(string(page), "37 records") || !strings.Contains(string(page), "fetchall timeline: 37 URLs") {
		t.Errorf("counts disagree: stderr\n%s\ntimeline has 37 records: %v", r.stderr, strings.Contains(string(page), "37 records"))
	}
}

func TestNumbersAndOutputPathsAreCheckedBeforeTheRun(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-rate", "NaN"}, {"-rate", "-1"}, {"-host-rate", "+Inf"}, {"-rate", "Inf"},
		{"-timeline", filepath.Join(dir, "missing", "t.html")},
		{"-timeline", dir},
		{"-o", filepath.Join(dir, "missing", "o.jsonl")},
	} {
		var hits atomic.Int32
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		r := cli(t, context.Background(), "", append(args, ts.URL)...)
		ts.Close()
		if r.code != exitUsage || hits.Load() != 0 {
			t.Errorf("%q: exit %d after %d requests, %q; want a usage error before any request", args, r.code, hits.Load(), r.stderr)
		}
	}
}

func TestSortedWithQuietStillLists(t *testing.T) {
	s := demo(t)
	r := cli(t, context.Background(), "", "-q", "-sorted", s.URL+"/item")
	if r.code != exitOK || !strings.Contains(r.stderr, "1 URL from fastest to slowest") || strings.Contains(r.stderr, "URL in") {
		t.Errorf("-q -sorted: exit %d %q", r.code, r.stderr)
	}
}

func TestCSVHasItsHeaderWhenEveryLineIsSkipped(t *testing.T) {
	s := demo(t)
	dir := t.TempDir()
	cp := filepath.Join(dir, "cp.jsonl")
	if r := cli(t, context.Background(), "", "-q", "-o", cp, s.URL+"/item"); r.code != exitOK {
		t.Fatal(r.stderr)
	}
	r := cli(t, context.Background(), "", "-q", "-f", "csv", "-resume", cp, s.URL+"/item")
	if r.code != exitOK || r.stdout != strings.Join(fetch.CSVHeader(), ",")+"\n" {
		t.Errorf("exit %d, stdout %q; want the header alone", r.code, r.stdout)
	}
}
