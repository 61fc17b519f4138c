package fetch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncgo/async"
	"golang.org/x/time/rate"
)

// Fetcher fetches URLs as its [Config] says. It is safe for concurrent use;
// runs share its connection pool and rate limits.
type Fetcher struct {
	cfg     Config
	rt      http.RoundTripper // the transport: redirects and cookies are the engine's (see roundTrip)
	limiter *rate.Limiter     // nil when there is no global rate
	hosts   *hostTable
	onPause func(host string, until time.Time) // set by NotifyPause
	header  http.Header                        // shared by plain requests (see sharedHeader); nil for none
}

// New returns a Fetcher for cfg, or an error if cfg holds impossible values.
func New(cfg Config) (*Fetcher, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	f := &Fetcher{cfg: cfg, hosts: newHostTable(cfg.PerHost, cfg.HostRate)}
	if cfg.Rate > 0 {
		f.limiter = rate.NewLimiter(rate.Limit(cfg.Rate), cfg.Burst)
	}
	tr := cfg.Transport
	if tr == nil {
		tr = newTransport(cfg)
	}
	f.rt = tr
	f.header = f.sharedHeader()
	return f, nil
}

// Config returns the fetcher's configuration with defaults filled in.
func (f *Fetcher) Config() Config { return f.cfg }

// Close closes the idle connections of the fetcher's own transport.
func (f *Fetcher) Close() {
	if c, ok := f.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Sink receives the records of a run, one call at a time, in completion
// order (input order with [Config.Ordered]). It must not keep the pointer after Write returns. An error from
// Write stops the run.
type Sink interface {
	Write(rec *Record) error
}

// SinkFunc adapts a function to a [Sink].
type SinkFunc func(rec *Record) error

// Write calls fn(rec).
func (fn SinkFunc) Write(rec *Record) error { return fn(rec) }

// ErrInput and ErrOutput mark the errors Run returns when it cannot read
// its source or write to its sink.
var (
	ErrInput  = errors.New("fetch: reading input")
	ErrOutput = errors.New("fetch: writing records")
)

// ErrFailFast is wrapped by the error Run returns when [Config.FailFast]
// stopped it at a failure, which the error names.
var ErrFailFast = errors.New("fetch: stopped at the first failure")

// ErrInterrupted is the error Run returns, wrapping the context's cause,
// when its context ended before every input was fetched.
var ErrInterrupted = errors.New("fetch: run interrupted")

// Run fetches every input of src, at most Concurrency at a time, and writes
// exactly one record per input to sink (skipped inputs excepted; they are
// counted in the summary) as each finishes. It returns when every input read
// has its record.
//
// src is read lazily: the next input is taken only when fewer than
// Concurrency+Backlog inputs are pending, so memory does not grow with the
// length of the list. When ctx ends, Run stops reading, cancels the
// requests in flight, writes a Cancelled record for each of them and for
// the inputs it had read but not started, and returns the summary with an
// error wrapping [ErrInterrupted] and ctx's cause (unless every input had
// already been fetched).
// A read error from src stops the run the same way after the requests in
// flight finish, and is returned; so is a sink error.
//
// If ctx belongs to an async task, Run reports its progress there with
// [async.Report]: records done out of [Config.Total].
func (f *Fetcher) Run(ctx context.Context, src iter.Seq2[Input, error], sink Sink) (*Summary, error) {
	r := newRun(ctx, f, sink)
	defer r.cancel(nil)
	// The run's group holds a task per host, whose group holds the URL
	// tasks of the host (see hostGroups). It has no limit of its own: the
	// slots and parked places bound the URL tasks, and with them the hosts.
	groupErr := async.WithGroup(r.runCtx, func(gctx context.Context, g *async.Group) error {
		r.read(gctx, g, src)
		return nil
	}, async.WithName("fetch.Run"))
	r.traces.close()
	return r.end(groupErr)
}

// run is one Run: what its tasks share, and the steps of the run as
// methods — read the source, dispatch each input, write each record, end.
type run struct {
	f      *Fetcher
	ctx    context.Context // Run's own: its end is an interrupt
	runCtx context.Context // ended by ctx, a sink error or FailFast
	cancel context.CancelCauseFunc
	start  time.Time
	sink   Sink
	sum    *Summary

	mu      sync.Mutex // held while a record is written
	done    int64
	sinkErr error
	failErr error           // the first failure, with FailFast
	order   *reorder        // with Ordered: records held until the earlier ones are written
	writeFn func(*Record)   // r.write, made once
	outs    map[string]int  // out= names taken, by line
	slots   chan struct{}   // inputs pending
	active  *requestSlots   // requests in flight, and the line for them
	parked  chan struct{}   // inputs waiting for a busy host
	hosts   *hostGroups     // set by read
	srcErr  error           // a read error, or Config.Skip's
	allRead bool            // src ended by itself
	gctx    context.Context // the run's group's, set by read
	traces  *tracePool      // the attempts' traces, under gctx; set by read
	free    sync.Pool       // pending inputs done with, for the next (see newPending)
}

func newRun(ctx context.Context, f *Fetcher, sink Sink) *run {
	r := &run{f: f, ctx: ctx, start: time.Now(), sink: sink, outs: map[string]int{},
		slots:  make(chan struct{}, f.cfg.Concurrency+f.cfg.Backlog),
		parked: make(chan struct{}, f.cfg.HostBacklog),
	}
	r.active = newRequestSlots(f.cfg.Concurrency, r.startTask)
	r.sum = newSummary(r.start, f.cfg.KeepRecords)
	r.runCtx, r.cancel = context.WithCancelCause(ctx)
	r.writeFn = r.write
	if f.cfg.Ordered {
		r.order = newReorder(f.cfg.OrderWindow)
	}
	return r
}

// read reads src and dispatches every input, until src ends, fails or the
// run is stopped.
func (r *run) read(gctx context.Context, g *async.Group, src iter.Seq2[Input, error]) {
	r.gctx = gctx
	// A trace per request in flight, which is all the pool ever holds
	// (an attempt holds one of the active slots).
	r.traces = newTracePool(gctx, r.f.cfg.Concurrency, r.f.cfg.Transport == nil)
	r.hosts = newHostGroups(g, r.f.hosts)
	defer r.hosts.closeAll()
	defer r.settle()
	var seq int64 = -1
	for in, err := range src {
		if err != nil {
			r.srcErr = fmt.Errorf("%w: %w", ErrInput, err)
			return
		}
		seq++
		if !r.dispatch(seq, in) {
			return
		}
	}
	r.allRead = true
}

// dispatch gives input number seq (in reading order) its record at once,
// or a task that fetches it. It returns false when the run is to read no
// further.
func (r *run) dispatch(seq int64, in Input) bool {
	gctx := r.gctx
	if r.order != nil {
		if err := r.order.waitRoom(gctx, &r.mu, seq); err != nil {
			r.emit(seq, cancelledRecord(in, r.start, 0, err))
			return false
		}
	}
	u, rec, err := r.f.precheck(in, r.start)
	if err != nil {
		r.srcErr = fmt.Errorf("%w: %w", ErrInput, err)
		return false
	}
	if rec == nil {
		rec = claimOut(r.outs, in, r.start)
	}
	if rec != nil {
		r.emit(seq, rec)
		return true
	}
	// A free place is taken without a two-way select, the common case
	// for every input while the backlog has room.
	select {
	case r.slots <- struct{}{}:
	default:
		select {
		case r.slots <- struct{}{}:
		case <-gctx.Done():
		}
	}
	if gctx.Err() != nil {
		r.emit(seq, cancelledRecord(in, r.start, 0, context.Cause(gctx)))
		return false
	}
	key := hostKey(u)
	hg, err := r.hosts.get(gctx, key)
	if err != nil {
		<-r.slots
		r.emit(seq, cancelledRecord(in, r.start, 0, err))
		return false
	}
	// The input waits for a request slot in line, as an input: its task
	// starts when it has one (see requestSlots).
	p := r.newPending()
	p.seq, p.hg = seq, hg
	p.tk = ticket{slots: r.slots, parked: r.parked, host: key, traces: r.traces, since: time.Now()}
	p.job = job{in: in, u: u, runStart: r.start, active: r.active, tk: &p.tk, host: hg.host}
	r.active.submit(p)
	return true
}

// startTask starts the task that fetches p, which holds a request slot.
// The record is emitted when the task is done, not by its function: a
// task whose group is cancelled before it starts never enters its
// function, and its input still needs a record.
func (r *run) startTask(p *pending) {
	t := async.Go(p.hg.g, p.fetchFn, async.WithName(RedactURL(p.in.URL)))
	t.AddDoneCallback(p.doneFn)
}

// newPending returns a pending input for dispatch to fill: one whose last
// input is written, or a new one. A pending input is kept for the next
// once its record is written (or, with Ordered, copied into the reorder
// buffer) and its task is done: it is the largest allocation of a URL
// (about 0.8 kB, the record and an attempt's result in it) and comes with
// the two functions its task is started with (method values, an
// allocation each).
func (r *run) newPending() *pending {
	if p, _ := r.free.Get().(*pending); p != nil {
		return p
	}
	p := &pending{r: r}
	p.fetchFn, p.doneFn = p.fetch, p.done
	return p
}

// recycle keeps p for a later input; p's record is written or copied and
// its task done, which nothing reads any more. The task may still be
// referenced (its result points to p.rec), but nothing reads it again.
func (r *run) recycle(p *pending) {
	fetchFn, doneFn := p.fetchFn, p.doneFn
	*p = pending{} // no reference kept to what the input was
	p.r, p.fetchFn, p.doneFn = r, fetchFn, doneFn
	r.free.Put(p)
}

// settle waits, when the reader stops, until every input in line for a
// request slot has its task, or, if the run has ended, writes the
// Cancelled records of those still in line.
func (r *run) settle() {
	for _, p := range r.active.settle(r.gctx) {
		r.emit(p.seq, cancelledRecord(p.in, r.start, 0, context.Cause(r.gctx)))
		r.hosts.done(p.hg)
		p.tk.release()
	}
}

// pending is an input being fetched by its task.
type pending struct {
	r   *run
	seq int64
	hg  *hostGroup
	tk  ticket
	// fetchFn and doneFn are p.fetch and p.done, made once for all the
	// inputs p is used for (see newPending).
	fetchFn func(context.Context) (*Record, error)
	doneFn  func(*async.Task[*Record])
	// job holds the input, and the record, the task's result, which
	// points here: one allocation less per input.
	job
}

// fetch is the task's function. The fetch runs under the group's
// context, not the task's own: nothing cancels a fetch task but its
// group, so the two end alike, and an attempt's deadline registered under
// the task's context would give each URL a context children map of its
// own (about 500 B, 5% of the bytes a URL allocates).
//
// The record travels by pointer: the task holds its result inline, and a
// Record by value would make every URL's task several hundred bytes larger
// and be copied once more on its way to the sink.
func (p *pending) fetch(self context.Context) (*Record, error) {
	growStack()
	p.tk.self = self
	p.r.f.do(p.r.gctx, &p.job)
	return &p.rec, nil
}

// done emits the task's record and gives its places back.
func (p *pending) done(t *async.Task[*Record]) {
	r := p.r
	rec, err := t.Result()
	if err != nil {
		// Declared here, where it is rare: errors.As makes it escape, and
		// it would be allocated for every input.
		// A task cancelled by a sibling's panic carries that panic in its
		// error's chain: only the task that panicked gets its record.
		var pe *async.PanicError
		if !t.Cancelled() && errors.As(err, &pe) {
			rec = &Record{Line: p.in.Line, URL: p.in.URL, Outcome: Failed, ErrorKind: KindInternal,
				Error: fmt.Sprintf("internal error: %v", pe.Value), Start: time.Since(r.start)}
		} else {
			rec = cancelledRecord(p.in, r.start, 0, context.Cause(r.gctx))
		}
	}
	r.emit(p.seq, rec)
	r.hosts.done(p.hg)
	p.tk.release()
	held := p.tk.holdsSlot // the task ended before its first attempt took the slot
	r.recycle(p)
	if held {
		r.active.release()
	}
}

// emit takes the record of input number seq (in reading order), and
// writes it now or, with Ordered, once the earlier ones are written.
func (r *run) emit(seq int64, rec *Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.order == nil {
		r.write(rec)
	} else {
		r.order.put(seq, rec, r.writeFn)
	}
}

// write hands a record to the sink and the summary; the caller holds mu.
func (r *run) write(rec *Record) {
	redact(rec)
	if rec.Outcome != Skipped && r.sinkErr == nil {
		if err := r.sink.Write(rec); err != nil {
			r.sinkErr = fmt.Errorf("%w: %w", ErrOutput, err)
			r.cancel(r.sinkErr)
		}
	}
	if r.f.cfg.FailFast && rec.Failed() && r.failErr == nil {
		r.failErr = fmt.Errorf("%w: line %d, %s: %s", ErrFailFast, rec.Line, rec.URL, rec.Error)
		r.cancel(r.failErr)
	}
	r.sum.add(rec)
	if r.f.cfg.OnRecord != nil {
		r.f.cfg.OnRecord(rec)
	}
	r.done++
	async.Report(r.ctx, r.done, r.f.cfg.Total, "")
}

// end finishes the summary once every task is done, and returns it with
// the error that ended the run, if any.
func (r *run) end(groupErr error) (*Summary, error) {
	sum := r.sum
	sum.finish(time.Now())
	sum.AllRead = r.allRead
	var panicked *async.GroupError
	switch {
	case errors.As(groupErr, &panicked): // only a panic fails a fetch task
		return sum, fmt.Errorf("fetch: internal error: %w", groupErr)
	case r.sinkErr != nil:
		return sum, r.sinkErr
	case r.failErr != nil:
		sum.Interrupted = !r.allRead || sum.Outcomes[Cancelled] > 0
		return sum, r.failErr
	case r.ctx.Err() != nil && (!r.allRead || sum.Outcomes[Cancelled] > 0):
		sum.Interrupted = true
		return sum, fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(r.ctx))
	case r.srcErr != nil:
		return sum, r.srcErr
	}
	return sum, nil
}

// ticket is the place a pending input holds: one in the backlog (slots)
// or, once it waits for a busy host, one among the parked, so that the
// inputs behind it may be read.
type ticket struct {
	slots, parked chan struct{}
	isParked      atomic.Bool
	// self is the context of the task fetching the input, which the fetch
	// does not run under (see Run): its sleeps are recorded there, so that
	// the task tree shows what the task waits for.
	self   context.Context
	host   string     // the input's hostKey
	traces *tracePool // the run's, for the fetch's attempts
	// since is when the input was read and put in line for a request
	// slot: the record's Start, and where its Queued begins.
	since time.Time
	// holdsSlot is set while the task holds the request slot it started
	// with, which its first attempt takes over (see requestSlots).
	holdsSlot bool
}

// dropSlot gives back the request slot the task started with, if it
// still holds it: it is about to wait for something else first.
func (t *ticket) dropSlot(active *requestSlots) {
	if t != nil && t.holdsSlot {
		t.holdsSlot = false
		active.release()
	}
}

// park trades the ticket's backlog place for a parked one, waiting for one
// to be free. With no parked places at all, the ticket keeps its place.
func (t *ticket) park(ctx context.Context) error {
	if t == nil || cap(t.parked) == 0 {
		return nil
	}
	select {
	case t.parked <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	<-t.slots
	t.isParked.Store(true)
	return nil
}

// release gives the ticket's place back.
func (t *ticket) release() {
	if t.isParked.Load() {
		<-t.parked
	} else {
		<-t.slots
	}
}

// precheck returns the parsed URL of an input to fetch, or the record of
// an input that needs no request: one that is invalid or skipped, or the
// error of Config.Skip, which stops the run.
func (f *Fetcher) precheck(in Input, start time.Time) (*url.URL, *Record, error) {
	invalid := func(kind, msg string) *Record {
		return &Record{Line: in.Line, URL: in.URL, Start: time.Since(start), Outcome: Invalid, ErrorKind: kind, Error: msg}
	}
	if in.Err != nil {
		kind := KindInvalidURL
		if errors.Is(in.Err, ErrBadLine) {
			kind = KindInvalidLine
		}
		return nil, invalid(kind, in.Err.Error()), nil
	}
	u, err := ParseURL(in.URL)
	if err != nil {
		kind := KindInvalidURL
		if errors.Is(err, ErrUnsupportedScheme) {
			kind = KindUnsupportedScheme
		}
		return nil, invalid(kind, err.Error()), nil
	}
	if f.cfg.Skip != nil {
		switch skip, err := f.cfg.Skip(in); {
		case err != nil:
			return nil, nil, err
		case skip:
			return nil, &Record{Line: in.Line, URL: in.URL, Start: time.Since(start), Outcome: Skipped}, nil
		}
	}
	if p := f.savePath(in); p != "" && f.cfg.Protected != nil && f.cfg.Protected(p) {
		return nil, invalid(KindInvalidLine, fmt.Sprintf("saving the body to %s would overwrite a file the run reads or writes its records to", p)), nil
	}
	return u, nil, nil
}

func cancelledRecord(in Input, start time.Time, attempts int, cause error) *Record {
	msg := "cancelled before the request was sent"
	if attempts > 0 {
		msg = "cancelled while in flight"
	}
	if cause != nil && !errors.Is(cause, context.Canceled) {
		msg += ": " + cause.Error()
	}
	return &Record{Line: in.Line, URL: in.URL, Outcome: Cancelled, Attempts: attempts,
		ErrorKind: KindCancelled, Error: msg, Start: time.Since(start)}
}
