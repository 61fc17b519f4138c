package fetch

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// recordJSON is a record as written in JSON Lines: durations in
// milliseconds, so the file reads well and loads into anything.
type recordJSON struct {
	Line      int     `json:"line"`
	URL       string  `json:"url"`
	FinalURL  string  `json:"final_url,omitempty"`
	Outcome   Outcome `json:"outcome"`
	Status    int     `json:"status,omitempty"`
	Bytes     int64   `json:"bytes"`
	Truncated bool    `json:"truncated,omitempty"`
	Attempts  int     `json:"attempts"`
	ErrorKind string  `json:"error_kind,omitempty"`
	Error     string  `json:"error,omitempty"`
	SHA256    string  `json:"sha256,omitempty"`
	SavedAs   string  `json:"saved_as,omitempty"`
	Reused    bool    `json:"reused,omitempty"`
	// How the response came (see Record).
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

	ResumedFrom  int64         `json:"resumed_from,omitempty"`
	AttemptTimes []AttemptTime `json:"attempt_times,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fromMS(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

// MarshalJSON writes the record with its durations in milliseconds
// (start_ms, duration_ms, queued_ms, retry_wait_ms, dns_ms, connect_ms,
// tls_ms, ttfb_ms).
func (r Record) MarshalJSON() ([]byte, error) { return json.Marshal(r.wire()) }

func (r *Record) wire() recordJSON {
	return recordJSON{
		Line: r.Line, URL: r.URL, FinalURL: r.FinalURL, Outcome: r.Outcome, Status: r.Status,
		Bytes: r.Bytes, Truncated: r.Truncated, Attempts: r.Attempts, ErrorKind: r.ErrorKind,
		Error: r.Error, SHA256: r.SHA256, SavedAs: r.SavedAs, Reused: r.Reused,
		HTTPVersion: r.HTTPVersion, Redirects: r.Redirects, RedirectURL: r.RedirectURL, ContentEncoding: r.ContentEncoding,
		StartMS: ms(r.Start), DurMS: ms(r.Duration), QueuedMS: ms(r.Queued), RetriedMS: ms(r.Retried),
		DNSMS: ms(r.DNS), ConnectMS: ms(r.Connect), TLSMS: ms(r.TLS), TTFBMS: ms(r.TTFB),
		ResumedFrom: r.ResumedFrom, AttemptTimes: r.attemptTimes(),
	}
}

// UnmarshalJSON reads a record written by MarshalJSON.
func (r *Record) UnmarshalJSON(data []byte) error {
	var j recordJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*r = Record{
		Line: j.Line, URL: j.URL, FinalURL: j.FinalURL, Outcome: j.Outcome, Status: j.Status,
		Bytes: j.Bytes, Truncated: j.Truncated, Attempts: j.Attempts, ErrorKind: j.ErrorKind,
		Error: j.Error, SHA256: j.SHA256, SavedAs: j.SavedAs, Reused: j.Reused,
		HTTPVersion: j.HTTPVersion, Redirects: j.Redirects, RedirectURL: j.RedirectURL, ContentEncoding: j.ContentEncoding,
		Start: fromMS(j.StartMS), Duration: fromMS(j.DurMS), Queued: fromMS(j.QueuedMS),
		Retried: fromMS(j.RetriedMS), DNS: fromMS(j.DNSMS), Connect: fromMS(j.ConnectMS),
		TLS: fromMS(j.TLSMS), TTFB: fromMS(j.TTFBMS), ResumedFrom: j.ResumedFrom,
	}
	if len(j.AttemptTimes) > 0 {
		r.AttemptTimes = &j.AttemptTimes
	}
	return nil
}

// JSONLWriter writes one JSON object per line, each with a single Write to
// the underlying writer, so a file is a valid checkpoint after every record
// (see [LoadSucceeded]).
type JSONLWriter struct {
	w      io.Writer
	buf    bytes.Buffer
	enc    *json.Encoder
	fields []int // chosen fields of recordJSON; nil for all
}

// NewJSONLWriter returns a sink writing JSON Lines to w.
func NewJSONLWriter(w io.Writer) *JSONLWriter {
	j := &JSONLWriter{w: w}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	return j
}

// Write writes rec as one line.
func (j *JSONLWriter) Write(rec *Record) error {
	j.buf.Reset()
	if j.fields != nil {
		if err := j.writeFields(rec); err != nil {
			return err
		}
	} else if err := j.enc.Encode(rec.wire()); err != nil { // Encode ends the line
		return err
	}
	_, err := j.w.Write(j.buf.Bytes())
	return err
}

// CSVHeader is the header row of [CSVWriter]; durations are in milliseconds.
var CSVHeader = []string{"line", "url", "final_url", "outcome", "status", "bytes", "truncated", "attempts",
	"error_kind", "error", "start_ms", "duration_ms", "queued_ms", "retry_wait_ms", "dns_ms", "connect_ms",
	"tls_ms", "ttfb_ms", "reused", "sha256", "saved_as", "http_version", "redirects", "redirect_url", "content_encoding"}

// CSVWriter writes records as CSV rows under [CSVHeader], flushing after
// each row. Text is made valid UTF-8 without NUL bytes, as in JSON Lines,
// so that every CSV reader accepts the file.
type CSVWriter struct {
	out    io.Writer
	buf    bytes.Buffer
	w      *csv.Writer // to buf: each row reaches out in one Write
	header bool
	fields []int // chosen columns of CSVHeader; nil for all
}

// NewCSVWriter returns a sink writing CSV to w, with one Write per row.
func NewCSVWriter(w io.Writer) *CSVWriter {
	c := &CSVWriter{out: w}
	c.w = csv.NewWriter(&c.buf)
	return c
}

// flush writes the buffered row to out in one Write.
func (c *CSVWriter) flush() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	_, err := c.out.Write(c.buf.Bytes())
	c.buf.Reset()
	return err
}

// WriteHeader writes the header row unless it is written already, so that
// a file with no record (every input skipped) is still a CSV file with its
// columns.
func (c *CSVWriter) WriteHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	if err := c.w.Write(c.pick(CSVHeader)); err != nil {
		return err
	}
	return c.flush()
}

// Write writes the header before the first record, then rec as one row.
func (c *CSVWriter) Write(rec *Record) error {
	if err := c.WriteHeader(); err != nil {
		return err
	}
	f := func(d time.Duration) string { return strconv.FormatFloat(ms(d), 'f', 3, 64) }
	status := ""
	if rec.Status != 0 {
		status = strconv.Itoa(rec.Status)
	}
	c.w.Write(c.pick([]string{strconv.Itoa(rec.Line), csvSafe(rec.URL), csvSafe(rec.FinalURL), string(rec.Outcome), status,
		strconv.FormatInt(rec.Bytes, 10), strconv.FormatBool(rec.Truncated), strconv.Itoa(rec.Attempts),
		rec.ErrorKind, csvSafe(rec.Error), f(rec.Start), f(rec.Duration), f(rec.Queued), f(rec.Retried),
		f(rec.DNS), f(rec.Connect), f(rec.TLS), f(rec.TTFB), strconv.FormatBool(rec.Reused), rec.SHA256, csvSafe(rec.SavedAs),
		rec.HTTPVersion, strconv.Itoa(rec.Redirects), csvSafe(rec.RedirectURL), csvSafe(rec.ContentEncoding)}))
	return c.flush()
}

// TableWriter writes records as aligned columns for a person to read, on
// a terminal: URLs and messages are shown through [Printable], so that no
// escape sequence in them reaches the terminal.
type TableWriter struct {
	w      io.Writer
	header bool
}

// NewTableWriter returns a sink writing a human-readable table to w.
func NewTableWriter(w io.Writer) *TableWriter { return &TableWriter{w: w} }

// Write writes the header before the first record, then rec as one line.
func (t *TableWriter) Write(rec *Record) error {
	if !t.header {
		t.header = true
		if _, err := fmt.Fprintf(t.w, "%6s  %-10s  %6s  %9s  %9s  %s\n", "LINE", "OUTCOME", "STATUS", "TIME", "BYTES", "URL"); err != nil {
			return err
		}
	}
	status := "-"
	if rec.Status != 0 {
		status = strconv.Itoa(rec.Status)
	}
	dur := "-"
	if rec.Attempts > 0 {
		dur = FormatDuration(rec.Duration)
	}
	line := fmt.Sprintf("%6d  %-10s  %6s  %9s  %9s  %s", rec.Line, rec.Outcome, status, dur, sizeString(rec.Bytes), Printable(rec.URL))
	if rec.Error != "" {
		line += "  (" + Printable(rec.Error) + ")"
	}
	_, err := io.WriteString(t.w, line+"\n")
	return err
}
