package fetch

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"
)

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fromMS(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

// MarshalJSON writes the record as [JSONLWriter] does, with its durations
// in milliseconds (start_ms, duration_ms, queued_ms, retry_wait_ms, dns_ms,
// connect_ms, tls_ms, ttfb_ms).
func (r Record) MarshalJSON() ([]byte, error) { return appendRecordJSON(nil, &r, nil), nil }

// UnmarshalJSON reads a record written by MarshalJSON. Keys it does not
// know are ignored, and so is null.
func (r *Record) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*r = Record{}
	for name, v := range m {
		i, ok := fieldIndex[name]
		if !ok || string(v) == "null" {
			continue
		}
		if err := recordFields[i].decode(r, v); err != nil {
			return fmt.Errorf("fetch: record field %s: %w", name, err)
		}
	}
	return nil
}

// JSONLWriter writes one JSON object per line, each with a single Write to
// the underlying writer, so a file is a valid checkpoint after every record
// (see [LoadSucceeded]).
type JSONLWriter struct {
	w      io.Writer
	buf    []byte
	fields []int // chosen fields, indexes into recordFields; nil for all
}

// NewJSONLWriter returns a sink writing JSON Lines to w.
func NewJSONLWriter(w io.Writer) *JSONLWriter { return &JSONLWriter{w: w} }

// Write writes rec as one line.
func (j *JSONLWriter) Write(rec *Record) error {
	if g, ok := j.w.(*GroupWriter); ok {
		return g.writeRecordJSON(rec, j.fields)
	}
	j.buf = append(appendRecordJSON(j.buf[:0], rec, j.fields), '\n')
	_, err := j.w.Write(j.buf)
	return err
}

// CSVHeader returns the header row of [CSVWriter]: the fields of a record
// but resumed_from and attempt_times; durations are in milliseconds. The
// slice is the caller's: changing it changes no writer's header.
func CSVHeader() []string { return slices.Clone(csvHeader) }

// csvHeader is the header row, which CSVHeader copies out.
var csvHeader = func() []string {
	names := make([]string, len(csvFields))
	for k, i := range csvFields {
		names[k] = recordFields[i].name
	}
	return names
}()

// CSVWriter writes records as CSV rows under [CSVHeader], flushing after
// each row. Text is made valid UTF-8 without NUL bytes, as in JSON Lines,
// so that every CSV reader accepts the file.
type CSVWriter struct {
	out    io.Writer
	buf    bytes.Buffer
	w      *csv.Writer // to buf: each row reaches out in one Write
	header bool
	fields []int    // chosen columns, indexes into recordFields; nil for all
	row    []string // reused for each row
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
	if err := c.w.Write(c.pick(csvHeader)); err != nil {
		return err
	}
	return c.flush()
}

// Write writes the header before the first record, then rec as one row.
func (c *CSVWriter) Write(rec *Record) error {
	if err := c.WriteHeader(); err != nil {
		return err
	}
	row := c.row[:0]
	cols := csvFields
	if c.fields != nil {
		cols = c.fields
	}
	for _, i := range cols {
		row = append(row, recordFields[i].csv(rec))
	}
	c.row = row
	c.w.Write(row)
	return c.flush()
}
