package queue

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// The job's own record of its lines, in its bucket, written by enqueue:
//
//	queued     every input line up to "through" is in the work stream (or
//	           was, and was fetched): an enqueue run again skips them,
//	           whatever the server's duplicate window still remembers
//	lines.<k>  the lines k*linesPerChunk+1 … (k+1)*linesPerChunk: for each,
//	           a 4-byte hash of its URL, 0 for a line with no URL
//	info       the number of lines and the last, once the list is all in
//
// Collect reads the table once enqueue has finished, and takes a record
// for a line only if the line is one of the job's and the URL the worker
// fetched has the line's hash: a forged or mistaken message can neither
// finish the job early nor take a real line's place.

const (
	queuedKey     = "queued"
	linesPerChunk = 1 << 16 // 256 KiB per value, below the server's 1 MiB payload limit
)

func linesKey(chunk int) string { return "lines." + strconv.Itoa(chunk) }

// urlHash is the hash of a line's URL in the job's table; never 0, which
// stands for no URL.
func urlHash(url string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(url))
	return max(h.Sum32(), 1)
}

// hdrURLHash carries, on a record, the hash of the URL the worker fetched,
// as the work message gave it: the record's own URL may be written
// differently (credentials hidden, say).
const hdrURLHash = "Fetchall-Url-Hash"

// queuedThrough returns the line up to which every input line is queued.
func (j *Job) queuedThrough(ctx context.Context) (int, error) {
	e, err := j.meta.Get(ctx, queuedKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("queue: reading what is queued: %w", err)
	}
	var q struct {
		Through int `json:"through"`
	}
	if err := json.Unmarshal(e.Value(), &q); err != nil {
		return 0, fmt.Errorf("queue: the record of what is queued is unreadable: %w", err)
	}
	return q.Through, nil
}

func (j *Job) setQueuedThrough(ctx context.Context, line int) error {
	b, _ := json.Marshal(struct {
		Through int `json:"through"`
	}{line})
	if _, err := j.meta.Put(ctx, queuedKey, b); err != nil {
		return fmt.Errorf("queue: recording what is queued: %w", err)
	}
	return nil
}

// lineTableWriter writes the table of lines chunk by chunk as enqueue reads
// them in order, so that its memory does not grow with the list.
type lineTableWriter struct {
	job   *Job
	chunk int    // the chunk being filled
	buf   []byte // its hashes
	dirty bool
}

func (w *lineTableWriter) add(ctx context.Context, line int, url string) error {
	if line < 1 {
		return nil
	}
	c := (line - 1) / linesPerChunk
	if c != w.chunk {
		if err := w.flush(ctx); err != nil {
			return err
		}
		w.chunk = c
	}
	if w.buf == nil {
		w.buf = make([]byte, 4*linesPerChunk)
	}
	binary.LittleEndian.PutUint32(w.buf[4*((line-1)%linesPerChunk):], urlHash(url))
	w.dirty = true
	return nil
}

func (w *lineTableWriter) flush(ctx context.Context) error {
	if !w.dirty {
		return nil
	}
	if _, err := w.job.meta.Put(ctx, linesKey(w.chunk), w.buf); err != nil {
		return fmt.Errorf("queue: recording the job's lines: %w", err)
	}
	clear(w.buf)
	w.dirty = false
	return nil
}

// lineTable is the table of a job's lines, indexed by line number.
type lineTable []uint32

// loadLines reads the table of the job's lines up to maxLine. A job
// enqueued by a version that wrote no table has none: it is nil, and
// records are then checked against nothing but their line number.
func (j *Job) loadLines(ctx context.Context, maxLine int) (lineTable, error) {
	t := make(lineTable, maxLine+1)
	found := false
	for c := 0; c*linesPerChunk < maxLine; c++ {
		e, err := j.meta.Get(ctx, linesKey(c))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // no URL on any of its lines
		}
		if err != nil {
			return nil, fmt.Errorf("queue: reading the job's lines: %w", err)
		}
		found = true
		b := e.Value()
		for i := 0; i+4 <= len(b); i += 4 {
			line := c*linesPerChunk + i/4 + 1
			if line > maxLine {
				break
			}
			t[line] = binary.LittleEndian.Uint32(b[i:])
		}
	}
	if !found {
		return nil, nil
	}
	return t, nil
}

// check says why a record of line with the URL hash h is not one of the
// job's, or "" if it is.
func (t lineTable) check(line int, h uint32) string {
	switch {
	case t == nil && line >= 1:
		return "" // a job with no table
	case line < 1 || line >= len(t) || t[line] == 0:
		return fmt.Sprintf("line %d is not a line of the job", line)
	case h != t[line]:
		return fmt.Sprintf("its URL is not line %d's", line)
	}
	return ""
}
