package fetch

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// savePath returns where the body of in is saved, or "" when bodies are
// not saved: the line's out= name, else the safe name of [SafeName], in
// Config.SaveDir (the current directory for an out= name without one).
func (f *Fetcher) savePath(in Input) string {
	if o := in.Options; o != nil && o.Out != "" {
		dir := f.cfg.SaveDir
		if dir == "" {
			dir = "."
		}
		return filepath.Join(dir, o.Out)
	}
	if f.cfg.SaveDir == "" {
		return ""
	}
	return filepath.Join(f.cfg.SaveDir, SafeName(in.Line, in.URL))
}

// claimOut takes the out= name of in for this run, or returns an invalid
// record when an earlier line of the run took it: two bodies written to one
// file would leave neither.
func claimOut(taken map[string]int, in Input, start time.Time) *Record {
	o := in.Options
	if o == nil || o.Out == "" {
		return nil
	}
	if line, dup := taken[o.Out]; dup {
		return &Record{Line: in.Line, URL: in.URL, Start: time.Since(start), Outcome: Invalid, ErrorKind: KindInvalidLine,
			Error: fmt.Sprintf("out=%s is already the file of line %d", o.Out, line)}
	}
	taken[o.Out] = in.Line
	return nil
}

// partialSize is the size of the file at path to continue from with a
// Range request: 0 when continuing is off or there is no such file.
func (f *Fetcher) partialSize(path string) int64 {
	if !f.cfg.Continue || path == "" {
		return 0
	}
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return 0
	}
	return st.Size()
}

// rangeAnswer is what a response to "Range: bytes=N-" means for the file
// holding the first N bytes.
type rangeAnswer int

const (
	rangeAppend   rangeAnswer = iota // 206 from N: append the body
	rangeWhole                       // 200: the whole body, written from 0
	rangeComplete                    // 416 with a length of N: the file is whole
	rangeRetry                       // anything else that claims to be a range: ask again for the whole body
	rangeFailed                      // an error status: leave the file alone
)

// judgeRange checks a response to a request for the bytes from offset on.
// Only a 206 whose Content-Range starts exactly at offset may be appended;
// a 206 for other bytes, or a 416 whose length is not offset, cannot be
// trusted with the file and is asked again without Range.
func judgeRange(resp *http.Response, offset int64) rangeAnswer {
	switch {
	case resp.StatusCode == http.StatusPartialContent:
		first, last, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if ok && first == offset && last >= first && (size < 0 || last < size) {
			return rangeAppend
		}
		return rangeRetry
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		if _, _, size, ok := parseContentRange(resp.Header.Get("Content-Range")); ok && size == offset {
			return rangeComplete
		}
		return rangeRetry
	case resp.StatusCode >= 400:
		return rangeFailed
	}
	return rangeWhole
}

// parseContentRange parses "bytes FIRST-LAST/SIZE" and "bytes */SIZE"
// (first and last -1), with SIZE "*" (-1) when unknown.
func parseContentRange(v string) (first, last, size int64, ok bool) {
	rest, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	span, total, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	size = -1
	if total != "*" {
		n, err := strconv.ParseInt(total, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, 0, false
		}
		size = n
	}
	if span == "*" {
		return -1, -1, size, size >= 0
	}
	a, b, found := strings.Cut(span, "-")
	fa, err1 := strconv.ParseInt(a, 10, 64)
	lb, err2 := strconv.ParseInt(b, 10, 64)
	if !found || err1 != nil || err2 != nil || fa < 0 {
		return 0, 0, 0, false
	}
	return fa, lb, size, true
}

// openSave opens the file a body is saved to. With offset > 0 it keeps the
// first offset bytes (already fetched) and hashes them into sum when sum is
// not nil, so that the record's SHA-256 is the whole file's; otherwise it
// empties the file.
func openSave(path string, offset int64, sum io.Writer) (*os.File, error) {
	if offset == 0 {
		return os.Create(path)
	}
	// No O_CREATE: a partial file that vanished since it was measured must
	// not come back as offset zero bytes followed by the rest.
	file, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if st, err := file.Stat(); err != nil || st.Size() < offset {
		file.Close()
		return nil, fmt.Errorf("the partial file %s changed during the download", path)
	}
	if err := file.Truncate(offset); err != nil {
		file.Close()
		return nil, err
	}
	if sum != nil {
		if n, err := io.Copy(sum, io.NewSectionReader(file, 0, offset)); err != nil || n != offset {
			file.Close()
			return nil, fmt.Errorf("reading the partial file: %d of %d bytes: %v", n, offset, err)
		}
	}
	if _, err := file.Seek(offset, io.SeekStart); err != nil {
		file.Close()
		return nil, err
	}
	return file, nil
}
