package fetch

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCSVIsSanitizedLikeJSONLines(t *testing.T) {
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
