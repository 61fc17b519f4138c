package fetch

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// CompactStats says what [Compact] did.
type CompactStats struct {
	Records  int // records read
	Kept     int // records written: one per input line
	Replaced int // older records of a line, superseded by a later one
	Torn     int // torn records dropped (never whole, so never a result)
}

// Compact rewrites a checkpoint so that it has exactly one record per
// input line: the last one. Each resumed run appends a record for every
// line it fetched again, so a line may have several; the last is the
// latest word on it, which is the rule fetchall follows for repeated
// resumes. Records are identified by line number and URL, written in
// line order, byte for byte as they were read, each on its own line.
//
// Compact reads everything before it writes anything, and holds the kept
// records in memory. A line that is neither a record nor a torn record
// makes it return an error wrapping [ErrNotCheckpoint] without writing.
func Compact(r io.Reader, w io.Writer) (CompactStats, error) {
	type key struct {
		line int
		url  string
	}
	type kept struct{ data []byte }
	var st CompactStats
	byKey := map[key]*kept{}
	var order []key
	err := readCheckpoint(r, func(n int, line []byte, rec *checkpointRecord) error {
		if rec == nil {
			st.Torn++
			return nil
		}
		st.Records++
		k := key{rec.Line, rec.URL}
		if e, ok := byKey[k]; ok {
			st.Replaced++
			e.data = append(e.data[:0], line...)
			return nil
		}
		byKey[k] = &kept{data: bytes.Clone(line)}
		order = append(order, k)
		return nil
	})
	if err != nil {
		return st, err
	}
	slices.SortStableFunc(order, func(a, b key) int { return cmp.Compare(a.line, b.line) })
	var buf bytes.Buffer
	for _, k := range order {
		buf.Write(byKey[k].data)
		buf.WriteByte('\n')
		st.Kept++
		if buf.Len() >= 64<<10 {
			if _, err := w.Write(buf.Bytes()); err != nil {
				return st, err
			}
			buf.Reset()
		}
	}
	_, err = w.Write(buf.Bytes())
	return st, err
}

// String sums the stats up in one line.
func (s CompactStats) String() string {
	return strconv.Itoa(s.Records) + " records, " + strconv.Itoa(s.Kept) + " kept (one per line), " +
		strconv.Itoa(s.Replaced) + " superseded, " + strconv.Itoa(s.Torn) + " torn dropped"
}

// CompactFile compacts the checkpoint name in place (see [Compact]). The
// file is replaced only once its new content is complete and synced: it
// is written to a temporary file in the same directory, which is then
// renamed over it (over the target of a symbolic link, which stays), so
// that at every moment name holds either all its old records or the
// compacted ones. It is locked meanwhile (see [LockFile]): a run appending
// to it would append to the old file and lose its records.
func CompactFile(name string) (st CompactStats, err error) {
	in, err := os.Open(name)
	if err != nil {
		return st, pathError(err)
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return st, pathError(err)
	}
	if !info.Mode().IsRegular() {
		return st, fmt.Errorf("%s is not a regular file", name)
	}
	// Held until the rename: a run appending to the file meanwhile would
	// append to the old file, and its records would be lost.
	if err := LockFile(in); err != nil {
		return st, fmt.Errorf("%s: %w", name, err)
	}
	// Resolve a symbolic link, so that the link stays and its target is
	// compacted.
	target, err := filepath.EvalSymlinks(name)
	if err != nil {
		return st, pathError(err)
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".compact-*")
	if err != nil {
		return st, pathError(err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if st, err = Compact(in, tmp); err != nil {
		return st, fmt.Errorf("%s: %w", name, err)
	}
	if err = tmp.Chmod(info.Mode().Perm()); err != nil {
		return st, err
	}
	if err = tmp.Sync(); err != nil {
		return st, err
	}
	if err = tmp.Close(); err != nil {
		return st, err
	}
	if err = os.Rename(tmp.Name(), target); err != nil {
		return st, pathError(err)
	}
	// The rename is durable once the directory is synced.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return st, nil
}
