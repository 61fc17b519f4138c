package queue

import (
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
	// BadMessage, when set, is called with the record of each work message
	// that had no line number: such a record belongs to no input line, so
	// it is not written to the sink.
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
}

// ErrCollectInterrupted is returned, wrapping the context's cause, when the
// context ends before every line has its record.
var ErrCollectInterrupted = errors.New("queue: collect interrupted")

// Collect reads the job's records from the beginning of its results stream
// and writes to sink exactly one record per input line, the first stored,
// in the order they were stored. It returns when every line of the job has
// its record, which needs the enqueue to have finished, or when ctx ends.
// It keeps one bit per line, so a list of ten million lines costs it about
// a megabyte.
func Collect(ctx context.Context, job *Job, sink fetch.Sink, opts CollectOptions) (*Collected, error) {
	cons, err := job.js.OrderedConsumer(ctx, job.resultsStream(), jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: reading records: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return nil, fmt.Errorf("queue: reading records: %w", err)
	}
	defer it.Stop()
	// Once the job's size is known, Next waits without a deadline, one timer
	// fewer per record; it is ctx ending that stops it then.
	defer context.AfterFunc(ctx, it.Stop)()

	c := &Collected{Workers: map[string]int64{}}
	sum := fetch.NewSummary(time.Now(), opts.KeepRecords)
	c.Summary = sum
	var (
		seen        bitset
		info        Info
		known       bool
		first, last time.Time
		lastCheck   time.Time
	)
	finish := func() {
		if !first.IsZero() {
			sum.Wall = last.Sub(first)
		}
	}
	for {
		if !known && time.Since(lastCheck) > 200*time.Millisecond {
			lastCheck = time.Now()
			if info, known, err = job.Info(ctx); err != nil && ctx.Err() == nil {
				return c, err
			}
			c.Total = info.Total
		}
		if known && c.Done >= info.Total {
			finish()
			return c, nil
		}
		if ctx.Err() != nil {
			finish()
			return c, fmt.Errorf("%w with %d of %d lines: %w", ErrCollectInterrupted, c.Done, c.Total, context.Cause(ctx))
		}
		var msg jetstream.Msg
		if known {
			// Waits as long as it takes; ctx ending stops the iterator.
			msg, err = it.Next()
		} else {
			// Wakes up now and then to see whether enqueue has finished.
			waitCtx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
			msg, err = it.Next(jetstream.NextContext(waitCtx))
			cancel()
		}
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
				errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() != nil {
				continue
			}
			finish()
			return c, fmt.Errorf("queue: reading records: %w", err)
		}
		// UnmarshalJSON itself, not json.Unmarshal, which would check the
		// whole record once more before handing it over.
		var rec fetch.Record
		if err := rec.UnmarshalJSON(msg.Data()); err != nil {
			line, _ := strconv.Atoi(msg.Headers().Get(hdrLine))
			rec = fetch.Record{Line: line, Outcome: fetch.Failed, ErrorKind: KindBadMessage,
				Error: fmt.Sprintf("unreadable record in the results stream: %v", err)}
		}
		if rec.Line <= 0 {
			c.BadMessages++
			if opts.BadMessage != nil {
				opts.BadMessage(&rec)
			}
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
		if opts.Skip != nil && opts.Skip(rec.Line) {
			c.Resumed++
			sum.Add(&fetch.Record{Line: rec.Line, URL: rec.URL, Outcome: fetch.Skipped})
		} else {
			if err := sink.Write(&rec); err != nil {
				finish()
				return c, fmt.Errorf("%w: %w", fetch.ErrOutput, err)
			}
			sum.Add(&rec)
			worker := msg.Headers().Get(hdrWorker)
			c.Workers[worker]++
			if opts.OnRecord != nil {
				opts.OnRecord(&rec, worker)
			}
		}
		if opts.Progress != nil {
			opts.Progress(c.Done, c.Total)
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
