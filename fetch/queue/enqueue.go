package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// EnqueueResult counts what Enqueue did.
type EnqueueResult struct {
	// Lines is the number of inputs read (input lines holding a URL).
	Lines int64
	// New were added to the queue; Duplicates were already there: stored
	// by an earlier enqueue of the job (which the job's own record says,
	// whatever became of them since), or dropped by JetStream as a second
	// publish within the duplicate window.
	New, Duplicates int64
	// MaxLine is the number of the last input line read.
	MaxLine int
}

// enqueueWindow bounds the publishes awaiting their acknowledgement, and so
// the memory of an enqueue, whatever the length of the list. It stays well
// below the JetStream context's own bound (4096 from Connect, 4000 by
// default), so that a server slow to acknowledge makes enqueue wait for a
// slot here rather than fail in PublishMsgAsync.
const enqueueWindow = 1024

// queuedEvery is how many stored lines enqueue lets pass, at most, before
// it records how far the list is stored (and at most a second).
const queuedEvery = 8192

// Enqueue publishes every input of src to the job's work queue, one message
// per input line under the message id job:line, so that running it again
// after a crash adds nothing twice: the lines an earlier enqueue stored
// (the job records how far it got) are not published again, however long
// ago and whatever the server remembers, and the few published since its
// last record are dropped by JetStream as duplicates within the duplicate
// window ([Options.DuplicateWindow]). A job is one list: run again, it
// must be given the same list. Enqueue reads src lazily and keeps at most
// a few thousand messages in flight. It records the job's lines (a hash of
// each line's URL, for collect to check records against) as it reads,
// and, once the whole list is in, the job's size; an enqueue that ends
// early can simply be run again.
func Enqueue(ctx context.Context, job *Job, src iter.Seq2[fetch.Input, error]) (EnqueueResult, error) {
	var res EnqueueResult
	// The lines an earlier enqueue of the job stored: not published again,
	// whatever the server's duplicate window (lost to a restart, or run out)
	// still remembers of them.
	through, err := job.queuedThrough(ctx)
	if err != nil {
		return res, err
	}
	if info, ok, err := job.Info(ctx); err != nil {
		return res, err
	} else if ok {
		through = max(through, info.MaxLine)
	}
	type pending struct {
		msg  *nats.Msg
		ack  jetstream.PubAckFuture
		line int
	}
	acks := make(chan pending, enqueueWindow)
	ackErr := make(chan error, 1)
	go func() {
		var first error
		// Every line up to stored is stored (acks are read in the order of
		// the publishes); it is recorded now and then, and at the end.
		stored, recorded := through, through
		lastWrite := time.Now()
		for p := range acks {
			if first != nil {
				continue
			}
			var dup bool
			select {
			case a := <-p.ack.Ok():
				dup = a.Duplicate
			case err := <-p.ack.Err():
				// A lost acknowledgement says nothing about the message:
				// publish it again, which the message id makes safe.
				a, err2 := job.js.PublishMsg(ctx, p.msg, jetstream.WithMsgID(p.msg.Header.Get(jetstream.MsgIDHeader)))
				if err2 != nil {
					first = fmt.Errorf("queue: enqueue line %s: %w (first try: %w)", p.msg.Header.Get(hdrLine), err2, err)
					continue
				}
				dup = a.Duplicate
			}
			if dup {
				res.Duplicates++
			} else {
				res.New++
			}
			stored = p.line
			if stored-recorded >= queuedEvery || time.Since(lastWrite) >= time.Second {
				if err := job.setQueuedThrough(ctx, stored); err == nil {
					recorded, lastWrite = stored, time.Now()
				}
			}
		}
		if first == nil && stored > recorded {
			first = job.setQueuedThrough(ctx, stored)
		}
		ackErr <- first
	}()

	var readErr error
	table := lineTableWriter{job: job}
	for in, err := range src {
		if err != nil {
			readErr = fmt.Errorf("%w: %w", fetch.ErrInput, err)
			break
		}
		if ctx.Err() != nil {
			break
		}
		if err := table.add(ctx, in.Line, in.URL); err != nil {
			readErr = err
			break
		}
		res.Lines++
		res.MaxLine = max(res.MaxLine, in.Line)
		if in.Line <= through {
			res.Duplicates++ // stored by an earlier enqueue
			continue
		}
		msg := workMessage(job, in)
		f, err := publishAsync(ctx, job.js, msg, job.msgID(in.Line))
		if err != nil {
			res.Lines--
			readErr = fmt.Errorf("queue: enqueue line %d: %w", in.Line, err)
			break
		}
		acks <- pending{msg, f, in.Line}
	}
	if readErr == nil && ctx.Err() == nil {
		readErr = table.flush(ctx)
	}
	close(acks)
	err = <-ackErr
	switch {
	case readErr != nil:
		return res, readErr
	case err != nil:
		return res, err
	case ctx.Err() != nil:
		return res, fmt.Errorf("queue: enqueue interrupted after %d lines: %w", res.Lines, context.Cause(ctx))
	}
	return res, job.setInfo(ctx, Info{Total: res.Lines, MaxLine: res.MaxLine})
}

// stallWait is how long one PublishMsgAsync may wait for a free slot in the
// JetStream context's publishes awaiting acknowledgement before
// publishAsync tries again.
const stallWait = time.Second

// publishAsync is PublishMsgAsync under the message id id, except that it
// waits, rather than fails, while the JetStream context has too many
// publishes awaiting their acknowledgement: a server that pauses (a busy
// disk, a leader election) slows a publisher down, it does not stop it.
// It gives up when ctx ends. Every publish awaiting acknowledgement ends,
// by its acknowledgement or by the context's ack timeout, so the wait does.
func publishAsync(ctx context.Context, js jetstream.JetStream, msg *nats.Msg, id string) (jetstream.PubAckFuture, error) {
	for {
		f, err := js.PublishMsgAsync(msg, jetstream.WithMsgID(id), jetstream.WithStallWait(stallWait))
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) || ctx.Err() != nil {
			return f, err
		}
	}
}

// workMessage is the message of one input: its URL as the body (or, for a
// line with options of its own, a JSON object), its line number in a
// header, on the subject of its host's partition.
func workMessage(job *Job, in fetch.Input) *nats.Msg {
	msg := nats.NewMsg(job.workSubject(partitionOf(in.URL, job.Partitions)))
	msg.Data = []byte(in.URL)
	if o := in.Options; o != nil {
		msg.Data, _ = json.Marshal(lineJSON{URL: in.URL, Method: o.Method, Header: o.Header, Body: o.Body, Out: o.Out})
		msg.Header.Set(hdrFormat, formatJSON)
	}
	msg.Header.Set(hdrLine, strconv.Itoa(in.Line))
	if in.Err != nil {
		msg.Header.Set(hdrError, in.Err.Error())
	}
	return msg
}

// lineJSON is the body of a work message for a line with options.
type lineJSON struct {
	URL    string      `json:"url"`
	Method string      `json:"method,omitempty"`
	Header http.Header `json:"headers,omitempty"`
	Body   []byte      `json:"body,omitempty"` // base64
	Out    string      `json:"out,omitempty"`
}

const formatJSON = "json"
