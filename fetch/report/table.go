package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/asyncgo/async/fetch"
)

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
func (t *TableWriter) Write(rec *fetch.Record) error {
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
