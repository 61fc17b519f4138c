package fetch

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var sample = Record{Line: 3, URL: "http://a.test/x", FinalURL: "http://a.test/y", Outcome: OK, Status: 200,
	Bytes: 1234, Attempts: 2, Start: 5 * time.Millisecond, Duration: 1500 * time.Microsecond,
	Queued: time.Millisecond, Retried: 250 * time.Millisecond, DNS: 100 * time.Microsecond,
	Connect: 200 * time.Microsecond, TLS: 300 * time.Microsecond, TTFB: 900 * time.Microsecond, SHA256: "ab"}

func TestJSONLRoundTrip(t *testing.T) {
	var b bytes.Buffer
	w := NewJSONLWriter(&b)
	failed := Record{Line: 4, URL: "nope", Outcome: Invalid, ErrorKind: KindUnsupportedScheme, Error: "bad"}
	if err := w.Write(&sample); err != nil {
		t.Fatal(err)
	}
	w.Write(&failed)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	var m map[string]any
	json.Unmarshal([]byte(lines[0]), &m)
	for k, want := range map[string]any{"line": 3.0, "url": "http://a.test/x", "status": 200.0, "duration_ms": 1.5,
		"dns_ms": 0.1, "connect_ms": 0.2, "tls_ms": 0.3, "ttfb_ms": 0.9, "attempts": 2.0, "outcome": "ok"} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	var back Record
	if err := json.Unmarshal([]byte(lines[0]), &back); err != nil || back != sample {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	json.Unmarshal([]byte(lines[1]), &back)
	if back != failed {
		t.Errorf("round trip of a failure: %+v", back)
	}
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	w := NewCSVWriter(&b)
	w.Write(&sample)
	w.Write(&Record{Line: 9, URL: "http://a.test/, \"odd\"", Outcome: Failed, Error: "x, y"})
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 3 || len(rows[0]) != len(CSVHeader()) || len(rows[1]) != len(CSVHeader()) {
		t.Fatalf("rows %v, %v", rows, err)
	}
	if rows[1][0] != "3" || rows[1][4] != "200" || rows[1][11] != "1.500" || rows[2][1] != "http://a.test/, \"odd\"" || rows[2][9] != "x, y" {
		t.Errorf("rows %q", rows)
	}
}

func TestLoadSucceededToleratesATornLastLine(t *testing.T) {
	var b bytes.Buffer
	w := NewJSONLWriter(&b)
	w.Write(&Record{URL: "http://a.test/ok", Outcome: OK})
	w.Write(&Record{URL: "http://a.test/404", Outcome: HTTPError})
	w.Write(&Record{URL: "http://a.test/gone", Outcome: Cancelled})
	b.WriteString("\n")
	w.Write(&Record{URL: "http://a.test/ok2", Outcome: OK})
	b.WriteString(`{"url":"http://a.test/torn","outc`)
	done, bad, err := LoadSucceeded(&b)
	if err != nil || bad != 1 || len(done) != 2 {
		t.Fatalf("done %v, bad %d, err %v", done, bad, err)
	}
	for _, u := range []string{"http://a.test/ok", "http://a.test/ok2"} {
		if _, ok := done[u]; !ok {
			t.Errorf("%s missing", u)
		}
	}
}

func TestSummaryPercentiles(t *testing.T) {
	s := newSummary(time.Unix(0, 0), true)
	for i := 1; i <= 1000; i++ {
		s.add(&Record{Line: i, URL: "u", Outcome: OK, Status: 200, Attempts: 1, Duration: time.Duration(i) * time.Millisecond, Bytes: 10})
	}
	s.add(&Record{Line: 1001, URL: "bad", Outcome: Invalid})
	s.add(&Record{Line: 1002, URL: "c", Outcome: Cancelled})
	s.finish(time.Unix(10, 0))
	for p, want := range map[float64]time.Duration{50: 500 * time.Millisecond, 90: 900 * time.Millisecond, 99: 990 * time.Millisecond, 100: time.Second} {
		got := s.Percentile(p)
		if got < want || float64(got) > float64(want)*1.01 {
			t.Errorf("p%v = %v, want %v within 1%%", p, got, want)
		}
	}
	if s.Max() != time.Second || s.Fastest.Duration != time.Millisecond || s.Slowest.Duration != time.Second {
		t.Errorf("max %v fastest %v slowest %v", s.Max(), s.Fastest.Duration, s.Slowest.Duration)
	}
	// The invalid and the cancelled record are no requests.
	if s.Busy != 500500*time.Millisecond || s.Gain() != 50.05 || s.Throughput() != 100 {
		t.Errorf("busy %v gain %v throughput %v", s.Busy, s.Gain(), s.Throughput())
	}
	recs := s.Records()
	if len(recs) != 1002 || recs[0].Line != 1 || recs[999].Line != 1000 || recs[1000].URL != "bad" || recs[1001].URL != "c" {
		t.Errorf("sorted records: first %d, last %+v", recs[0].Line, recs[len(recs)-1])
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := map[string]time.Duration{"0": 0, "120": 2 * time.Minute, " 5 ": 5 * time.Second,
		now.Add(90 * time.Second).Format(http1123): 90 * time.Second, now.Add(-time.Hour).Format(http1123): 0}
	for v, want := range cases {
		if got, ok := ParseRetryAfter(v, now); !ok || got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon", "1.5"} {
		if _, ok := ParseRetryAfter(v, now); ok {
			t.Errorf("ParseRetryAfter(%q) accepted", v)
		}
	}
	for n := 1; n < 10; n++ {
		d := backoff(n, 100*time.Millisecond, time.Second)
		hi := min(100*time.Millisecond<<(n-1), time.Second)
		if d < hi/2 || d > hi {
			t.Errorf("backoff(%d) = %v, want in [%v, %v]", n, d, hi/2, hi)
		}
	}
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

func TestSummaryNamesTheSlowestAndCountsFailureKinds(t *testing.T) {
	s := newSummary(time.Unix(0, 0), false)
	for i := range 20 {
		s.add(&Record{Line: i, URL: fmt.Sprint("u", i), Outcome: OK, Status: 200, Attempts: 1, Duration: time.Duration(i%10) * time.Second})
	}
	s.add(&Record{URL: "t", Outcome: Failed, ErrorKind: KindTimeout, Error: "x", Attempts: 2, Duration: 30 * time.Second})
	s.add(&Record{URL: "r", Outcome: Failed, ErrorKind: KindReset, Error: "x", Attempts: 2, Duration: time.Millisecond})
	s.add(&Record{URL: "r2", Outcome: Failed, ErrorKind: KindReset, Error: "x", Attempts: 2, Duration: time.Millisecond})
	s.add(&Record{URL: "bad", Outcome: Invalid, ErrorKind: KindInvalidURL, Error: "x"})
	s.finish(time.Unix(60, 0))
	var got []string
	for _, r := range s.SlowestN {
		got = append(got, fmt.Sprint(r.URL, " ", r.Duration))
	}
	if want := "t 30s,u9 9s,u19 9s,u8 8s,u18 8s"; strings.Join(got, ",") != want {
		t.Errorf("slowest %v, want %s", got, want)
	}
	if k := s.ErrorKinds; len(k) != 3 || k[KindReset] != 2 || k[KindInvalidURL] != 1 || k[KindTimeout] != 1 {
		t.Errorf("error kinds %v", k)
	}
}

func TestSummaryPerHost(t *testing.T) {
	s := newSummary(time.Unix(0, 0), false)
	add := func(u string, o Outcome, attempts int, d time.Duration) {
		s.add(&Record{URL: u, Outcome: o, Attempts: attempts, Duration: d, Status: 200})
	}
	add("http://A.test/1", OK, 1, time.Second)
	add("http://a.test/2?x=/y", OK, 2, 3*time.Second)
	add("https://user@a.test:8443/", Failed, 3, time.Second)
	add("http://b.test", HTTPError, 1, time.Second)
	s.add(&Record{URL: "http://c.test/", Outcome: Cancelled})
	hosts := s.Hosts()
	want := []HostStats{
		{Host: "a.test", Requests: 2, Retried: 1, Busy: 4 * time.Second, Max: 3 * time.Second},
		{Host: "a.test:8443", Requests: 1, Failed: 1, Retried: 1, Busy: time.Second, Max: time.Second},
		{Host: "b.test", Requests: 1, Failed: 1, Busy: time.Second, Max: time.Second},
	}
	if !slices.Equal(hosts, want) {
		t.Errorf("hosts\n%+v\nwant\n%+v", hosts, want)
	}
	for i := range maxHosts + 5 {
		s.add(&Record{URL: fmt.Sprintf("http://h%d.test/", i), Outcome: OK, Attempts: 1})
	}
	if n := len(s.hosts); n != maxHosts+1 || s.hosts[otherHosts].Requests == 0 {
		t.Errorf("%d hosts kept, want %d and the rest as %q", n, maxHosts+1, otherHosts)
	}
}

// TestCSVHeaderIsACopy: what CSVHeader returns is the caller's; writing
// over it changes neither the next CSVHeader nor a writer's header.
func TestCSVHeaderIsACopy(t *testing.T) {
	h := CSVHeader()
	h[0], h[1] = "changed", "too"
	if again := CSVHeader(); again[0] != "line" || again[1] != "url" {
		t.Errorf("CSVHeader after a caller changed its copy: %q", again[:2])
	}
	var b bytes.Buffer
	if err := NewCSVWriter(&b).WriteHeader(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "line,url,") {
		t.Errorf("header %q", b.String())
	}
}

// TestSummaryHostsOfRunsOfURLs: the summary finds a record's host from
// the last record's when the URL starts the same way up to the end of
// that host; URLs that start alike but name another host (a longer name,
// a port, user information, no "://") are each counted under their own,
// as Record.Host names them, in any order.
func TestSummaryHostsOfRunsOfURLs(t *testing.T) {
	urls := []string{"http://a.test/1", "http://a.test", "http://a.test?q", "http://a.test#f", "http://a.test.evil/x",
		"http://a.testx", "http://a.test:81/", "http://A.TEST/", "http://u@a.test/", "http://u@a.test", "https://a.test/",
		"a.test/x://b.test/", "a.test", "a.test/y", "http://a.test/x://b.test", "", "http://", "http:///x", "://a.test/"}
	rnd := rand.New(rand.NewPCG(11, 12))
	for round := range 200 {
		s := newSummary(time.Unix(0, 0), false)
		want := map[string]int64{}
		for range 50 {
			u := urls[rnd.IntN(len(urls))]
			if round%2 == 0 && rnd.IntN(2) == 0 { // runs of one URL too
				u = urls[0]
			}
			rec := &Record{URL: u, Outcome: OK, Attempts: 1}
			want[rec.Host()]++
			s.add(rec)
		}
		got := map[string]int64{}
		for _, h := range s.Hosts() {
			got[h.Host] = h.Requests
		}
		if !maps.Equal(got, want) {
			t.Fatalf("round %d: hosts %v, want %v", round, got, want)
		}
	}
}
