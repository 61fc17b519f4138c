package queue

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/fetch"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Error kinds of the records a worker makes without fetching.
const (
	// KindBadMessage marks the record of a work message that enqueue did
	// not make: no line number, say. It has line 0 when the line is unknown.
	KindBadMessage = "bad_message"
	// KindGaveUp marks a URL delivered [Worker.MaxDeliveries] times without
	// a record: every worker that took it died or stopped first.
	KindGaveUp = "gave_up"
)

// Worker fetches the URLs of a job with the engine and publishes one record
// per URL. Any number of workers, on any number of machines, can serve one
// job; see the package documentation for how they share it and keep the
// per-host limits.
type Worker struct {
	// Job is the job to serve, from [Open].
	Job *Job
	// Config is the engine's configuration, as for a local run. Its Skip,
	// Total and KeepRecords are not used.
	Config fetch.Config
	// ID names the worker in leases and in records (default: host name,
	// process id and a random suffix). Two live workers must not share one.
	ID string
	// Batch is how many messages a partition's pull asks for at once
	// (default: Concurrency).
	Batch int
	// DrainTimeout bounds how long the URLs in flight may take to finish
	// once the context ends (default 10s); those still running then are
	// given back to the queue, for another worker.
	DrainTimeout time.Duration
	// MaxDeliveries is how many times one URL may be handed out before a
	// worker records it as failed (kind gave_up) instead of fetching it
	// again (default 20).
	MaxDeliveries int
	// Logger gets the worker's notices (default slog.Default()).
	Logger *slog.Logger

	run atomic.Pointer[workerRun] // the current or last Run, for Stats
}

// keySafe matches what a worker's ID replaces; compiled when first used
// (see jobName).
var keySafe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^A-Za-z0-9_=-]+`) })

func defaultID() string {
	host, _ := os.Hostname()
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", keySafe().ReplaceAllString(host, "_"), os.Getpid(), hex.EncodeToString(b[:]))
}

// heldMsg is a work message between its delivery and its acknowledgement.
type heldMsg struct {
	msg  jetstream.Msg
	seq  uint64 // the message's stream sequence
	part *partition
	in   fetch.Input
	got  time.Time
	bad  *fetch.Record // set for a message turned into a record without fetching
}

// publishWindow bounds the records published and not yet acknowledged by
// the server. Past it the engine's sink waits, which slows the fetching:
// below the JetStream context's own bound, so that a server slow to
// acknowledge makes the worker wait rather than give URLs back to fetch
// them again.
const publishWindow = 1024

type ackItem struct {
	fut jetstream.PubAckFuture
	h   *heldMsg
	msg *nats.Msg
	id  string
}

// WorkerStats count what a worker did with the URLs it took.
type WorkerStats struct {
	// Stored is how many records the results stream took from this
	// worker as new; Duplicates how many more it dropped as duplicates of
	// a record already stored (by another worker, which fetched the URL
	// first and died before acknowledging it): fetches that were repeats.
	Stored, Duplicates int64
	// StoreRetries counts records published again after a failed store;
	// Requeued the URLs given back to the queue (the worker stopping, a
	// partition handed over, a store that failed for good).
	StoreRetries, Requeued int64
	// Fetched counts the URLs fetched (a record made, failed or not);
	// Failed those whose fetch failed (their records say why).
	Fetched, Failed int64
	// InFlight is how many URLs the worker holds; Leases how many
	// partitions it holds the lease of.
	InFlight, Leases int64
}

// Stats returns the worker's counts so far, during Run or after it.
func (w *Worker) Stats() WorkerStats {
	r := w.run.Load()
	if r == nil {
		return WorkerStats{}
	}
	r.mu.Lock()
	inflight := len(r.all)
	r.mu.Unlock()
	return WorkerStats{Stored: r.published.Load(), Duplicates: r.duplicates.Load(),
		StoreRetries: r.storeRetries.Load(), Requeued: r.requeued.Load(), Failed: r.failed.Load(), Fetched: r.fetched.Load(),
		InFlight: int64(inflight), Leases: r.leasesHeld.Load()}
}

// workerRun is the state of one Run.
type workerRun struct {
	w   *Worker
	job *Job
	log *slog.Logger
	ctx context.Context // the engine's: a publish waiting for the server gives up when it ends

	mu     sync.Mutex
	byLine map[int][]*heldMsg  // messages given to the engine, by line
	all    map[uint64]*heldMsg // every message held, by stream sequence

	inputs   chan *heldMsg
	stopFeed chan struct{}
	acks     chan ackItem
	pubMu    sync.Mutex // serialises publish: the engine's sink and bad messages
	encoded  bytes.Buffer
	enc      *fetch.JSONLWriter
	pullers  sync.WaitGroup

	f        *fetch.Fetcher
	group    *async.Group // the worker's tasks: its loops and the partitions' pulls
	pauses   pauses
	parts    map[int]*partition // owned by the lease loop
	stopping atomic.Bool

	published, requeued, duplicates, storeRetries, leasesHeld, failed, fetched atomic.Int64
}

// Run serves the job until ctx ends, then drains: it stops pulling, lets
// the URLs in flight finish for up to DrainTimeout, gives the rest back to
// the queue, and releases its partitions so that other workers take them at
// once. It returns the engine's summary of what this worker fetched.
func (w *Worker) Run(ctx context.Context) (*fetch.Summary, error) {
	cfg := w.Config
	cfg.Skip, cfg.Total, cfg.KeepRecords = nil, 0, false
	f, err := fetch.New(cfg)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if w.ID == "" {
		w.ID = defaultID()
	} else {
		w.ID = keySafe().ReplaceAllString(w.ID, "_")
	}
	r := &workerRun{
		w: w, job: w.Job, log: w.Logger,
		byLine: map[int][]*heldMsg{}, all: map[uint64]*heldMsg{},
		inputs: make(chan *heldMsg), stopFeed: make(chan struct{}),
		acks:  make(chan ackItem, publishWindow),
		parts: map[int]*partition{},
		f:     f,
	}
	r.pauses.m = map[int]map[string]time.Time{}
	f.NotifyPause(r.onPause)
	w.run.Store(r)
	r.enc = fetch.NewJSONLWriter(&r.encoded)
	if r.log == nil {
		r.log = slog.Default()
	}
	r.log = r.log.With("worker", w.ID, "job", w.Job.Name)
	engineCtx, cancelEngine := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelEngine()
	r.ctx = engineCtx

	// The worker's loops are the named tasks of one group, so that they
	// show in the task tree (-debug-addr) and the worker stops as one. Each
	// runs on a context of its own, not cancelled with the group's: they
	// are stopped in order below, the engine last of all given its drain.
	var sum *fetch.Summary
	var runErr error
	_ = async.WithGroup(ctx, func(gctx context.Context, g *async.Group) error {
		r.group = g
		loop := func(name string, fn func()) chan struct{} {
			done := make(chan struct{})
			g.Go(func(context.Context) error {
				defer close(done)
				fn()
				return nil
			}, async.WithName(name))
			return done
		}
		leaseCtx, stopLeases := context.WithCancel(context.WithoutCancel(ctx))
		defer stopLeases()
		leasesDone := loop("leases", func() { r.leaseLoop(leaseCtx) })
		ackDone := loop("acknowledge stored records", r.ackLoop)
		progressCtx, stopProgress := context.WithCancel(context.Background())
		defer stopProgress()
		progressDone := loop("extend ack waits", func() { r.progressLoop(progressCtx) })
		engineDone := make(chan struct{})
		g.Go(func(tctx context.Context) error {
			defer close(engineDone)
			// The task's context for its place in the task tree, the
			// engine's for when it stops.
			ectx, stop := context.WithCancel(context.WithoutCancel(tctx))
			defer stop()
			defer context.AfterFunc(engineCtx, stop)()
			sum, runErr = f.Run(ectx, r.source, fetch.SinkFunc(r.write))
			return nil
		}, async.WithName("engine"))

		select {
		case <-ctx.Done():
		case <-engineDone:
		}
		// Drain: stop feeding the engine and pulling, then give the engine
		// DrainTimeout to finish what it holds.
		r.stopping.Store(true)
		close(r.stopFeed)
		drain := w.DrainTimeout
		if drain <= 0 {
			drain = 10 * time.Second
		}
		timer := time.NewTimer(drain)
		select {
		case <-engineDone:
		case <-timer.C:
			r.log.Warn("drain timeout: giving the URLs still in flight back to the queue", "timeout", drain)
			cancelEngine()
			<-engineDone
		}
		timer.Stop()
		stopLeases()
		<-leasesDone
		r.stopPullers()
		r.pullers.Wait()
		close(r.acks)
		<-ackDone
		stopProgress()
		<-progressDone
		r.releaseAll()
		return nil
	}, async.WithName("worker "+w.ID))
	if errors.Is(runErr, fetch.ErrInterrupted) {
		runErr = nil // the engine's context ended by our drain timeout: the URLs went back
	}
	return sum, runErr
}

// source feeds the engine with the messages the pullers deliver, until the
// worker stops.
func (r *workerRun) source(yield func(fetch.Input, error) bool) {
	for {
		select {
		case h := <-r.inputs:
			if !yield(h.in, nil) {
				r.giveBack(h)
				return
			}
		case <-r.stopFeed:
			return
		}
	}
}

// take returns the held message whose record the engine just wrote.
func (r *workerRun) take(line int) *heldMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	hs := r.byLine[line]
	if len(hs) == 0 {
		return nil
	}
	h := hs[0]
	if len(hs) == 1 {
		delete(r.byLine, line)
	} else {
		r.byLine[line] = hs[1:]
	}
	return h
}

// unindex removes h from the messages given to the engine.
func (r *workerRun) unindex(h *heldMsg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	line := h.in.Line
	if hs := slices.DeleteFunc(r.byLine[line], func(x *heldMsg) bool { return x == h }); len(hs) > 0 {
		r.byLine[line] = hs
	} else {
		delete(r.byLine, line)
	}
}

// write is the engine's sink: it publishes the record, or gives the URL
// back to the queue when the record only says the worker stopped.
func (r *workerRun) write(rec *fetch.Record) error {
	h := r.take(rec.Line)
	if h == nil {
		r.log.Error("a record for a line this worker does not hold", "line", rec.Line)
		return nil
	}
	if rec.Outcome == fetch.Cancelled {
		r.giveBack(h)
		return nil
	}
	r.fetched.Add(1)
	if rec.Failed() {
		r.failed.Add(1)
	}
	r.publish(rec, h)
	return nil
}

// publish sends rec to the results stream under the line's message id,
// and queues the work message's acknowledgement for when the record is
// stored.
func (r *workerRun) publish(rec *fetch.Record, h *heldMsg) {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	// The record as a line of fetchall's JSON Lines output, encoded once.
	r.encoded.Reset()
	if err := r.enc.Write(rec); err != nil { // cannot happen: no field JSON refuses
		r.log.Error("encoding a record", "line", rec.Line, "err", err)
		r.giveBack(h)
		return
	}
	msg := nats.NewMsg(r.job.resultsSubject())
	msg.Data = bytes.Clone(bytes.TrimSuffix(r.encoded.Bytes(), []byte("\n")))
	msg.Header.Set(hdrLine, strconv.Itoa(rec.Line))
	msg.Header.Set(hdrWorker, r.w.ID)
	if rec.Line > 0 {
		msg.Header.Set(hdrURLHash, strconv.FormatUint(uint64(urlHash(h.in.URL)), 16))
	}
	id := r.job.msgID(rec.Line)
	if rec.Line == 0 { // a bad message: one record per message
		if md, err := h.msg.Metadata(); err == nil {
			id = r.job.Name + ":bad:" + strconv.FormatUint(md.Sequence.Stream, 10)
		}
	}
	fut, err := publishAsync(r.ctx, r.job.js, msg, id)
	if err != nil {
		r.log.Warn("publishing a record failed; the URL goes back to the queue", "line", rec.Line, "err", err)
		r.giveBack(h)
		return
	}
	r.acks <- ackItem{fut, h, msg, id}
}

// ackLoop acknowledges each work message once its record is stored, or
// gives it back if the record could not be stored, even after retries.
// Acks are sent without waiting for a reply; the connection batches them.
func (r *workerRun) ackLoop() {
	for a := range r.acks {
		var ack *jetstream.PubAck
		select {
		case ack = <-a.fut.Ok():
		case err := <-a.fut.Err():
			ack = r.storeAgain(a, err)
		}
		if ack == nil {
			r.giveBack(a.h)
			continue
		}
		if err := a.h.msg.Ack(); err != nil {
			r.log.Warn("ack failed; the URL will be fetched again and its duplicate record dropped", "line", a.h.in.Line, "err", err)
		}
		if ack.Duplicate {
			r.duplicates.Add(1)
		} else {
			r.published.Add(1)
		}
		r.release(a.h)
	}
}

// storeRetries bounds the publishes of a record after its first store
// failed, with a pause doubling from storeBackoff: about 6 s in all, which
// covers the election of a stream's new leader after its server is lost.
const (
	storeRetries = 6
	storeBackoff = 100 * time.Millisecond
)

// storeAgain publishes a record whose store failed again, under the same
// message id (so that a store that did happen is not doubled), with
// backoff, and returns the acknowledgement, or nil if every try failed or
// the worker is being stopped: the URL then goes back to the queue, to be
// fetched again. Giving it back at once, as the results stream's leader
// is being replaced, fetched hundreds of URLs again.
func (r *workerRun) storeAgain(a ackItem, err error) *jetstream.PubAck {
	wait := storeBackoff
	for try := 1; try <= storeRetries; try++ {
		select {
		case <-r.ctx.Done():
			r.log.Warn("storing a record failed; the URL goes back to the queue", "line", a.h.in.Line, "err", err)
			return nil
		case <-time.After(wait):
		}
		wait *= 2
		r.storeRetries.Add(1)
		ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
		var ack *jetstream.PubAck
		ack, err = r.job.js.PublishMsg(ctx, a.msg, jetstream.WithMsgID(a.id))
		cancel()
		if err == nil {
			return ack
		}
		r.log.Debug("storing a record failed; trying again", "line", a.h.in.Line, "try", try, "err", err)
	}
	r.log.Warn("storing a record failed after retries; the URL goes back to the queue", "line", a.h.in.Line, "tries", storeRetries+1, "err", err)
	return nil
}

// giveBack returns a message to the queue for another delivery soon.
//
// Not at once, though: the pull requests this worker already sent stay open
// on the server for a while after it stops pulling, and a message given
// back at once lands in them again, to be given back again, in a loop that
// ends only when they expire (and counts every turn as a delivery). After
// half a lease TTL the partition's next holder is pulling.
func (r *workerRun) giveBack(h *heldMsg) {
	h.msg.NakWithDelay(min(max(r.job.LeaseTTL/2, 500*time.Millisecond), r.job.AckWait))
	r.requeued.Add(1)
	r.release(h)
}

func (r *workerRun) release(h *heldMsg) {
	r.mu.Lock()
	if r.all[h.seq] == h {
		delete(r.all, h.seq)
	}
	r.mu.Unlock()
	h.part.inflight.Add(-1)
}

// progressLoop tells JetStream that held messages are still being worked
// on, so that a slow URL, or one waiting for its host, is not handed to
// another worker when the ack wait runs out.
func (r *workerRun) progressLoop(ctx context.Context) {
	every := r.job.AckWait / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.mu.Lock()
			var old []jetstream.Msg
			for _, h := range r.all {
				if now.Sub(h.got) >= every {
					old = append(old, h.msg)
				}
			}
			r.mu.Unlock()
			for _, m := range old {
				m.InProgress()
			}
		}
	}
}

// decode turns a work message into the engine's input, or into a record
// when the message cannot be fetched: it is malformed, or it has been
// handed out too often.
func (r *workerRun) decode(msg jetstream.Msg, part *partition) *heldMsg {
	h := &heldMsg{msg: msg, part: part, got: time.Now()}
	md, mdErr := msg.Metadata()
	if mdErr == nil {
		h.seq = md.Sequence.Stream
	}
	raw := string(msg.Data())
	lineHdr := msg.Headers().Get(hdrLine)
	line, err := strconv.Atoi(lineHdr)
	if err != nil || line < 1 {
		h.bad = &fetch.Record{URL: shorten(raw), Outcome: fetch.Invalid, ErrorKind: KindBadMessage,
			Error: fmt.Sprintf("malformed work message on %s: %s header %q is not a line number", msg.Subject(), hdrLine, shorten(lineHdr))}
		r.log.Error("malformed work message", "subject", msg.Subject(), "line_header", shorten(lineHdr))
		return h
	}
	h.in = fetch.Input{Line: line, URL: raw}
	if msg.Headers().Get(hdrFormat) == formatJSON {
		var l lineJSON
		if err := json.Unmarshal(msg.Data(), &l); err != nil {
			h.bad = &fetch.Record{Line: line, URL: shorten(raw), Outcome: fetch.Invalid, ErrorKind: KindBadMessage,
				Error: fmt.Sprintf("malformed work message on %s: its JSON body does not parse: %v", msg.Subject(), err)}
			return h
		}
		h.in.URL = l.URL
		h.in.Options = &fetch.LineOptions{Method: l.Method, Header: l.Header, Body: l.Body, Out: l.Out}
	}
	if e := msg.Headers().Get(hdrError); e != "" {
		h.in.Err = errors.New(e)
	}
	max := r.w.MaxDeliveries
	if max <= 0 {
		max = 20
	}
	if mdErr == nil && md.NumDelivered > uint64(max) {
		h.bad = &fetch.Record{Line: line, URL: h.in.URL, Outcome: fetch.Failed, ErrorKind: KindGaveUp,
			Error: fmt.Sprintf("handed out %d times without a record: every worker that took it stopped first", md.NumDelivered-1)}
	}
	return h
}

func shorten(s string) string {
	if len(s) > 256 {
		return s[:256] + "…"
	}
	return s
}
