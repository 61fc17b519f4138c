package fetch

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/asyncgo/async/internal/printable"
)

// recordField is one field of a record as it is written: its name, which
// is both its JSON Lines key and its CSV column, and how it is written and
// read. The list recordFields is the one place that says what a written
// record holds: the JSON encoder, the JSON decoder, the CSV header and rows
// and -fields all follow it.
type recordField struct {
	name string
	// csvCol is the field's position among the CSV columns, from 1; 0 for
	// a field CSV does not have. (CSV's columns came in another order
	// than JSON's keys, and readers of either rely on their order.)
	csvCol int
	// omitEmpty leaves the field out of a JSON record when empty says so
	// (unless -fields chose it).
	omitEmpty bool
	empty     func(r *Record) bool
	// appendJSON appends the field's JSON value; csv returns its cell.
	appendJSON func(b []byte, r *Record) []byte
	csv        func(r *Record) string
	// decode sets the field from its JSON value.
	decode func(r *Record, v []byte) error
}

// Field makers, one per kind of value.

func intField(name string, csvCol int, omitEmpty bool, get func(*Record) int64, set func(*Record, int64)) recordField {
	return recordField{name: name, csvCol: csvCol, omitEmpty: omitEmpty,
		empty:      func(r *Record) bool { return get(r) == 0 },
		appendJSON: func(b []byte, r *Record) []byte { return strconv.AppendInt(b, get(r), 10) },
		csv:        func(r *Record) string { return strconv.FormatInt(get(r), 10) },
		decode: func(r *Record, v []byte) error {
			var n int64
			err := json.Unmarshal(v, &n)
			set(r, n)
			return err
		}}
}

func stringField(name string, csvCol int, omitEmpty bool, get func(*Record) string, set func(*Record, string)) recordField {
	return recordField{name: name, csvCol: csvCol, omitEmpty: omitEmpty,
		empty:      func(r *Record) bool { return get(r) == "" },
		appendJSON: func(b []byte, r *Record) []byte { return appendJSONString(b, get(r)) },
		csv:        func(r *Record) string { return csvSafe(get(r)) },
		decode: func(r *Record, v []byte) error {
			var s string
			err := json.Unmarshal(v, &s)
			set(r, s)
			return err
		}}
}

func boolField(name string, csvCol int, omitEmpty bool, get func(*Record) bool, set func(*Record, bool)) recordField {
	return recordField{name: name, csvCol: csvCol, omitEmpty: omitEmpty,
		empty:      func(r *Record) bool { return !get(r) },
		appendJSON: func(b []byte, r *Record) []byte { return strconv.AppendBool(b, get(r)) },
		csv:        func(r *Record) string { return strconv.FormatBool(get(r)) },
		decode: func(r *Record, v []byte) error {
			var x bool
			err := json.Unmarshal(v, &x)
			set(r, x)
			return err
		}}
}

// msField is a duration, written in milliseconds with microsecond
// resolution: JSON's shortest float, CSV's three decimals.
func msField(name string, csvCol int, omitEmpty bool, get func(*Record) time.Duration, set func(*Record, time.Duration)) recordField {
	return recordField{name: name, csvCol: csvCol, omitEmpty: omitEmpty,
		empty:      func(r *Record) bool { return ms(get(r)) == 0 },
		appendJSON: func(b []byte, r *Record) []byte { return appendMS(b, get(r)) },
		csv:        func(r *Record) string { return strconv.FormatFloat(ms(get(r)), 'f', 3, 64) },
		decode: func(r *Record, v []byte) error {
			var f float64
			err := json.Unmarshal(v, &f)
			set(r, fromMS(f))
			return err
		}}
}

// recordFields are the fields of a written record, in JSON Lines order.
var recordFields = []recordField{
	intField("line", 1, false, func(r *Record) int64 { return int64(r.Line) }, func(r *Record, n int64) { r.Line = int(n) }),
	stringField("url", 2, false, func(r *Record) string { return r.URL }, func(r *Record, s string) { r.URL = s }),
	stringField("final_url", 3, true, func(r *Record) string { return r.FinalURL }, func(r *Record, s string) { r.FinalURL = s }),
	stringField("outcome", 4, false, func(r *Record) string { return string(r.Outcome) }, func(r *Record, s string) { r.Outcome = Outcome(s) }),
	func() recordField {
		f := intField("status", 5, true, func(r *Record) int64 { return int64(r.Status) }, func(r *Record, n int64) { r.Status = int(n) })
		f.csv = func(r *Record) string { // an empty cell for no status
			if r.Status == 0 {
				return ""
			}
			return strconv.Itoa(r.Status)
		}
		return f
	}(),
	intField("bytes", 6, false, func(r *Record) int64 { return r.Bytes }, func(r *Record, n int64) { r.Bytes = n }),
	boolField("truncated", 7, true, func(r *Record) bool { return r.Truncated }, func(r *Record, b bool) { r.Truncated = b }),
	intField("attempts", 8, false, func(r *Record) int64 { return int64(r.Attempts) }, func(r *Record, n int64) { r.Attempts = int(n) }),
	stringField("error_kind", 9, true, func(r *Record) string { return r.ErrorKind }, func(r *Record, s string) { r.ErrorKind = s }),
	stringField("error", 10, true, func(r *Record) string { return r.Error }, func(r *Record, s string) { r.Error = s }),
	stringField("sha256", 20, true, func(r *Record) string { return r.SHA256 }, func(r *Record, s string) { r.SHA256 = s }),
	stringField("saved_as", 21, true, func(r *Record) string { return r.SavedAs }, func(r *Record, s string) { r.SavedAs = s }),
	boolField("reused", 19, true, func(r *Record) bool { return r.Reused }, func(r *Record, b bool) { r.Reused = b }),
	stringField("http_version", 22, true, func(r *Record) string { return r.HTTPVersion }, func(r *Record, s string) { r.HTTPVersion = s }),
	intField("redirects", 23, true, func(r *Record) int64 { return int64(r.Redirects) }, func(r *Record, n int64) { r.Redirects = int(n) }),
	stringField("redirect_url", 24, true, func(r *Record) string { return r.RedirectURL }, func(r *Record, s string) { r.RedirectURL = s }),
	stringField("content_encoding", 25, true, func(r *Record) string { return r.ContentEncoding }, func(r *Record, s string) { r.ContentEncoding = s }),
	msField("start_ms", 11, false, func(r *Record) time.Duration { return r.Start }, func(r *Record, d time.Duration) { r.Start = d }),
	msField("duration_ms", 12, false, func(r *Record) time.Duration { return r.Duration }, func(r *Record, d time.Duration) { r.Duration = d }),
	msField("queued_ms", 13, false, func(r *Record) time.Duration { return r.Queued }, func(r *Record, d time.Duration) { r.Queued = d }),
	msField("retry_wait_ms", 14, true, func(r *Record) time.Duration { return r.Retried }, func(r *Record, d time.Duration) { r.Retried = d }),
	msField("dns_ms", 15, false, func(r *Record) time.Duration { return r.DNS }, func(r *Record, d time.Duration) { r.DNS = d }),
	msField("connect_ms", 16, false, func(r *Record) time.Duration { return r.Connect }, func(r *Record, d time.Duration) { r.Connect = d }),
	msField("tls_ms", 17, false, func(r *Record) time.Duration { return r.TLS }, func(r *Record, d time.Duration) { r.TLS = d }),
	msField("ttfb_ms", 18, false, func(r *Record) time.Duration { return r.TTFB }, func(r *Record, d time.Duration) { r.TTFB = d }),
	intField("resumed_from", 0, true, func(r *Record) int64 { return r.ResumedFrom }, func(r *Record, n int64) { r.ResumedFrom = n }),
	{name: "attempt_times", omitEmpty: true,
		empty:      func(r *Record) bool { return r.AttemptTimes == nil || len(*r.AttemptTimes) == 0 },
		appendJSON: appendAttemptTimes,
		decode: func(r *Record, v []byte) error {
			var list []AttemptTime
			err := json.Unmarshal(v, &list)
			if len(list) > 0 {
				r.AttemptTimes = &list
			}
			return err
		}},
}

// fieldIndex maps a field's name to its place in recordFields; csvFields
// are the CSV columns in order, and csvHeader their names.
var (
	fieldIndex = func() map[string]int {
		m := map[string]int{}
		for i, f := range recordFields {
			m[f.name] = i
		}
		return m
	}()
	csvFields = func() []int {
		var cols []int
		for i, f := range recordFields {
			if f.csvCol > 0 {
				cols = append(cols, i)
			}
		}
		slices.SortFunc(cols, func(a, b int) int { return recordFields[a].csvCol - recordFields[b].csvCol })
		return cols
	}()
)

// appendRecordJSON appends rec as a JSON object: every field of
// recordFields, or only those of chosen (indexes into recordFields), each
// then written even when empty. The bytes are those encoding/json wrote
// for the record before (without HTML escaping), so files stay the same.
func appendRecordJSON(b []byte, rec *Record, chosen []int) []byte {
	if chosen == nil {
		return appendWholeRecordJSON(b, rec)
	}
	return appendRecordFieldsJSON(b, rec, chosen)
}

// appendRecordFieldsJSON is appendRecordJSON by the field list, field by
// field through its functions: the chosen fields, or (for nil) every
// field the list does not leave out as empty. appendWholeRecordJSON is
// its every-field case written out.
func appendRecordFieldsJSON(b []byte, rec *Record, chosen []int) []byte {
	b = append(b, '{')
	first := true
	field := func(f *recordField) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, f.name...)
		b = append(b, '"', ':')
		b = f.appendJSON(b, rec)
	}
	if chosen != nil {
		for _, i := range chosen {
			field(&recordFields[i])
		}
	} else {
		for i := range recordFields {
			f := &recordFields[i]
			if f.omitEmpty && f.empty(rec) {
				continue
			}
			field(f)
		}
	}
	return append(b, '}')
}

// appendWholeRecordJSON appends rec as appendRecordFieldsJSON(b, rec,
// nil) does, every field in recordFields' order and the empty ones left
// out, reading the record's fields directly: every record of a run is
// written this way, and calling two functions of the list per field was
// most of the encoder's time. TestWholeRecordIsTheFieldList holds the two
// together, field by field.
func appendWholeRecordJSON(b []byte, r *Record) []byte {
	b = append(b, `{"line":`...)
	b = strconv.AppendInt(b, int64(r.Line), 10)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, r.URL)
	if r.FinalURL != "" {
		b = append(b, `,"final_url":`...)
		b = appendJSONString(b, r.FinalURL)
	}
	b = append(b, `,"outcome":`...)
	b = appendJSONString(b, string(r.Outcome))
	if r.Status != 0 {
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(r.Status), 10)
	}
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, r.Bytes, 10)
	if r.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	b = appendOptString(b, `,"error_kind":`, r.ErrorKind)
	b = appendOptString(b, `,"error":`, r.Error)
	b = appendOptString(b, `,"sha256":`, r.SHA256)
	b = appendOptString(b, `,"saved_as":`, r.SavedAs)
	if r.Reused {
		b = append(b, `,"reused":true`...)
	}
	b = appendOptString(b, `,"http_version":`, r.HTTPVersion)
	if r.Redirects != 0 {
		b = append(b, `,"redirects":`...)
		b = strconv.AppendInt(b, int64(r.Redirects), 10)
	}
	b = appendOptString(b, `,"redirect_url":`, r.RedirectURL)
	b = appendOptString(b, `,"content_encoding":`, r.ContentEncoding)
	b = append(b, `,"start_ms":`...)
	b = appendMS(b, r.Start)
	b = append(b, `,"duration_ms":`...)
	b = appendMS(b, r.Duration)
	b = append(b, `,"queued_ms":`...)
	b = appendMS(b, r.Queued)
	if ms(r.Retried) != 0 {
		b = append(b, `,"retry_wait_ms":`...)
		b = appendMS(b, r.Retried)
	}
	b = append(b, `,"dns_ms":`...)
	b = appendMS(b, r.DNS)
	b = append(b, `,"connect_ms":`...)
	b = appendMS(b, r.Connect)
	b = append(b, `,"tls_ms":`...)
	b = appendMS(b, r.TLS)
	b = append(b, `,"ttfb_ms":`...)
	b = appendMS(b, r.TTFB)
	if r.ResumedFrom != 0 {
		b = append(b, `,"resumed_from":`...)
		b = strconv.AppendInt(b, r.ResumedFrom, 10)
	}
	if r.AttemptTimes != nil && len(*r.AttemptTimes) > 0 {
		b = append(b, `,"attempt_times":`...)
		b = appendAttemptTimes(b, r)
	}
	return append(b, '}')
}

// appendOptString appends key and s as a JSON string, unless s is empty.
func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONString(append(b, key...), s)
}

// appendAttemptTimes appends a record's attempt times (null for none, as
// a chosen field).
func appendAttemptTimes(b []byte, r *Record) []byte {
	if r.AttemptTimes == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, a := range *r.AttemptTimes {
		if i > 0 {
			b = append(b, ',')
		}
		b = a.appendJSON(b)
	}
	return append(b, ']')
}

// appendJSON appends the attempt as MarshalJSON writes it.
func (a *AttemptTime) appendJSON(b []byte) []byte {
	b = append(b, `{"queued_ms":`...)
	b = appendMS(b, a.Queued)
	b = append(b, `,"start_ms":`...)
	b = appendMS(b, a.Start)
	b = append(b, `,"dns_ms":`...)
	b = appendMS(b, a.DNS)
	b = append(b, `,"connect_ms":`...)
	b = appendMS(b, a.Connect)
	b = append(b, `,"tls_ms":`...)
	b = appendMS(b, a.TLS)
	b = append(b, `,"ttfb_ms":`...)
	b = appendMS(b, a.TTFB)
	b = append(b, `,"end_ms":`...)
	b = appendMS(b, a.End)
	if v := ms(a.Backoff); v != 0 {
		b = append(b, `,"backoff_ms":`...)
		b = appendJSONFloat(b, v)
	}
	if v := ms(a.Pause); v != 0 {
		b = append(b, `,"pause_ms":`...)
		b = appendJSONFloat(b, v)
	}
	if a.Status != 0 {
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(a.Status), 10)
	}
	if a.ErrorKind != "" {
		b = append(b, `,"error_kind":`...)
		b = appendJSONString(b, a.ErrorKind)
	}
	return append(b, '}')
}

// appendMS appends d in milliseconds exactly as appendJSONFloat(b, ms(d))
// does, without formatting a float: ms(d) is a whole number of
// microseconds over 1000, and below 1e15 µs that number has at most 15
// significant digits, which every float64 tells apart, so the shortest
// representation of ms(d) is its exact decimal with the trailing zeros
// of the fraction dropped. The eight durations of every record were most
// of the time JSON Lines took.
func appendMS(b []byte, d time.Duration) []byte {
	us := d.Microseconds()
	if us < 0 || us >= 1e15 {
		return appendJSONFloat(b, ms(d))
	}
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	if frac == 0 {
		return b
	}
	digits := [4]byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	n := len(digits)
	for digits[n-1] == '0' {
		n--
	}
	return append(b, digits[:n]...)
}

// appendJSONFloat appends f as encoding/json writes a float64: the
// shortest representation, in exponent form only below 1e-6 or from 1e21
// on, with a one-digit negative exponent unpadded.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 → 1e-7, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, as encoding/json writes it
// without HTML escaping: quote, backslash and control characters escaped
// (\b \f \n \r \t by name, the others as \u00XX), invalid UTF-8 as \ufffd,
// and U+2028 and U+2029 escaped for JavaScript.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look: the URLs of
		// every record are plain ASCII.
		for i+8 <= len(s) && plainJSON8(s[i:i+8]) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainJSON8 reports whether none of the eight bytes of s is one that
// appendJSONString must look at: a control character, a quote, a
// backslash or a byte of a multi-byte character.
func plainJSON8(s string) bool {
	_ = s[7]
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// A byte below 0x20, or equal to '"' or '\\', sets its high bit
	// in one of these (the classic "has a zero byte" test, exact for
	// bytes below 0x80); a byte from 0x80 up has it set in x itself.
	below := x - 0x20*ones
	quote := (x ^ '"'*ones) - ones
	slash := (x ^ '\\'*ones) - ones
	return (x|below|quote|slash)&highs == 0
}

// csvSafe makes a text field safe to read and to open. Control
// characters and invalid UTF-8 are written escaped, as fetch/report's
// table writes them (internal/printable), so that no escape sequence
// reaches a terminal and every CSV reader takes the file (Python's refuses NUL). A field that
// a spreadsheet would take for a formula — one starting with =, +, -, @,
// a tab or a carriage return — is written with a leading ', as OWASP's
// CSV injection guidance says: the cell shows as text.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	s = printable.String(s)
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
