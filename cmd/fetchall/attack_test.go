package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
)

// mixedServer serves /u/N on 127.0.0.1: every URL succeeds in the end,
// with a body of its own (N and its size), but on its first request one in
// five is a 503 (with Retry-After: 1 for N < 10), one in five resets the
// connection, one in five is slow, and one in ten redirects to /final/N.
// It counts each path's requests.
func mixedServer(t *testing.T) (string, func(path string) int) {
	t.Helper()
	var mu sync.Mutex
	hits := map[string]int{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		n := hits[r.URL.Path]
		mu.Unlock()
		i, _ := strconv.Atoi(r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:])
		if strings.HasPrefix(r.URL.Path, "/u/") {
			switch {
			case i%5 == 1 && n == 1:
				if i < 10 {
					w.Header().Set("Retry-After", "1")
				}
				w.WriteHeader(503)
				return
			case i%5 == 2 && n == 1:
				if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
					conn.(*net.TCPConn).SetLinger(0)
					conn.Close()
				}
				return
			case i%5 == 3:
				time.Sleep(time.Duration(i%7) * time.Millisecond)
			case i%10 == 4:
				http.Redirect(w, r, "/final/"+strconv.Itoa(i), http.StatusFound)
				return
			}
		}
		fmt.Fprint(w, mixedBody(i))
	}))
	t.Cleanup(ts.Close)
	return ts.URL, func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return hits[path]
	}
}

func mixedBody(i int) string {
	return fmt.Sprintf("<%d>%s", i, strings.Repeat("x", i*13%900))
}

// TestAttackResumeAfterACutAtAnyPoint cuts a run of 400 URLs of mixed
// outcomes at a random point (a number of records in the output, read as
// it grows), with one or two slots and a long backlog, PerHost and
// -ordered, then resumes it: every line ends with exactly one final ok
// record, of its own URL and body size, and no URL ok in the first run is
// asked for again.
func TestAttackResumeAfterACutAtAnyPoint(t *testing.T) {
	const n = 400
	base, hits := mixedServer(t)
	var list strings.Builder
	for i := range n {
		fmt.Fprintf(&list, "%s/u/%d\n", base, i)
	}
	shapes := [][]string{
		{"-c", "1", "-backlog", "500"},
		{"-c", "2", "-backlog", "300", "-ordered", "-order-window", "50"},
		{"-c", "64", "-per-host", "3"},
		{"-c", "8", "-per-host", "1", "-ordered"},
	}
	for k, shape := range shapes {
		t.Run(strings.Join(shape, " "), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(k), 5))
			cut := 1 + rng.IntN(n/2)
			in := writeFile(t, "list.txt", list.String())
			out := filepath.Join(filepath.Dir(in), "out.jsonl")
			args := append([]string{"-q", "-retries", "1", "-i", in, "-o", out, "-resume", out}, shape...)
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() {
				defer close(stopped)
				for ctx.Err() == nil {
					data, _ := os.ReadFile(out)
					if bytes.Count(data, []byte("\n")) >= cut {
						cancel()
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
			r := cli(t, ctx, "", args...)
			cancel()
			<-stopped
			if r.code != exitInterrupted && r.code != exitOK {
				t.Fatalf("first run: exit %d %s", r.code, r.stderr)
			}
			first := map[int]fetch.Record{}
			for _, rec := range fileRecords(t, out) {
				if _, dup := first[rec.Line]; dup {
					t.Errorf("first run: two records of line %d", rec.Line)
				}
				first[rec.Line] = rec
			}
			okFirst := map[string]int{}
			for _, rec := range first {
				if rec.Outcome == fetch.OK {
					okFirst[strings.TrimPrefix(rec.URL, base)] = hits(strings.TrimPrefix(rec.URL, base))
				}
			}

			if r := cli(t, context.Background(), "", args...); r.code != exitOK {
				t.Fatalf("resume: exit %d %s", r.code, r.stderr)
			}
			finalPerLine(t, out, n)
			last := map[int]fetch.Record{}
			for _, rec := range fileRecords(t, out) {
				last[rec.Line] = rec
			}
			for i := range n {
				rec := last[i+1]
				if rec.URL != fmt.Sprintf("%s/u/%d", base, i) || rec.Bytes != int64(len(mixedBody(i))) {
					t.Errorf("line %d: last record of %s, %d bytes; want /u/%d, %d bytes", i+1, rec.URL, rec.Bytes, i, len(mixedBody(i)))
				}
			}
			for path, h := range okFirst {
				if hits(path) != h {
					t.Errorf("%s: ok in the first run, asked for again by the resume", path)
				}
			}
			t.Logf("cut at %d records: %d lines had a record, %d of them ok", cut, len(first), len(okFirst))
		})
	}
}
