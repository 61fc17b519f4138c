package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// These tests attack the guarantee that every input read gets exactly one
// record, with its own line, URL and result, under the request slots'
// line of inputs (slots.go), the *job per URL and the reuse of pending
// inputs (newPending/recycle): many URLs of mixed outcomes at once, with
// small and large concurrency and backlogs, Ordered on and off, PerHost
// caps, cancellation at any moment, fail-fast, a failing source, and a
// resume after a run cut short. Each record is checked when the sink and
// OnRecord see it (a copy taken then, compared with what its input must
// give), and again at the end.

// mixKinds is how many kinds of URL mixWeb serves; URL i is of kind i%mixKinds.
const mixKinds = 10

// mixURL is the URL of input i: its host and kind are in it.
func mixURL(i int) string {
	if mixInvalid(i) {
		return fmt.Sprintf("ftp://h%d.test/k%d/%d", i%13, i%mixKinds, i)
	}
	return fmt.Sprintf("http://h%d.test/k%d/%d", i%13, i%mixKinds, i)
}

// mixInvalid says whether input i is not fetchable (an ftp URL): its
// record is written by the reader, between the others.
func mixInvalid(i int) bool { return i%97 == 50 }

// mixBody is the body URL i is served with: its own size and bytes, so
// that a record carrying another URL's result shows in Bytes and SHA256.
func mixBody(i int) string {
	n := (i * 37) % 1500
	b := make([]byte, n)
	for k := range b {
		b[k] = byte('a' + (i+k)%26)
	}
	return fmt.Sprintf("<%d>", i) + string(b)
}

// mixIndex is i of a mixURL (or of a redirect's target /final/i).
func mixIndex(path string) int {
	n, err := strconv.Atoi(path[strings.LastIndexByte(path, '/')+1:])
	if err != nil {
		panic(path)
	}
	return n
}

// mixWeb serves the kinds (of the valid URLs): 0-2 fast 200, 3 slow 200, 4 a 503 with
// Retry-After 1 (the host pauses) then 200, 5 a 500 then 200, 6 hangs
// until the attempt times out, 7 a 302 to /final/i then 200, 8 a
// connection reset then 200, 9 a 404 with a body of its own.
func mixWeb() *fakeWeb {
	return newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
		p := req.URL.Path
		i := mixIndex(p)
		if strings.HasPrefix(p, "/final/") {
			return respond(200, mixBody(i)), nil
		}
		switch i % mixKinds {
		case 3:
			if err := wait(req, time.Duration(100+i%7*100)*time.Millisecond); err != nil {
				return nil, err
			}
		case 4:
			if n == 1 {
				return respond(503, "busy", "Retry-After", "1"), nil
			}
		case 5:
			if n == 1 {
				return respond(500, "oops"), nil
			}
		case 6:
			<-req.Context().Done()
			return nil, req.Context().Err()
		case 7:
			return respond(302, "", "Location", "/final/"+strconv.Itoa(i)), nil
		case 8:
			if n == 1 {
				return nil, syscall.ECONNRESET
			}
		case 9:
			return respond(404, "nope "+strconv.Itoa(i)), nil
		}
		if err := wait(req, time.Duration(i%3)*time.Millisecond); err != nil {
			return nil, err
		}
		return respond(200, mixBody(i)), nil
	})
}

// mixConfig is the Config of every mixed run: one retry, a 2s timeout,
// short backoffs, and the bodies hashed when hash is set.
func mixConfig(web *fakeWeb, hash bool) Config {
	return Config{Transport: web, Retries: 1, Timeout: 2 * time.Second, RetryBase: 10 * time.Millisecond,
		RetryMax: 50 * time.Millisecond, SHA256: hash}
}

// mixWant is the final record input i must get (durations aside).
func mixWant(i int, hash bool) Record {
	u := mixURL(i)
	if mixInvalid(i) {
		return Record{Line: i + 1, URL: u, Outcome: Invalid, ErrorKind: KindUnsupportedScheme}
	}
	r := Record{Line: i + 1, URL: u, FinalURL: u, Outcome: OK, Status: 200, Attempts: 1, HTTPVersion: "1.1"}
	body := mixBody(i)
	switch i % mixKinds {
	case 4, 5, 8:
		r.Attempts = 2
	case 6:
		r.Outcome, r.Status, r.Attempts, r.ErrorKind, r.FinalURL = Failed, 0, 2, KindTimeout, ""
		r.HTTPVersion = ""
		return r
	case 7:
		r.FinalURL = fmt.Sprintf("http://h%d.test/final/%d", i%13, i)
		r.Redirects = 1
	case 9:
		r.Outcome, r.Status, r.ErrorKind, r.Error = HTTPError, 404, KindHTTP, "404 Not Found"
		body = "nope " + strconv.Itoa(i)
	}
	r.Bytes = int64(len(body))
	if hash {
		s := sha256.Sum256([]byte(body))
		r.SHA256 = hex.EncodeToString(s[:])
	}
	return r
}

// mixCheckQuery says what is wrong with rec, a record of a mixed run whose
// URLs end with query (see mixSourceQuery), or "". A Cancelled record (when
// cancelled is allowed) need only be of its own line and URL.
func mixCheckQuery(rec *Record, hash, cancelled bool, query string) string {
	if rec.Line < 1 {
		return fmt.Sprintf("record of line %d (%s)", rec.Line, rec.URL)
	}
	i := rec.Line - 1
	w := mixWant(i, hash)
	w.URL += query
	if w.FinalURL != "" && i%mixKinds != 7 {
		w.FinalURL += query
	}
	if rec.URL != w.URL {
		return fmt.Sprintf("line %d: URL %s, want %s", rec.Line, rec.URL, w.URL)
	}
	if rec.Outcome == Cancelled {
		if !cancelled {
			return fmt.Sprintf("line %d cancelled: %s", rec.Line, rec.Error)
		}
		if rec.ErrorKind != KindCancelled || !strings.Contains(rec.Error, "cancelled") {
			return fmt.Sprintf("line %d: cancelled record %+v", rec.Line, *rec)
		}
		return ""
	}
	got := Record{Line: rec.Line, URL: rec.URL, FinalURL: rec.FinalURL, Outcome: rec.Outcome, Status: rec.Status,
		Attempts: rec.Attempts, HTTPVersion: rec.HTTPVersion, Bytes: rec.Bytes, SHA256: rec.SHA256,
		ErrorKind: rec.ErrorKind, Redirects: rec.Redirects}
	if w.Outcome == HTTPError {
		got.Error = rec.Error
	}
	if got != w {
		return fmt.Sprintf("line %d:\n got  %+v\n want %+v", rec.Line, got, w)
	}
	if (rec.AttemptTimes != nil) != (w.Attempts > 1) || rec.AttemptTimes != nil && len(*rec.AttemptTimes) != w.Attempts {
		n := -1
		if rec.AttemptTimes != nil {
			n = len(*rec.AttemptTimes)
		}
		return fmt.Sprintf("line %d: %d attempt times for %d attempts", rec.Line, n, w.Attempts)
	}
	return ""
}

// recordLog is a sink and an OnRecord that check each record when they
// are handed it and keep a copy of it, for the checks at the end.
type recordLog struct {
	hash, cancelled bool
	query           string // ends every URL (see mixSourceQuery)
	stopAfter       int    // cancel after this many records (0: never)
	stop            func() // what cancels

	mu      sync.Mutex
	recs    []Record // the sink's copies, in order
	seen    []Record // OnRecord's copies, in order
	bad     []string
	written atomic.Int64
}

func (l *recordLog) note(rec *Record, into *[]Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if msg := mixCheckQuery(rec, l.hash, l.cancelled, l.query); msg != "" && len(l.bad) < 20 {
		l.bad = append(l.bad, msg)
	}
	c := *rec
	if rec.AttemptTimes != nil {
		ts := append([]AttemptTime(nil), *rec.AttemptTimes...)
		c.AttemptTimes = &ts
	}
	*into = append(*into, c)
}

func (l *recordLog) Write(rec *Record) error {
	l.note(rec, &l.recs)
	if n := l.written.Add(1); l.stop != nil && int(n) == l.stopAfter {
		l.stop()
	}
	return nil
}

func (l *recordLog) onRecord(rec *Record) { l.note(rec, &l.seen) }

// mixSource yields inputs 0..n-1 of the mixed list, counting those read;
// at the read of number cancelAt (if > 0) it calls cancel, and at number
// failAt (if > 0) it yields an error instead.
func mixSource(n int, read *atomic.Int64, cancelAt int, cancel func(), failAt int) iter.Seq2[Input, error] {
	return mixSourceQuery(n, read, cancelAt, cancel, failAt, "")
}

// mixSourceQuery is mixSource with query at the end of every URL: the
// same paths, which mixWeb counts apart.
func mixSourceQuery(n int, read *atomic.Int64, cancelAt int, cancel func(), failAt int, query string) iter.Seq2[Input, error] {
	return func(yield func(Input, error) bool) {
		for i := range n {
			if i+1 == failAt {
				yield(Input{}, errors.New("disk read error"))
				return
			}
			read.Add(1)
			if i+1 == cancelAt {
				cancel()
			}
			if !yield(Input{Line: i + 1, URL: mixURL(i) + query}, nil) {
				return
			}
		}
	}
}

// checkLog checks the records of a run that read read inputs: exactly one
// per input, of its own line, each as the sink and OnRecord were handed
// it, in input order under Ordered, and what the summary counts.
func checkLog(t *testing.T, l *recordLog, sum *Summary, read int64, ordered bool) {
	t.Helper()
	for _, msg := range l.bad {
		t.Error(msg)
	}
	if int64(len(l.recs)) != read || int64(len(l.seen)) != read {
		t.Fatalf("%d records to the sink, %d to OnRecord, for %d inputs read", len(l.recs), len(l.seen), read)
	}
	lines := make([]int, read+1)
	outcomes := map[Outcome]int64{}
	var bytes int64
	for k, r := range l.recs {
		if r.Line < 1 || int64(r.Line) > read {
			t.Fatalf("record of line %d; %d inputs read", r.Line, read)
		}
		if lines[r.Line]++; lines[r.Line] > 1 {
			t.Errorf("line %d: %d records", r.Line, lines[r.Line])
		}
		if ordered && r.Line != k+1 {
			t.Errorf("record %d is of line %d under Ordered", k+1, r.Line)
		}
		if s := l.seen[k]; s.Line != r.Line || s.URL != r.URL || s.Outcome != r.Outcome || s.Bytes != r.Bytes || s.SHA256 != r.SHA256 {
			t.Errorf("record %d: OnRecord saw line %d %s %s %d bytes, the sink line %d %s %s %d bytes",
				k+1, s.Line, s.URL, s.Outcome, s.Bytes, r.Line, r.URL, r.Outcome, r.Bytes)
		}
		// The copy taken when it was written still checks: nothing
		// changed what it pointed to after the call.
		if msg := mixCheckQuery(&r, l.hash, l.cancelled, l.query); msg != "" {
			t.Errorf("after the run: %s", msg)
		}
		outcomes[r.Outcome]++
		bytes += r.Bytes
	}
	if sum == nil {
		return
	}
	if sum.Inputs != read || sum.Bytes != bytes {
		t.Errorf("summary: %d inputs, %d bytes; the records: %d and %d", sum.Inputs, sum.Bytes, read, bytes)
	}
	for o, n := range outcomes {
		if sum.Outcomes[o] != n {
			t.Errorf("summary: %d %s, the records %d", sum.Outcomes[o], o, n)
		}
	}
	// The records the summary keeps are copies of what the sink saw.
	for _, r := range append([]*Record{sum.Fastest, sum.Slowest}, ptrs(sum.SlowestN)...) {
		if r == nil {
			continue
		}
		if msg := mixCheckQuery(r, l.hash, l.cancelled, l.query); msg != "" {
			t.Errorf("summary's record: %s", msg)
		}
	}
	if kept := sum.Records(); kept != nil {
		if len(kept) != len(l.recs) {
			t.Fatalf("summary kept %d records, the sink saw %d", len(kept), len(l.recs))
		}
		// Sorted by duration: each is the sink's record of its line.
		byLine := map[int]Record{}
		for _, r := range l.recs {
			byLine[r.Line] = r
		}
		for _, r := range kept {
			s, ok := byLine[r.Line]
			delete(byLine, r.Line)
			if msg := mixCheckQuery(&r, l.hash, l.cancelled, l.query); msg != "" || !ok || r.Duration != s.Duration || r.Start != s.Start || r.Outcome != s.Outcome {
				t.Errorf("summary's record of line %d (%v, the sink's %v) %s", r.Line, r.Duration, s.Duration, msg)
			}
		}
	}
}

func ptrs(rs []Record) []*Record {
	out := make([]*Record, len(rs))
	for i := range rs {
		out[i] = &rs[i]
	}
	return out
}

// mixShapes are the run shapes the tests cross: few slots and a long line
// of inputs, many slots and no backlog, PerHost caps with and without
// parked places.
var mixShapes = []struct {
	name string
	cfg  func(*Config)
}{
	{"c1 backlog 600", func(c *Config) { c.Concurrency, c.Backlog = 1, 600 }},
	{"c2 backlog 300 perhost 1", func(c *Config) { c.Concurrency, c.Backlog, c.PerHost = 2, 300, 1 }},
	{"c64 no backlog", func(c *Config) { c.Concurrency, c.Backlog = 64, -1 }},
	{"c32 backlog 500 perhost 2", func(c *Config) { c.Concurrency, c.Backlog, c.PerHost = 32, 500, 2 }},
	{"c8 perhost 1 no hostbacklog", func(c *Config) { c.Concurrency, c.PerHost, c.HostBacklog = 8, 1, -1 }},
}

// TestAttackMixedOutcomesOneRecordEach runs 2,000 URLs of mixed outcomes
// through every shape, Ordered and not, hashed and not: each input has
// exactly one record, its own, as the sink and OnRecord are handed it,
// and the summary (keeping records) agrees.
func TestAttackMixedOutcomesOneRecordEach(t *testing.T) {
	n := 2000
	if raceEnabled {
		n = 400
	}
	for _, shape := range mixShapes {
		for _, ordered := range []bool{false, true} {
			hash := !ordered // both read paths, both orders
			name := fmt.Sprintf("%s ordered=%v", shape.name, ordered)
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					web := mixWeb()
					cfg := mixConfig(web, hash)
					shape.cfg(&cfg)
					cfg.Ordered, cfg.KeepRecords = ordered, true
					if ordered {
						cfg.OrderWindow = 150 // the reader waits for room, too
					}
					l := &recordLog{hash: hash}
					cfg.OnRecord = l.onRecord
					f := mustNew(t, cfg)
					var read atomic.Int64
					sum, err := f.Run(context.Background(), mixSource(n, &read, 0, nil, 0), l)
					if err != nil {
						t.Fatalf("Run: %v", err)
					}
					if read.Load() != int64(n) || !sum.AllRead {
						t.Fatalf("%d read of %d (all read: %v)", read.Load(), n, sum.AllRead)
					}
					checkLog(t, l, sum, read.Load(), ordered)
					if cfg.PerHost > 0 && web.maxPerHost > cfg.PerHost || web.maxInflight > cfg.Concurrency {
						t.Errorf("%d in flight, %d to one host; want ≤ %d and ≤ %d", web.maxInflight, web.maxPerHost, cfg.Concurrency, cfg.PerHost)
					}
				})
			})
		}
	}
}

// TestAttackCancelAtAnyPointOneRecordEach cancels mixed runs at random
// moments (before the run, while the reader fills the line, from the sink
// after k records, at a random time), and with fail-fast: every input
// read has exactly one record, its own or Cancelled, none twice.
func TestAttackCancelAtAnyPointOneRecordEach(t *testing.T) {
	rounds := 12
	if raceEnabled {
		rounds = 5 // each way once
	}
	const n = 600
	for _, shape := range mixShapes {
		for _, ordered := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s ordered=%v", shape.name, ordered), func(t *testing.T) {
				for round := range rounds {
					rng := rand.New(rand.NewPCG(uint64(round), uint64(len(shape.name))))
					how := round % 5
					synctest.Test(t, func(t *testing.T) {
						web := mixWeb()
						cfg := mixConfig(web, true)
						shape.cfg(&cfg)
						cfg.Ordered = ordered
						if ordered {
							cfg.OrderWindow = 100
						}
						l := &recordLog{hash: true, cancelled: true}
						cfg.OnRecord = l.onRecord
						ctx, cancel := context.WithCancelCause(context.Background())
						defer cancel(nil)
						stop := func() { cancel(errors.New("stopped by the test")) }
						cancelAt := 0
						switch how {
						case 0: // before the run
							stop()
						case 1: // while the reader fills the line
							cancelAt = 1 + rng.IntN(n)
						case 2: // from the sink, after k records
							l.stopAfter, l.stop = 1+rng.IntN(n/2), stop
						case 3: // at a random moment
							time.AfterFunc(time.Duration(rng.IntN(4000))*time.Millisecond, stop)
						case 4: // at the first failure
							cfg.FailFast = true
						}
						f := mustNew(t, cfg)
						var read atomic.Int64
						sum, err := f.Run(ctx, mixSource(n, &read, cancelAt, stop, 0), l)
						switch {
						case how == 4 && !errors.Is(err, ErrFailFast):
							t.Fatalf("fail-fast run: %v", err)
						case how != 4 && err != nil && !errors.Is(err, ErrInterrupted):
							t.Fatalf("Run: %v", err)
						}
						checkLog(t, l, sum, read.Load(), ordered)
						if how == 0 && sum.Outcomes[Cancelled] != read.Load() {
							t.Errorf("cancelled before it began: %d cancelled of %d read", sum.Outcomes[Cancelled], read.Load())
						}
					})
					if t.Failed() {
						t.Fatalf("round %d (how %d)", round, how)
					}
				}
			})
		}
	}
}

// TestAttackSourceErrorMidway: the source fails after a random number of
// inputs while the line holds many: every input read before the error has
// exactly one record, its own (nothing is cancelled: the requests in
// flight and in line finish), and Run returns the read error.
func TestAttackSourceErrorMidway(t *testing.T) {
	for _, shape := range mixShapes {
		for _, ordered := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s ordered=%v", shape.name, ordered), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, uint64(len(shape.name))))
				for range 3 {
					failAt := 2 + rng.IntN(500)
					synctest.Test(t, func(t *testing.T) {
						web := mixWeb()
						cfg := mixConfig(web, false)
						shape.cfg(&cfg)
						cfg.Ordered = ordered
						l := &recordLog{}
						cfg.OnRecord = l.onRecord
						f := mustNew(t, cfg)
						var read atomic.Int64
						sum, err := f.Run(context.Background(), mixSource(600, &read, 0, nil, failAt), l)
						if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "disk read error") {
							t.Fatalf("Run: %v", err)
						}
						if read.Load() != int64(failAt-1) {
							t.Fatalf("%d read, want %d", read.Load(), failAt-1)
						}
						checkLog(t, l, sum, read.Load(), ordered)
					})
				}
			})
		}
	}
}

// TestAttackSinkErrorMidway: the sink fails at a random record: Run
// returns the error, and every input read still has exactly one record in
// the summary and OnRecord, though the sink is called no more.
func TestAttackSinkErrorMidway(t *testing.T) {
	for _, shape := range mixShapes {
		t.Run(shape.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				web := mixWeb()
				cfg := mixConfig(web, false)
				shape.cfg(&cfg)
				l := &recordLog{cancelled: true}
				cfg.OnRecord = l.onRecord
				var calls atomic.Int64
				boom := errors.New("disk full")
				sink := SinkFunc(func(rec *Record) error {
					if calls.Add(1) == 150 {
						return boom
					}
					return l.Write(rec)
				})
				f := mustNew(t, cfg)
				var read atomic.Int64
				sum, err := f.Run(context.Background(), mixSource(600, &read, 0, nil, 0), sink)
				if !errors.Is(err, ErrOutput) || !errors.Is(err, boom) {
					t.Fatalf("Run: %v", err)
				}
				if calls.Load() != 150 || sum.Inputs != read.Load() || int64(len(l.seen)) != read.Load() {
					t.Fatalf("sink called %d times, summary %d, OnRecord %d, read %d", calls.Load(), sum.Inputs, len(l.seen), read.Load())
				}
				lines := map[int]int{}
				for _, r := range l.seen {
					if lines[r.Line]++; lines[r.Line] > 1 {
						t.Errorf("line %d: two records", r.Line)
					}
				}
			})
		})
	}
}

// TestAttackResumeAfterACutLosesNothing: a run written to a checkpoint
// (JSON Lines) is cut short at a random record, then resumed with the
// checkpoint's Skip: across the two runs, every line's last record is its
// own final one, no line that was ok in the first run is fetched or
// written again, and every line that succeeds has exactly one ok record.
func TestAttackResumeAfterACutLosesNothing(t *testing.T) {
	n, rounds := 500, 3
	if raceEnabled {
		n, rounds = 300, 1
	}
	for _, shape := range mixShapes {
		for _, ordered := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s ordered=%v", shape.name, ordered), func(t *testing.T) {
				for round := range rounds {
					rng := rand.New(rand.NewPCG(uint64(round), 99))
					synctest.Test(t, func(t *testing.T) {
						web := mixWeb()
						var file bytes.Buffer
						ctx, cancel := context.WithCancel(context.Background())
						defer cancel()
						cfg := mixConfig(web, true)
						shape.cfg(&cfg)
						cfg.Ordered = ordered
						l := &recordLog{hash: true, cancelled: true, stopAfter: 1 + rng.IntN(n-1), stop: cancel}
						cfg.OnRecord = l.onRecord
						f := mustNew(t, cfg)
						var read atomic.Int64
						sink := SinkFunc(func(rec *Record) error {
							if err := NewJSONLWriter(&file).Write(rec); err != nil {
								return err
							}
							return l.Write(rec)
						})
						f.Run(ctx, mixSource(n, &read, 0, nil, 0), sink)
						checkLog(t, l, nil, read.Load(), ordered)
						first := map[int]Record{}
						for _, r := range l.recs {
							first[r.Line] = r
						}
						cp, err := LoadCheckpoint(bytes.NewReader(file.Bytes()))
						if err != nil {
							t.Fatal(err)
						}
						cfg.Skip = cp.Skip
						web = mixWeb() // the resumed run's server, counting anew
						cfg.Transport = web
						l2 := &recordLog{hash: true}
						var skipped atomic.Int64
						cfg.OnRecord = func(rec *Record) {
							if rec.Outcome == Skipped { // not written
								if p := first[rec.Line]; p.Outcome != OK || p.URL != rec.URL {
									t.Errorf("line %d (%s) skipped; its first record: %s %s", rec.Line, rec.URL, p.URL, p.Outcome)
								}
								skipped.Add(1)
								return
							}
							l2.onRecord(rec)
						}
						f = mustNew(t, cfg)
						var read2 atomic.Int64
						sink2 := SinkFunc(func(rec *Record) error {
							if err := NewJSONLWriter(&file).Write(rec); err != nil {
								return err
							}
							return l2.Write(rec)
						})
						sum, err := f.Run(context.Background(), mixSource(n, &read2, 0, nil, 0), sink2)
						if err != nil {
							t.Fatalf("resumed run: %v", err)
						}
						ok := 0
						for _, r := range first {
							if r.Outcome == OK {
								ok++
							}
						}
						if sum.Outcomes[Skipped] != int64(ok) || skipped.Load() != int64(ok) || len(l2.recs) != n-ok || len(l2.seen) != n-ok {
							t.Errorf("resumed: %d skipped (OnRecord: %d), %d records (OnRecord: %d); want %d and %d",
								sum.Outcomes[Skipped], skipped.Load(), len(l2.recs), len(l2.seen), ok, n-ok)
						}
						for _, r := range l2.recs {
							if p, ok := first[r.Line]; ok && p.Outcome == OK {
								t.Errorf("line %d, ok in the first run, written again", r.Line)
							}
						}
						for _, msg := range l2.bad {
							t.Error(msg)
						}
						// The checkpoint file, as a reader of it sees it:
						// each line's last record is its final one, and a
						// line that succeeded has one ok record.
						oks := map[int]int{}
						last := map[int]Record{}
						for _, line := range bytes.Split(bytes.TrimSuffix(file.Bytes(), []byte("\n")), []byte("\n")) {
							var r Record
							if err := r.UnmarshalJSON(line); err != nil {
								t.Fatalf("bad line %q: %v", line, err)
							}
							if r.Outcome == OK {
								oks[r.Line]++
							}
							last[r.Line] = r
						}
						for i := range n {
							r, w := last[i+1], mixWant(i, true)
							if r.URL != w.URL || r.Outcome != w.Outcome || r.SHA256 != w.SHA256 || r.Bytes != w.Bytes {
								t.Errorf("line %d: last record %s %s %d bytes sha %.8s; want %s %s %d bytes sha %.8s",
									i+1, r.URL, r.Outcome, r.Bytes, r.SHA256, w.URL, w.Outcome, w.Bytes, w.SHA256)
							}
							if w.Outcome == OK && oks[i+1] != 1 {
								t.Errorf("line %d: %d ok records", i+1, oks[i+1])
							}
						}
						// A URL fetched to its end in the first run is not asked for again.
						web.mu.Lock()
						defer web.mu.Unlock()
						for line, r := range first {
							if r.Outcome == OK && web.calls[r.URL] != 0 {
								t.Errorf("line %d (%s): asked for again after an ok record", line, r.URL)
							}
						}
					})
					if t.Failed() {
						t.Fatalf("round %d", round)
					}
				}
			})
		}
	}
}

// TestAttackTwoRunsOnOneFetcher runs two mixed lists at once on one
// Fetcher (its hosts' PerHost caps and pauses shared), one of them
// cancelled midway: each run's records are its own inputs', one each.
func TestAttackTwoRunsOnOneFetcher(t *testing.T) {
	n := 400
	if raceEnabled {
		n = 200
	}
	for _, shape := range mixShapes {
		t.Run(shape.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				web := mixWeb()
				cfg := mixConfig(web, true)
				shape.cfg(&cfg)
				cfg.Ordered = true
				f := mustNew(t, cfg)
				logs := [2]*recordLog{{hash: true, query: "?run=0"}, {hash: true, cancelled: true, query: "?run=1"}}
				var reads [2]atomic.Int64
				var sums [2]*Summary
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				logs[1].stopAfter, logs[1].stop = n/4, cancel
				var wg sync.WaitGroup
				for k := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						runCtx := context.Background()
						if k == 1 {
							runCtx = ctx
						}
						src := mixSourceQuery(n, &reads[k], 0, nil, 0, logs[k].query)
						sums[k], _ = f.Run(runCtx, src, SinkFunc(func(rec *Record) error {
							logs[k].onRecord(rec) // OnRecord is the Fetcher's, shared: check here
							return logs[k].Write(rec)
						}))
					}()
				}
				wg.Wait()
				for k := range 2 {
					checkLog(t, logs[k], sums[k], reads[k].Load(), true)
				}
				// (Under Ordered, the cancelled run's n/4th record may be
				// written when every later one is done already, held.)
				if sums[0].Outcomes[Cancelled] != 0 {
					t.Errorf("%d cancelled in the run left alone", sums[0].Outcomes[Cancelled])
				}
			})
		})
	}
}

// TestAttackSavedBodiesAreTheirOwn saves every body of a mixed list
// (SaveDir): each record that says it saved a body names its own line's
// file, which holds its own body, as many bytes as it says and of its
// hash; a final record of a fetch that failed saved nothing.
func TestAttackSavedBodiesAreTheirOwn(t *testing.T) {
	n := 400
	if raceEnabled {
		n = 200
	}
	for _, shape := range mixShapes {
		t.Run(shape.name, func(t *testing.T) {
			dir := t.TempDir()
			synctest.Test(t, func(t *testing.T) {
				web := mixWeb()
				cfg := mixConfig(web, true)
				shape.cfg(&cfg)
				cfg.SaveDir = dir
				l := &recordLog{hash: true}
				cfg.OnRecord = l.onRecord
				f := mustNew(t, cfg)
				var read atomic.Int64
				sum, err := f.Run(context.Background(), mixSource(n, &read, 0, nil, 0), l)
				if err != nil {
					t.Fatal(err)
				}
				checkLog(t, l, sum, read.Load(), false)
				saved := 0
				for _, r := range l.recs {
					if r.SavedAs != "" {
						saved++
					}
					want := filepath.Join(dir, SafeName(r.Line, r.URL))
					switch {
					case r.Outcome == OK || r.Outcome == HTTPError:
						data, err := os.ReadFile(r.SavedAs)
						if r.SavedAs != want || err != nil || int64(len(data)) != r.Bytes || hashOf(string(data)) != r.SHA256 {
							t.Errorf("line %d: saved as %q (want %q), %d bytes (record: %d), %v", r.Line, r.SavedAs, want, len(data), r.Bytes, err)
						}
					case r.SavedAs != "":
						t.Errorf("line %d, %s: saved as %q", r.Line, r.Outcome, r.SavedAs)
					}
				}
				// Nothing else in the directory: no body of a failed fetch.
				if files, _ := os.ReadDir(dir); len(files) != saved {
					t.Errorf("%d files in the directory, %d records saved a body", len(files), saved)
				}
			})
		})
	}
}
