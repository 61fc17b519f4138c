package report

import (
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
)

func TestPrintableAndShortenURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://a.test/ok": "http://a.test/ok",
		"é ü 日本":           "é ü 日本",
		"a\tb\nc":          `a\tb\nc`,
		"\u200bzero-width": `\u200bzero-width`,
		"\u009b31m":        `\u009b31m`,
		"\x9b31m":          `\x9b31m`,
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
	long := "http://a.test/" + strings.Repeat("x", 60000) + "?id=42"
	s := ShortenURL(long, 100)
	if len(s) > 100 || !strings.HasPrefix(s, "http://a.test/") || !strings.HasSuffix(s, "?id=42") || !strings.Contains(s, "…") {
		t.Errorf("ShortenURL: %q (%d bytes)", s, len(s))
	}
}

func TestSummaryWording(t *testing.T) {
	s := fetch.NewSummary(time.Unix(0, 0), false)
	s.Add(&fetch.Record{URL: "http://a.test/fail-fast", Outcome: fetch.Failed, ErrorKind: fetch.KindRefused, Error: "x", Attempts: 1, Duration: time.Millisecond})
	s.Add(&fetch.Record{URL: "http://a.test/ok", Outcome: fetch.OK, Status: 200, Attempts: 1, Duration: 250 * time.Millisecond})
	long := "http://a.test/" + strings.Repeat("y", 60000)
	s.Add(&fetch.Record{URL: long, Outcome: fetch.OK, Status: 200, Attempts: 2, Duration: 3*time.Second + 4*time.Millisecond})
	s.Finish(time.Unix(65, 0))
	text := Summary(s)
	for _, want := range []string{
		"3 URLs in 1m05s",
		"fastest    250ms http://a.test/ok\n", // a success, not the quicker failure
		"(200, 2 attempts)",
		"slowest    3s http://a.test/yyy",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if len(text) > 2000 {
		t.Errorf("summary of %d bytes: the long URL is not shortened", len(text))
	}
	one := fetch.NewSummary(time.Unix(0, 0), false)
	one.Add(&fetch.Record{URL: "http://a.test/", Outcome: fetch.OK, Status: 200, Attempts: 1, Duration: time.Second})
	one.Add(&fetch.Record{URL: "http://b.test/", Outcome: fetch.OK, Status: 200, Attempts: 1, Duration: time.Second})
	if text := Summary(one); !strings.Contains(text, "2 URLs in") || !strings.Contains(text, "a.test: 1 request, 0 failed") {
		t.Errorf("plurals:\n%s", text)
	}
	for d, want := range map[time.Duration]string{
		1234 * time.Microsecond: "1.23ms", 42 * time.Millisecond: "42ms", 850 * time.Millisecond: "850ms",
		1500 * time.Millisecond: "1.5s", 59 * time.Second: "59s", 125 * time.Second: "2m05s", 3725 * time.Second: "1h02m05s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
