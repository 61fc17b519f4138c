package fetch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrNotCheckpoint is wrapped by the error [LoadSucceeded] returns for a
// file that is not the JSON Lines output of a run.
var ErrNotCheckpoint = errors.New("not a fetchall JSON Lines file")

// LoadSucceeded reads an earlier run's JSON Lines output and returns the set
// of URLs that have an OK record there. It tells URLs apart, not lines: a
// URL on several lines is done when one of them is; [LoadCheckpoint] tells
// lines apart, as resuming a run needs.
//
// A run killed while writing leaves a torn record: the start of a JSON
// object cut short. Such lines are counted in torn and otherwise ignored
// (their URLs are fetched again). Any other line that is not a record
// (one with a url) makes the file something else than a checkpoint, and
// LoadSucceeded returns an error wrapping [ErrNotCheckpoint] that names the
// line, rather than fetching everything again as if nothing had been done.
//
// Records of the same line may appear several times: each resumed run
// appends a record for every line it fetched again. The last record of a
// line is the one that counts (a line with an ok record is not fetched
// again, so its last record is that one); [Compact] rewrites a checkpoint
// to those last records alone.
func LoadSucceeded(r io.Reader) (done map[string]struct{}, torn int, err error) {
	done = make(map[string]struct{})
	err = readCheckpoint(r, func(n int, line []byte, rec *checkpointRecord) error {
		if rec == nil {
			torn++
		} else if rec.Outcome == OK {
			done[rec.URL] = struct{}{}
		}
		return nil
	})
	return done, torn, err
}

// checkpointRecord is what reading a checkpoint needs of each record.
type checkpointRecord struct {
	Line    int     `json:"line"`
	URL     string  `json:"url"`
	Outcome Outcome `json:"outcome"`
}

// readCheckpoint calls fn for every non-blank line of a checkpoint with its
// 1-based number, its bytes (valid only during the call) and its record, or
// a nil record for a torn one. Lines that are neither end the read with an
// error wrapping ErrNotCheckpoint.
func readCheckpoint(r io.Reader, fn func(n int, line []byte, rec *checkpointRecord) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var partial []byte
	for n := 1; ; n++ {
		chunk, err := br.ReadSlice('\n')
		partial = append(partial, chunk...)
		if err == bufio.ErrBufferFull {
			n--
			continue
		}
		line := bytes.TrimSpace(partial)
		if len(line) > 0 {
			var rec checkpointRecord
			switch derr := json.Unmarshal(line, &rec); {
			case err == io.EOF && !isRecord(line):
				// A last line without its newline that is not a whole
				// record: torn by a crash (see CutTornTail).
				if ferr := fn(n, line, nil); ferr != nil {
					return ferr
				}
			case derr == nil && rec.URL != "":
				if ferr := fn(n, line, &rec); ferr != nil {
					return ferr
				}
			case isTorn(line):
				if ferr := fn(n, line, nil); ferr != nil {
					return ferr
				}
			default:
				return fmt.Errorf("%w: line %d is not a record: %.40q", ErrNotCheckpoint, n, line)
			}
		}
		partial = partial[:0]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("fetch: reading earlier output: %w", err)
		}
	}
}

// isRecord reports whether line is a whole record.
func isRecord(line []byte) bool {
	var rec checkpointRecord
	return json.Unmarshal(line, &rec) == nil && rec.URL != ""
}

// isTorn reports whether a line that did not decode is a record cut short:
// a JSON object that ends before it is closed.
func isTorn(line []byte) bool {
	var v any
	err := json.NewDecoder(bytes.NewReader(line)).Decode(&v)
	return bytes.HasPrefix(line, []byte(`{"`)) && errors.Is(err, io.ErrUnexpectedEOF)
}
