package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"iter"
	"os"

	"github.com/asyncgo/async/internal/printable"
)

// ErrInputChanged is wrapped by the error [Checkpoint.Skip] and
// [Checkpoint.CheckInput] return when the input is not the one the
// checkpoint was written for: a line holds another URL than the record of
// that line, or a line the checkpoint has a record of is gone.
var ErrInputChanged = errors.New("the input changed since the checkpoint was written")

// ErrLocked reports a file that another fetchall is writing (see
// [LockFile]).
var ErrLocked = errors.New("another fetchall is writing it (the file is locked)")

// Checkpoint is what an earlier run's JSON Lines output says of each input
// line: the URL and outcome of its last record. Records of the same line
// may appear several times, since each resumed run appends a record for
// every line it fetched again; the last is the one that counts ([Compact]
// keeps it alone).
//
// Lines are told apart by number, not by URL: a URL that appears on
// several lines is fetched once per line, and each line is done only when
// its own last record is ok.
type Checkpoint struct {
	// Records is the number of whole records read, Torn the number of
	// records cut short by a crash (their lines are fetched again).
	Records, Torn int

	seed  maphash.Seed
	lines map[int]lineState
}

// lineState is the last record of a line: a hash of its URL (so that
// memory holds no URL) and whether it was ok.
type lineState struct {
	url uint64
	ok  bool
}

// LoadCheckpoint reads an earlier run's JSON Lines output.
//
// A run killed while writing leaves a torn record: a last line without its
// newline, or the start of a JSON object cut short. Such lines are counted
// in Torn and otherwise ignored (see [CheckpointEnd], which finds them so
// that they are cut before more records are appended). Any other line that
// is not a record (one with a url) makes the file something else than a
// checkpoint, and LoadCheckpoint returns an error wrapping
// [ErrNotCheckpoint] that names the line, rather than fetching everything
// again as if nothing had been done.
func LoadCheckpoint(r io.Reader) (*Checkpoint, error) {
	c := &Checkpoint{seed: maphash.MakeSeed(), lines: map[int]lineState{}}
	err := readCheckpoint(r, func(n int, line []byte, rec *checkpointRecord) error {
		if rec == nil {
			c.Torn++
			return nil
		}
		c.Records++
		c.lines[rec.Line] = lineState{url: maphash.String(c.seed, rec.URL), ok: rec.Outcome == OK}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Skip reports whether the line of in has an ok record as its last, so
// that it need not be fetched again, for [Config.Skip]. It returns an
// error wrapping [ErrInputChanged] when the last record of the line is of
// another URL.
func (c *Checkpoint) Skip(in Input) (bool, error) {
	st, ok := c.lines[in.Line]
	if !ok {
		return false, nil
	}
	u := RedactURL(in.URL) // as its record has it
	if maphash.String(c.seed, u) != st.url {
		return false, fmt.Errorf("%w: line %d is now %s, and the checkpoint's record of that line is of another URL: "+
			"resume with the list the checkpoint was written for, or start a new checkpoint", ErrInputChanged, in.Line, printable.Shorten(u, 200))
	}
	return st.ok, nil
}

// CheckInput reads src through and returns an error wrapping
// [ErrInputChanged] if it is not the input the checkpoint was written
// for: see [Checkpoint.Skip], and a line the checkpoint has a record of
// that src no longer has (a line removed, or made a comment). A read
// error from src is returned as it is.
func (c *Checkpoint) CheckInput(src iter.Seq2[Input, error]) error {
	seen := 0
	for in, err := range src {
		if err != nil {
			return err
		}
		if _, err := c.Skip(in); err != nil {
			return err
		}
		if _, ok := c.lines[in.Line]; ok {
			seen++
		}
	}
	if seen < len(c.lines) {
		return fmt.Errorf("%w: the checkpoint has records of %d lines that hold no URL in the list now: "+
			"resume with the list the checkpoint was written for, or start a new checkpoint", ErrInputChanged, len(c.lines)-seen)
	}
	return nil
}

// CutTornTail makes the checkpoint f ready for records to be appended: a
// tail torn by a crash — a last line without its newline, or records cut
// short (as runs before this one ended them with a newline) — is cut, as
// a write-ahead log is on recovery, so that the file stays JSON Lines
// with no unparseable line. A whole record that only lacks its newline
// (a file edited by hand) is kept and ended. Torn records in the middle
// of a file are left to [Compact]. It returns the number of bytes cut.
//
// f must be open for writing; when it cannot be read (write-only, as a
// shell's >> opens it), it is read through its name.
func CutTornTail(f *os.File) (cut int64, err error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	var r io.ReaderAt = f
	var probe [1]byte
	if st.Size() > 0 {
		if _, err := f.ReadAt(probe[:], 0); err != nil {
			rf, err := os.Open(f.Name())
			if err != nil {
				return 0, err
			}
			defer rf.Close()
			r = rf
		}
	}
	end, addNewline, err := checkpointEnd(r, st.Size())
	if err != nil {
		return 0, err
	}
	if end < st.Size() {
		if err := f.Truncate(end); err != nil {
			return 0, err
		}
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return 0, err
	}
	if addNewline {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			return 0, err
		}
	}
	return st.Size() - end, nil
}

// checkpointEnd returns the length of the part of a checkpoint (r, of
// size bytes) that holds whole records (see [CutTornTail]), and whether
// its last record lacks its newline.
func checkpointEnd(r io.ReaderAt, size int64) (end int64, addNewline bool, err error) {
	end = size
	if end == 0 {
		return 0, false, nil
	}
	var last [1]byte
	if _, err := r.ReadAt(last[:], end-1); err != nil {
		return 0, false, err
	}
	if last[0] != '\n' {
		nl, err := lastNewline(r, end)
		if err != nil {
			return 0, false, err
		}
		tail := make([]byte, end-(nl+1))
		if _, err := r.ReadAt(tail, nl+1); err != nil {
			return 0, false, err
		}
		if isRecord(bytes.TrimSpace(tail)) {
			return end, true, nil
		}
		end = nl + 1
	}
	for end > 0 {
		prev, err := lastNewline(r, end-1)
		if err != nil {
			return 0, false, err
		}
		line := make([]byte, end-1-(prev+1))
		if _, err := r.ReadAt(line, prev+1); err != nil {
			return 0, false, err
		}
		if !isTorn(bytes.TrimSpace(line)) {
			break
		}
		end = prev + 1
	}
	return end, false, nil
}

// lastNewline returns the offset of the last '\n' of r before offset
// before, or -1 if there is none.
func lastNewline(r io.ReaderAt, before int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for before > 0 {
		n := min(int64(len(buf)), before)
		chunk := buf[:n]
		if _, err := r.ReadAt(chunk, before-n); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			return before - n + int64(i), nil
		}
		before -= n
	}
	return -1, nil
}
