package fetch

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCSVAndTableAreSanitizedLikeJSONLines(t *testing.T) {
	rec := &Record{Line: 1, URL: "http://a.test/\x1b[2J\x1b]0;pwned\a/\xff\xfe", Outcome: Failed,
		Error: "bad \x00 byte \xc3", ErrorKind: KindNetwork, Attempts: 1}
	var c bytes.Buffer
	w := NewCSVWriter(&c)
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(c.Bytes()) || bytes.ContainsAny(c.Bytes(), "\x1b\a\x00") {
		t.Errorf("CSV has invalid UTF-8 or control bytes: %q", c.Bytes())
	}
	rows, err := csv.NewReader(&c).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][1] != `http://a.test/\x1b[2J\x1b]0;pwned\a/\xff\xfe` {
		t.Errorf("CSV rows %q, %v", rows, err)
	}
	var tb bytes.Buffer
	NewTableWriter(&tb).Write(rec)
	if bytes.ContainsAny(tb.Bytes(), "\x1b\a\x00") || !utf8.Valid(tb.Bytes()) {
		t.Errorf("table writes raw control bytes: %q", tb.String())
	}
	if !strings.Contains(tb.String(), `http://a.test/\x1b[2J\x1b]0;pwned\a/\xff\xfe`) {
		t.Errorf("table: %q", tb.String())
	}
}

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
	s := newSummary(time.Unix(0, 0), false)
	s.add(&Record{URL: "http://a.test/fail-fast", Outcome: Failed, ErrorKind: KindRefused, Error: "x", Attempts: 1, Duration: time.Millisecond})
	s.add(&Record{URL: "http://a.test/ok", Outcome: OK, Status: 200, Attempts: 1, Duration: 250 * time.Millisecond})
	long := "http://a.test/" + strings.Repeat("y", 60000)
	s.add(&Record{URL: long, Outcome: OK, Status: 200, Attempts: 2, Duration: 3*time.Second + 4*time.Millisecond})
	s.finish(time.Unix(65, 0))
	text := s.Text()
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
	one := newSummary(time.Unix(0, 0), false)
	one.add(&Record{URL: "http://a.test/", Outcome: OK, Status: 200, Attempts: 1, Duration: time.Second})
	one.add(&Record{URL: "http://b.test/", Outcome: OK, Status: 200, Attempts: 1, Duration: time.Second})
	if text := one.Text(); !strings.Contains(text, "2 URLs in") || !strings.Contains(text, "a.test: 1 request, 0 failed") {
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

func TestEveryInputIsCountedOnceEverywhere(t *testing.T) {
	list := []string{"http://a.test/1", "not a url", "ftp://a.test/x", "http://a.test/2", "http://a.test/skip"}
	web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) { return respond(200, "ok"), nil })
	f := mustNew(t, Config{Transport: web, KeepRecords: true, Skip: func(in Input) (bool, error) { return strings.HasSuffix(in.URL, "skip"), nil }})
	c, sum := runAll(t, f, list)
	kept := int64(len(sum.Records())) + sum.Outcomes[Skipped]
	if sum.Inputs != 5 || kept != 5 || len(c.recs) != 4 {
		t.Errorf("inputs %d, kept records + skipped %d, written %d; want 5, 5, 4", sum.Inputs, kept, len(c.recs))
	}
}
