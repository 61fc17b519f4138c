package queue

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/nats-io/nats.go/jetstream"
)

// CollectOptions tune [Collect]; the zero value is usable.
type CollectOptions struct {
	// Skip, when set, reports lines whose record an earlier collect already
	// wrote (fetchall collect -resume): they count as done and are not
	// written again.
	Skip func(line int) bool
	// KeepRecords keeps every record in the summary, as
	// [fetch.Config.KeepRecords].
	KeepRecords bool
	// Progress, when set, is called after each record with the lines done
	// and the job's total (0 while enqueue has not finished).
	Progress func(done, total int64)
	// OnRecord, when set, is called with each record written and the id
	// of the worker that published it.
	OnRecord func(rec *fetch.Record, worker string)
	// Ordered writes the records in input order rather than as they are
	// stored, holding back at most OrderWindow records (default 4096)
	// whose earlier lines have no record yet. When the window is full,
	// the oldest held record is written even though lines before it have
	// none yet: those are written when their records come, out of order
	// (Collected.OutOfOrder counts them). Holding more would let a URL
	// that takes long, or waits for its host, hold back every record.
	Ordered     bool
	OrderWindow int
	// BadMessage, when set, is called with the record of each work message
	// that had no line number (such a record belongs to no input line) and
	// with each record rejected, its Error saying why; neither is written
	// to the sink.
	BadMessage func(rec *fetch.Record)
}

// Collected is what [Collect] gathered.
type Collected struct {
	// Summary covers the records written (and the lines skipped, as
	// skipped). Its Wall runs from the first fetch to the last record.
	Summary *fetch.Summary
	// Workers counts the records written per worker id.
	Workers map[string]int64
	// Total is the job's number of lines; Done how many have a record.
	Total, Done int64
	// Duplicates counts records dropped because their line already had
	// one: a URL fetched twice, by a worker that died after publishing its
	// record but before acknowledging the URL, after the duplicate window.
	Duplicates int64
	// Resumed counts lines skipped by CollectOptions.Skip.
	Resumed int64
	// BadMessages counts records of malformed work messages.
	BadMessages int64
	// OutOfOrder counts, with CollectOptions.Ordered, the records written
	// after later lines' because the order window was full.
	OutOfOrder int64
	// Rejected counts records that are not of the job's lines: they do
	// not parse, their line is not one of the job's, or their URL is not
	// the line's.
	Rejected int64
}

// ErrCollectInterrupted is returned, wrapping the context's cause, when the
// context ends before every line has its record.
var ErrCollectInterrupted = errors.New("queue: collect interrupted")

// Collect reads the job's records from the beginning of its results stream
// and writes to sink exactly one record per input line, the first stored,
// in the order they were stored. It starts once enqueue has finished
// (it needs the job's table of lines), and returns when every line of the
// job has its record, or when ctx ends.
//
// A record is taken for a line only if the line is one of the job's and
// the URL the worker fetched is the line's: a record that does not parse,
// or is of a line the job does not have, or of another URL (a forged work
// message, a stray publish on the results subject) is counted in
// Collected.Rejected and given to CollectOptions.BadMessage with the
// reason, never written, and never takes a real record's place. The job's
// own count of lines decides when collect is done.
//
// It keeps one bit per line and the table of lines (4 bytes per line), so a
// list of ten million lines costs it about 41 MB.
func Collect(ctx context.Context, job *Job, sink fetch.Sink, opts CollectOptions) (*Collected, error) {
	c := &Collected{Workers: map[string]int64{}}
	sum := fetch.NewSummary(time.Now(), opts.KeepRecords)
	c.Summary = sum
	info, err := waitInfo(ctx, job)
	if err != nil {
		return c, err
	}
	c.Total = info.Total
	if opts.Progress != nil {
		opts.Progress(0, c.Total)
	}
	table, err := job.loadLines(ctx, info.MaxLine)
	if err != nil {
		return c, err
	}
	if c.Total == 0 {
		return c, nil
	}
	cons, err := job.js.OrderedConsumer(ctx, job.resultsStream(), jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return c, fmt.Errorf("queue: reading records: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return c, fmt.Errorf("queue: reading records: %w", err)
	}
	defer it.Stop()
	// Next waits without a deadline, one timer fewer per record; it is ctx
	// ending that stops it.
	defer context.AfterFunc(ctx, it.Stop)()

	var (
		seen        bitset
		first, last time.Time
	)
	finish := func() {
		if !first.IsZero() {
			sum.Wall = last.Sub(first)
		}
	}
	emit := func(rec *fetch.Record, worker string) error {
		if opts.Skip != nil && opts.Skip(rec.Line) {
			c.Resumed++
			sum.Add(&fetch.Record{Line: rec.Line, URL: rec.URL, Outcome: fetch.Skipped})
			return nil
		}
		if err := sink.Write(rec); err != nil {
			return fmt.Errorf("%w: %w", fetch.ErrOutput, err)
		}
		sum.Add(rec)
		c.Workers[worker]++
		if opts.OnRecord != nil {
			opts.OnRecord(rec, worker)
		}
		return nil
	}
	var order *lineOrder
	if opts.Ordered {
		order = &lineOrder{table: table, next: 1, window: cmp.Or(max(opts.OrderWindow, 0), 4096),
			held: map[int]heldRecord{}, emit: emit, late: &c.OutOfOrder}
	}
	reject := func(rec *fetch.Record) {
		c.Rejected++
		if opts.BadMessage != nil {
			opts.BadMessage(rec)
		}
	}
	for c.Done < c.Total {
		if ctx.Err() != nil {
			finish()
			return c, fmt.Errorf("%w with %d of %d lines: %w", ErrCollectInterrupted, c.Done, c.Total, context.Cause(ctx))
		}
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() != nil {
				continue
			}
			finish()
			return c, fmt.Errorf("queue: reading records: %w", err)
		}
		worker := msg.Headers().Get(hdrWorker)
		// UnmarshalJSON itself, not json.Unmarshal, which would check the
		// whole record once more before handing it over.
		var rec fetch.Record
		if err := rec.UnmarshalJSON(msg.Data()); err != nil {
			line, _ := strconv.Atoi(msg.Headers().Get(hdrLine))
			reject(&fetch.Record{Line: line, Outcome: fetch.Failed, ErrorKind: KindBadMessage,
				Error: fmt.Sprintf("rejected a record for line %d from %q: it does not parse: %v", line, shorten(worker), err)})
			continue
		}
		if rec.Line <= 0 {
			// The record of a work message with no line number, made by a
			// worker: it belongs to no line.
			c.BadMessages++
			if opts.BadMessage != nil {
				opts.BadMessage(&rec)
			}
			continue
		}
		h := urlHash(rec.URL)
		if v := msg.Headers().Get(hdrURLHash); v != "" {
			if n, err := strconv.ParseUint(v, 16, 32); err == nil {
				h = uint32(n)
			} else {
				h = 0
			}
		}
		if why := table.check(rec.Line, h); why != "" {
			reject(&fetch.Record{Line: rec.Line, URL: rec.URL, Outcome: fetch.Failed, ErrorKind: KindBadMessage,
				Error: fmt.Sprintf("rejected a record for line %d from %q: %s", rec.Line, shorten(worker), why)})
			continue
		}
		if seen.has(rec.Line) {
			c.Duplicates++
			continue
		}
		seen.set(rec.Line)
		c.Done++
		if md, err := msg.Metadata(); err == nil {
			if start := md.Timestamp.Add(-rec.Duration); first.IsZero() || start.Before(first) {
				first = start
			}
			if md.Timestamp.After(last) {
				last = md.Timestamp
			}
		}
		var err2 error
		if order == nil {
			err2 = emit(&rec, worker)
		} else {
			err2 = order.put(&rec, worker)
		}
		if err2 != nil {
			finish()
			return c, err2
		}
		if opts.Progress != nil {
			opts.Progress(c.Done, c.Total)
		}
	}
	finish()
	return c, nil
}

// lineOrder writes records in the order of their lines, holding back at
// most window of them.
type lineOrder struct {
	table  lineTable
	next   int // the first line not yet written or given up on
	window int
	held   map[int]heldRecord
	lines  lineHeap // the lines held, smallest first
	emit   func(rec *fetch.Record, worker string) error
	late   *int64
}

type heldRecord struct {
	rec    *fetch.Record
	worker string
}

func (o *lineOrder) put(rec *fetch.Record, worker string) error {
	if rec.Line < o.next { // its line was given up on: written late
		*o.late++
		return o.emit(rec, worker)
	}
	o.held[rec.Line] = heldRecord{rec, worker}
	heap.Push(&o.lines, rec.Line)
	if len(o.held) > o.window {
		o.next = o.lines[0] // stop waiting for the lines before the oldest held
	}
	return o.flush()
}

// flush writes the held records from next on, as long as they follow one
// another (lines that are not the job's are passed over).
func (o *lineOrder) flush() error {
	for {
		for o.next < len(o.table) && o.table[o.next] == 0 {
			o.next++
		}
		h, ok := o.held[o.next]
		if !ok {
			return nil
		}
		delete(o.held, o.next)
		heap.Pop(&o.lines)
		o.next++
		if err := o.emit(h.rec, h.worker); err != nil {
			return err
		}
	}
}

// lineHeap is a min-heap of line numbers.
type lineHeap []int

func (h lineHeap) Len() int           { return len(h) }
func (h lineHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h lineHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *lineHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *lineHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// waitInfo waits until enqueue has recorded the job's size.
func waitInfo(ctx context.Context, job *Job) (Info, error) {
	for {
		info, ok, err := job.Info(ctx)
		if ok || err != nil && ctx.Err() == nil {
			return info, err
		}
		select {
		case <-ctx.Done():
			return info, fmt.Errorf("%w before enqueue finished: %w", ErrCollectInterrupted, context.Cause(ctx))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// bitset is a set of line numbers, one bit each.
type bitset []uint64

func (b bitset) has(i int) bool { return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

func (b *bitset) set(i int) {
	for i/64 >= len(*b) {
		*b = append(*b, 0)
	}
	(*b)[i/64] |= 1 << (i % 64)
}
