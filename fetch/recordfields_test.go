package fetch

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// oldRecordJSON and oldWire are how records were written with
// encoding/json before the field list: the reference the append-based
// encoder must match byte for byte.
type oldRecordJSON struct {
	Line            int     `json:"line"`
	URL             string  `json:"url"`
	FinalURL        string  `json:"final_url,omitempty"`
	Outcome         Outcome `json:"outcome"`
	Status          int     `json:"status,omitempty"`
	Bytes           int64   `json:"bytes"`
	Truncated       bool    `json:"truncated,omitempty"`
	Attempts        int     `json:"attempts"`
	ErrorKind       string  `json:"error_kind,omitempty"`
	Error           string  `json:"error,omitempty"`
	SHA256          string  `json:"sha256,omitempty"`
	SavedAs         string  `json:"saved_as,omitempty"`
	Reused          bool    `json:"reused,omitempty"`
	HTTPVersion     string  `json:"http_version,omitempty"`
	Redirects       int     `json:"redirects,omitempty"`
	RedirectURL     string  `json:"redirect_url,omitempty"`
	ContentEncoding string  `json:"content_encoding,omitempty"`
	StartMS         float64 `json:"start_ms"`
	DurMS           float64 `json:"duration_ms"`
	QueuedMS        float64 `json:"queued_ms"`
	RetriedMS       float64 `json:"retry_wait_ms,omitempty"`
	DNSMS           float64 `json:"dns_ms"`
	ConnectMS       float64 `json:"connect_ms"`
	TLSMS           float64 `json:"tls_ms"`
	TTFBMS          float64 `json:"ttfb_ms"`

	ResumedFrom  int64            `json:"resumed_from,omitempty"`
	AttemptTimes []oldAttemptJSON `json:"attempt_times,omitempty"`
}

type oldAttemptJSON struct {
	QueuedMS  float64 `json:"queued_ms"`
	StartMS   float64 `json:"start_ms"`
	DNSMS     float64 `json:"dns_ms"`
	ConnectMS float64 `json:"connect_ms"`
	TLSMS     float64 `json:"tls_ms"`
	TTFBMS    float64 `json:"ttfb_ms"`
	EndMS     float64 `json:"end_ms"`
	BackoffMS float64 `json:"backoff_ms,omitempty"`
	PauseMS   float64 `json:"pause_ms,omitempty"`
	Status    int     `json:"status,omitempty"`
	ErrorKind string  `json:"error_kind,omitempty"`
}

func oldWire(r *Record) oldRecordJSON {
	w := oldRecordJSON{
		Line: r.Line, URL: r.URL, FinalURL: r.FinalURL, Outcome: r.Outcome, Status: r.Status,
		Bytes: r.Bytes, Truncated: r.Truncated, Attempts: r.Attempts, ErrorKind: r.ErrorKind,
		Error: r.Error, SHA256: r.SHA256, SavedAs: r.SavedAs, Reused: r.Reused,
		HTTPVersion: r.HTTPVersion, Redirects: r.Redirects, RedirectURL: r.RedirectURL, ContentEncoding: r.ContentEncoding,
		StartMS: ms(r.Start), DurMS: ms(r.Duration), QueuedMS: ms(r.Queued), RetriedMS: ms(r.Retried),
		DNSMS: ms(r.DNS), ConnectMS: ms(r.Connect), TLSMS: ms(r.TLS), TTFBMS: ms(r.TTFB),
		ResumedFrom: r.ResumedFrom,
	}
	if r.AttemptTimes != nil {
		for _, a := range *r.AttemptTimes {
			w.AttemptTimes = append(w.AttemptTimes, oldAttemptJSON{
				QueuedMS: ms(a.Queued), StartMS: ms(a.Start), DNSMS: ms(a.DNS), ConnectMS: ms(a.Connect), TLSMS: ms(a.TLS),
				TTFBMS: ms(a.TTFB), EndMS: ms(a.End), BackoffMS: ms(a.Backoff), PauseMS: ms(a.Pause),
				Status: a.Status, ErrorKind: a.ErrorKind})
		}
	}
	return w
}

// oldDecode reads a line as UnmarshalJSON did with encoding/json.
func oldDecode(t *testing.T, data []byte) Record {
	var j oldRecordJSON
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	r := Record{
		Line: j.Line, URL: j.URL, FinalURL: j.FinalURL, Outcome: j.Outcome, Status: j.Status,
		Bytes: j.Bytes, Truncated: j.Truncated, Attempts: j.Attempts, ErrorKind: j.ErrorKind,
		Error: j.Error, SHA256: j.SHA256, SavedAs: j.SavedAs, Reused: j.Reused,
		HTTPVersion: j.HTTPVersion, Redirects: j.Redirects, RedirectURL: j.RedirectURL, ContentEncoding: j.ContentEncoding,
		Start: fromMS(j.StartMS), Duration: fromMS(j.DurMS), Queued: fromMS(j.QueuedMS),
		Retried: fromMS(j.RetriedMS), DNS: fromMS(j.DNSMS), Connect: fromMS(j.ConnectMS),
		TLS: fromMS(j.TLSMS), TTFB: fromMS(j.TTFBMS), ResumedFrom: j.ResumedFrom,
	}
	if len(j.AttemptTimes) > 0 {
		list := make([]AttemptTime, len(j.AttemptTimes))
		for i, a := range j.AttemptTimes {
			list[i] = AttemptTime{Queued: fromMS(a.QueuedMS), Start: fromMS(a.StartMS), DNS: fromMS(a.DNSMS), Connect: fromMS(a.ConnectMS),
				TLS: fromMS(a.TLSMS), TTFB: fromMS(a.TTFBMS), End: fromMS(a.EndMS), Backoff: fromMS(a.BackoffMS),
				Pause: fromMS(a.PauseMS), Status: a.Status, ErrorKind: a.ErrorKind}
		}
		r.AttemptTimes = &list
	}
	return r
}

// oldJSONL is the line the JSONLWriter wrote with encoding/json.
func oldJSONL(t *testing.T, r *Record) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(oldWire(r)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// oldFields is the line the JSONLWriter wrote with -fields: each chosen
// field encoded by encoding/json, even when empty.
func oldFields(t *testing.T, r *Record, names []string) string {
	w := oldWire(r)
	v := reflect.ValueOf(w)
	var line []byte
	line = append(line, '{')
	for k, name := range names {
		if k > 0 {
			line = append(line, ',')
		}
		for i := range v.NumField() {
			if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); tag == name {
				var b bytes.Buffer
				enc := json.NewEncoder(&b)
				enc.SetEscapeHTML(false)
				enc.Encode(v.Field(i).Interface())
				line = append(line, `"`+name+`":`...)
				line = append(line, strings.TrimSuffix(b.String(), "\n")...)
			}
		}
	}
	return string(append(line, '}', '\n'))
}

var nastyStrings = []string{"", "http://a.test/x?q=1&r=<b>", "quote \" backslash \\ slash /", "\x00\x01\x08\x0c\x1b\x7f\t\r\n",
	"\xff\xfe bad utf8 \xc3", "é ü 漢字 😀", "\u2028 and \u2029", "\u0085\u009b", "=HYPERLINK(\"x\")"}

func randomRecord(rnd *rand.Rand) *Record {
	str := func() string { return nastyStrings[rnd.IntN(len(nastyStrings))] }
	dur := func() time.Duration {
		switch rnd.IntN(4) {
		case 0:
			return 0
		case 1:
			return time.Duration(rnd.IntN(1000)) // below a microsecond
		case 2:
			return time.Duration(rnd.Int64N(int64(time.Hour)))
		}
		return time.Duration(rnd.Int64N(1 << 62))
	}
	r := &Record{Line: rnd.IntN(1e6), URL: str(), FinalURL: str(), Outcome: []Outcome{OK, HTTPError, Failed, Invalid, Cancelled}[rnd.IntN(5)],
		Status: []int{0, 200, 503}[rnd.IntN(3)], Bytes: rnd.Int64N(1 << 40), Truncated: rnd.IntN(2) == 0, Attempts: rnd.IntN(4),
		ErrorKind: str(), Error: str(), SHA256: str(), SavedAs: str(), Reused: rnd.IntN(2) == 0,
		HTTPVersion: []string{"", "HTTP/1.1", "HTTP/2.0"}[rnd.IntN(3)], Redirects: rnd.IntN(3), RedirectURL: str(), ContentEncoding: str(),
		Start: dur(), Duration: dur(), Queued: dur(), Retried: dur(), DNS: dur(), Connect: dur(), TLS: dur(), TTFB: dur(),
		ResumedFrom: rnd.Int64N(3) * 1000}
	if n := rnd.IntN(3); n > 0 {
		list := make([]AttemptTime, n)
		for i := range list {
			list[i] = AttemptTime{Queued: dur(), Start: dur(), DNS: dur(), Connect: dur(), TLS: dur(), TTFB: dur(), End: dur(),
				Backoff: dur(), Pause: dur(), Status: []int{0, 429}[rnd.IntN(2)], ErrorKind: []string{"", KindTimeout}[rnd.IntN(2)]}
		}
		r.AttemptTimes = &list
	}
	return r
}

// TestJSONLinesAreByteForByteAsBefore: the append-based encoder writes
// what encoding/json wrote, for every record and for -fields.
func TestJSONLinesAreByteForByteAsBefore(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	all := RecordFields()
	for range 3000 {
		rec := randomRecord(rnd)
		var b bytes.Buffer
		w := NewJSONLWriter(&b)
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if want := oldJSONL(t, rec); b.String() != want {
			t.Fatalf("record %+v:\n got %s\nwant %s", rec, b.String(), want)
		}
		// json.Marshal of a record (HTML escaped) is as before too.
		got, _ := json.Marshal(rec)
		want, _ := json.Marshal(oldWire(rec))
		if !bytes.Equal(got, want) {
			t.Fatalf("json.Marshal:\n got %s\nwant %s", got, want)
		}
		// And it reads back.
		var back Record
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		if want := oldDecode(t, b.Bytes()); !reflect.DeepEqual(back, want) {
			t.Fatalf("read back:\n got %+v\nwant %+v", back, want)
		}
		names := []string{all[rnd.IntN(len(all))], all[rnd.IntN(len(all))], all[rnd.IntN(len(all))]}
		if names[0] == names[1] || names[1] == names[2] || names[0] == names[2] {
			continue
		}
		b.Reset()
		w = NewJSONLWriter(&b)
		if err := w.SetFields(names); err != nil {
			t.Fatal(err)
		}
		w.Write(rec)
		if want := oldFields(t, rec, names); b.String() != want {
			t.Fatalf("-fields %v:\n got %s\nwant %s", names, b.String(), want)
		}
	}
}

// TestCSVRowsAreAsBefore: the CSV header and rows follow the field list
// in CSV's own column order, as the hand-written row did.
func TestCSVRowsAreAsBefore(t *testing.T) {
	want := []string{"line", "url", "final_url", "outcome", "status", "bytes", "truncated", "attempts",
		"error_kind", "error", "start_ms", "duration_ms", "queued_ms", "retry_wait_ms", "dns_ms", "connect_ms",
		"tls_ms", "ttfb_ms", "reused", "sha256", "saved_as", "http_version", "redirects", "redirect_url", "content_encoding"}
	if !reflect.DeepEqual(CSVHeader(), want) {
		t.Fatalf("CSVHeader() %q", CSVHeader())
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		rec := randomRecord(rnd)
		f := func(d time.Duration) string { return strconv.FormatFloat(ms(d), 'f', 3, 64) }
		status := ""
		if rec.Status != 0 {
			status = strconv.Itoa(rec.Status)
		}
		row := []string{strconv.Itoa(rec.Line), csvSafe(rec.URL), csvSafe(rec.FinalURL), string(rec.Outcome), status,
			strconv.FormatInt(rec.Bytes, 10), strconv.FormatBool(rec.Truncated), strconv.Itoa(rec.Attempts),
			csvSafe(rec.ErrorKind), csvSafe(rec.Error), f(rec.Start), f(rec.Duration), f(rec.Queued), f(rec.Retried),
			f(rec.DNS), f(rec.Connect), f(rec.TLS), f(rec.TTFB), strconv.FormatBool(rec.Reused), csvSafe(rec.SHA256), csvSafe(rec.SavedAs),
			rec.HTTPVersion, strconv.Itoa(rec.Redirects), csvSafe(rec.RedirectURL), csvSafe(rec.ContentEncoding)}
		var b bytes.Buffer
		NewCSVWriter(&b).Write(rec)
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil || len(rows) != 2 || !reflect.DeepEqual(rows[1], row) {
			t.Fatalf("rows %q, %v; want %q", rows, err, row)
		}
	}
}

func BenchmarkJSONLWriter(b *testing.B) {
	rec := &Record{Line: 12345, URL: "https://a.example/items?id=12345&page=3", FinalURL: "https://a.example/items?id=12345&page=3",
		Outcome: OK, Status: 200, Bytes: 51200, Attempts: 1, HTTPVersion: "HTTP/1.1", Start: 31200 * time.Microsecond,
		Duration: 84600 * time.Microsecond, Queued: 100 * time.Microsecond, DNS: 1900 * time.Microsecond,
		Connect: 10300 * time.Microsecond, TLS: 22400 * time.Microsecond, TTFB: 80200 * time.Microsecond}
	w := NewJSONLWriter(ioDiscard{})
	b.ReportAllocs()
	for b.Loop() {
		w.Write(rec)
	}
}

type ioDiscard struct{}

func (ioDiscard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkJSONLEncodingJSON is the encoding/json path the writer took
// before, for a paired comparison with BenchmarkJSONLWriter.
func BenchmarkJSONLEncodingJSON(b *testing.B) {
	rec := &Record{Line: 12345, URL: "https://a.example/items?id=12345&page=3", FinalURL: "https://a.example/items?id=12345&page=3",
		Outcome: OK, Status: 200, Bytes: 51200, Attempts: 1, HTTPVersion: "HTTP/1.1", Start: 31200 * time.Microsecond,
		Duration: 84600 * time.Microsecond, Queued: 100 * time.Microsecond, DNS: 1900 * time.Microsecond,
		Connect: 10300 * time.Microsecond, TLS: 22400 * time.Microsecond, TTFB: 80200 * time.Microsecond}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		enc.Encode(oldWire(rec))
		ioDiscard{}.Write(buf.Bytes())
	}
}

// TestAppendMSIsTheFloatsShortestForm: a duration is written in
// milliseconds from its integer microseconds, and must be the bytes that
// formatting ms(d) as encoding/json does gives, for every magnitude, the
// edges of the exact range and beyond it (negative, 1e15 µs and more).
func TestAppendMSIsTheFloatsShortestForm(t *testing.T) {
	check := func(d time.Duration) {
		t.Helper()
		want, err := json.Marshal(ms(d))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendMS(nil, d); string(got) != string(want) || string(appendJSONFloat(nil, ms(d))) != string(want) {
			t.Fatalf("%d ns: appendMS %s, encoding/json %s", int64(d), got, want)
		}
	}
	for _, d := range []time.Duration{0, 1, 999, 1000, 1001, 1500, 10_000, 100_000, 999_999, time.Millisecond,
		time.Millisecond + time.Microsecond, 120 * time.Millisecond, time.Second, 1e15*time.Microsecond - 1,
		(1e15 - 1) * time.Microsecond, 1e15 * time.Microsecond, 1e15*time.Microsecond + 1, 1<<62 + 12345,
		-1, -999, -1000, -1500 * time.Microsecond, -time.Hour} {
		check(d)
	}
	rnd := rand.New(rand.NewPCG(21, 1))
	for range 200_000 {
		// Every magnitude from nanoseconds to past the exact range.
		check(time.Duration(rnd.Int64N(int64(1) << rnd.IntN(63))))
	}
}

// TestJSONStringsAreEncodingJSONs: appendJSONString, which passes over
// eight plain bytes at a time, writes what encoding/json writes (without
// HTML escaping) for every byte value at every place of a string longer
// than one step, and for strings of every length around the steps.
func TestJSONStringsAreEncodingJSONs(t *testing.T) {
	check := func(s string) {
		t.Helper()
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got, want := string(appendJSONString(nil, s)), strings.TrimSuffix(b.String(), "\n"); got != want {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	}
	base := []byte("http://a.test/0123456789abcdef?q=x")
	for c := range 256 {
		for at := range base {
			s := bytes.Clone(base)
			s[at] = byte(c)
			check(string(s))
		}
	}
	for n := range 40 {
		check(string(base[:n%len(base)]))
		check(strings.Repeat("é", n))
		check(strings.Repeat("a", n) + "\u2028" + strings.Repeat("b", n))
	}
	rnd := rand.New(rand.NewPCG(7, 8))
	for range 20_000 {
		s := make([]byte, rnd.IntN(40))
		for i := range s {
			s[i] = byte(rnd.IntN(256))
			if rnd.IntN(4) > 0 {
				s[i] = byte(0x20 + rnd.IntN(0x60))
			}
		}
		check(string(s))
	}
}

// TestWholeRecordIsTheFieldList: the every-field encoder that writes the
// records of a run is the field list's own encoding, field by field, so
// that a field added to the list and not to it (or the reverse) fails.
func TestWholeRecordIsTheFieldList(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		rec := randomRecord(rnd)
		switch rnd.IntN(4) {
		case 0:
			*rec = Record{}
		case 1:
			empty := []AttemptTime{}
			rec.AttemptTimes = &empty
		}
		got, want := appendWholeRecordJSON(nil, rec), appendRecordFieldsJSON(nil, rec, nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("record %+v:\n got %s\nwant %s", rec, got, want)
		}
	}
}
