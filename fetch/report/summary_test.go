package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/asyncgo/async/fetch"
)

func TestTable(t *testing.T) {
	var b bytes.Buffer
	tw := NewTableWriter(&b)
	tw.Write(&fetch.Record{Line: 3, URL: "http://a.test/x", Outcome: fetch.OK, Status: 200, Bytes: 1234, Attempts: 2, Duration: 1500 * time.Microsecond})
	tw.Write(&fetch.Record{Line: 10, URL: "nope", Outcome: fetch.Invalid, Error: "no scheme"})
	out := b.String()
	if !regexp.MustCompile(`(?m)^ +LINE +OUTCOME +STATUS +TIME +BYTES +URL$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^ +3 +ok +200 +1.5ms +1.2 KiB +http://a.test/x$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^ +10 +invalid +- +- +0 B +nope  \(no scheme\)$`).MatchString(out) {
		t.Errorf("table:\n%s", out)
	}
}

// TestTableIsPrintable: the table shows URLs and messages through
// Printable, as the CSV and JSON Lines writers escape them.
func TestTableIsPrintable(t *testing.T) {
	rec := &fetch.Record{Line: 1, URL: "http://a.test/\x1b[2J\x1b]0;pwned\a/\xff\xfe", Outcome: fetch.Failed,
		Error: "bad \x00 byte \xc3", ErrorKind: fetch.KindNetwork, Attempts: 1}
	var tb bytes.Buffer
	NewTableWriter(&tb).Write(rec)
	if bytes.ContainsAny(tb.Bytes(), "\x1b\a\x00") || !utf8.Valid(tb.Bytes()) {
		t.Errorf("table writes raw control bytes: %q", tb.String())
	}
	if !strings.Contains(tb.String(), `http://a.test/\x1b[2J\x1b]0;pwned\a/\xff\xfe  (bad \x00 byte \xc3)`) {
		t.Errorf("table: %q", tb.String())
	}
}

func TestSummaryText(t *testing.T) {
	s := fetch.NewSummary(time.Unix(0, 0), false)
	for i := 1; i <= 1000; i++ {
		s.Add(&fetch.Record{Line: i, URL: "u", Outcome: fetch.OK, Status: 200, Attempts: 1, Duration: time.Duration(i) * time.Millisecond, Bytes: 10})
	}
	s.Add(&fetch.Record{Line: 1001, URL: "bad", Outcome: fetch.Invalid})
	s.Add(&fetch.Record{Line: 1002, URL: "c", Outcome: fetch.Cancelled})
	s.Finish(time.Unix(10, 0))
	text := Summary(s)
	for _, want := range []string{"1002 URLs in 10s", "ok 1000", "invalid 1", "cancelled 1", "2xx 1000", "concurrency gain 50.0×", "p50 501", "max 1s", "fastest    1ms u"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

func TestSummaryNamesTheSlowestAndFailureKinds(t *testing.T) {
	s := fetch.NewSummary(time.Unix(0, 0), false)
	for i := range 20 {
		s.Add(&fetch.Record{Line: i, URL: fmt.Sprint("u", i), Outcome: fetch.OK, Status: 200, Attempts: 1, Duration: time.Duration(i%10) * time.Second})
	}
	s.Add(&fetch.Record{URL: "t", Outcome: fetch.Failed, ErrorKind: fetch.KindTimeout, Error: "x", Attempts: 2, Duration: 30 * time.Second})
	s.Add(&fetch.Record{URL: "r", Outcome: fetch.Failed, ErrorKind: fetch.KindReset, Error: "x", Attempts: 2, Duration: time.Millisecond})
	s.Add(&fetch.Record{URL: "r2", Outcome: fetch.Failed, ErrorKind: fetch.KindReset, Error: "x", Attempts: 2, Duration: time.Millisecond})
	s.Add(&fetch.Record{URL: "bad", Outcome: fetch.Invalid, ErrorKind: fetch.KindInvalidURL, Error: "x"})
	s.Finish(time.Unix(60, 0))
	if text := Summary(s); !strings.Contains(text, "failures   connection_reset 2 · invalid_url 1 · timeout 1") ||
		!strings.Contains(text, "slowest    30s t (timeout, 2 attempts)\n             9s u9 (200)\n") {
		t.Errorf("summary:\n%s", text)
	}
}

func TestSummaryHosts(t *testing.T) {
	s := fetch.NewSummary(time.Unix(0, 0), false)
	add := func(u string, o fetch.Outcome, attempts int, d time.Duration) {
		s.Add(&fetch.Record{URL: u, Outcome: o, Attempts: attempts, Duration: d, Status: 200})
	}
	add("http://A.test/1", fetch.OK, 1, time.Second)
	add("http://a.test/2?x=/y", fetch.OK, 2, 3*time.Second)
	add("https://user@a.test:8443/", fetch.Failed, 3, time.Second)
	add("http://b.test", fetch.HTTPError, 1, time.Second)
	if text := Summary(s); !strings.Contains(text, "hosts (3)  a.test: 2 requests, 0 failed, 1 retried, mean 2s, max 3s\n") ||
		!strings.Contains(text, "           a.test:8443: 1 request, 1 failed, 1 retried, mean 1s, max 1s\n") {
		t.Errorf("summary:\n%s", text)
	}
}

// TestSummaryRequestsAreFetchedURLs: "requests" is one number everywhere
// in the summary, the URLs fetched (each with all its attempts), and a run
// that fetched none reports no throughput.
func TestSummaryRequestsAreFetchedURLs(t *testing.T) {
	s := fetch.NewSummary(time.Unix(0, 0), false)
	for i := 1; i <= 6; i++ {
		s.Add(&fetch.Record{Line: i, URL: "not a url", Outcome: fetch.Invalid, ErrorKind: fetch.KindInvalidURL})
	}
	s.Finish(time.Unix(0, int64(80*time.Microsecond)))
	if text := Summary(s); strings.Contains(text, "throughput") || strings.Contains(text, "requests/s") || s.Throughput() != 0 {
		t.Errorf("6 invalid lines report a throughput (%v):\n%s", s.Throughput(), text)
	}
	s = fetch.NewSummary(time.Unix(0, 0), false)
	s.Add(&fetch.Record{Line: 1, URL: "http://a.test/1", Outcome: fetch.OK, Status: 200, Attempts: 3, Duration: time.Second})
	s.Add(&fetch.Record{Line: 2, URL: "http://a.test/2", Outcome: fetch.HTTPError, Status: 503, Attempts: 1, Duration: time.Second})
	s.Add(&fetch.Record{Line: 3, URL: "http://b.test/3", Outcome: fetch.OK, Status: 200, Attempts: 1, Duration: time.Second})
	s.Add(&fetch.Record{Line: 4, URL: "http://a.test/4", Outcome: fetch.Cancelled, Attempts: 1})
	s.Add(&fetch.Record{Line: 5, URL: "x", Outcome: fetch.Invalid})
	s.Add(&fetch.Record{Line: 6, URL: "http://a.test/6", Outcome: fetch.Skipped})
	s.Finish(time.Unix(1, 0))
	text := Summary(s)
	for _, want := range []string{"3 requests", "throughput 3.0 requests/s", "a.test: 2 requests", "b.test: 1 request,"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}
