package fetch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"os"
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
	start := time.Now()
	sum := newSummary(start, f.cfg.KeepRecords)
	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)

	var (
		mu      sync.Mutex
		done    int64
		sinkErr error
		failErr error // the first failure, with FailFast
	)
	// write hands a record to the sink and the summary; the caller holds mu.
	write := func(rec *Record) {
		redact(rec)
		if rec.Outcome != Skipped && sinkErr == nil {
			if err := sink.Write(rec); err != nil {
				sinkErr = fmt.Errorf("%w: %w", ErrOutput, err)
				cancelRun(sinkErr)
			}
		}
		if f.cfg.FailFast && rec.Failed() && failErr == nil {
			failErr = fmt.Errorf("%w: line %d, %s: %s", ErrFailFast, rec.Line, rec.URL, rec.Error)
			cancelRun(failErr)
		}
		sum.add(rec)
		if f.cfg.OnRecord != nil {
			f.cfg.OnRecord(rec)
		}
		done++
		async.Report(ctx, done, f.cfg.Total, "")
	}
	// emit takes the record of input number seq (in reading order), and
	// writes it now or, with Ordered, once the earlier ones are written.
	var order *reorder
	if f.cfg.Ordered {
		order = newReorder(f.cfg.OrderWindow)
	}
	emit := func(seq int64, rec *Record) {
		mu.Lock()
		defer mu.Unlock()
		if order == nil {
			write(rec)
		} else {
			order.put(seq, rec, write)
		}
	}

	outs := map[string]int{}                                      // out= names taken, by line
	slots := make(chan struct{}, f.cfg.Concurrency+f.cfg.Backlog) // inputs pending
	active := make(chan struct{}, f.cfg.Concurrency)              // requests in flight
	parked := make(chan struct{}, f.cfg.HostBacklog)              // inputs waiting for a busy host
	var (
		srcErr    error
		exhausted bool // src ended by itself
	)
	// The run's group holds a task per host, whose group holds the URL
	// tasks of the host (see hostGroups). It has no limit of its own: the
	// slots and parked places bound the URL tasks, and with them the hosts.
	groupErr := async.WithGroup(runCtx, func(gctx context.Context, g *async.Group) error {
		hosts := newHostGroups(g)
		defer hosts.closeAll()
		var seq int64 = -1
		for in, err := range src {
			if err != nil {
				srcErr = fmt.Errorf("%w: %w", ErrInput, err)
				return nil
			}
			seq++
			seq := seq
			if order != nil {
				if err := order.waitRoom(gctx, &mu, seq); err != nil {
					emit(seq, cancelledRecord(in, start, 0, err))
					return nil
				}
			}
			u, rec, err := f.precheck(in, start)
			if err != nil {
				srcErr = fmt.Errorf("%w: %w", ErrInput, err)
				return nil
			}
			if rec == nil {
				rec = claimOut(outs, in, start)
			}
			if rec != nil {
				emit(seq, rec)
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-gctx.Done():
			}
			if gctx.Err() != nil {
				emit(seq, cancelledRecord(in, start, 0, context.Cause(gctx)))
				return nil
			}
			key := hostKey(u)
			hg, err := hosts.get(gctx, key)
			if err != nil {
				<-slots
				emit(seq, cancelledRecord(in, start, 0, err))
				return nil
			}
			// The record is emitted when the task is done, not by its
			// function: a task whose group is cancelled before it starts
			// never enters its function, and its input still needs a record.
			tk := &ticket{slots: slots, parked: parked, host: key}
			// The fetch runs under the group's context, not the task's own:
			// nothing cancels a fetch task but its group, so the two end
			// alike, and an attempt's deadline registered under the task's
			// context would give each URL a context children map of its
			// own (about 500 B, 5% of the bytes a URL allocates).
			t := async.Go(hg.g, func(self context.Context) (Record, error) {
				tk.self = self
				return f.do(gctx, in, u, start, active, tk), nil
			}, async.WithName(RedactURL(in.URL)))
			t.AddDoneCallback(func(t *async.Task[Record]) {
				rec, err := t.Result()
				var pe *async.PanicError
				switch {
				case errors.As(err, &pe):
					rec = Record{Line: in.Line, URL: in.URL, Outcome: Failed, ErrorKind: KindInternal,
						Error: fmt.Sprintf("internal error: %v", pe.Value), Start: time.Since(start)}
				case err != nil:
					rec = *cancelledRecord(in, start, 0, context.Cause(gctx))
				}
				emit(seq, &rec)
				hosts.done(hg)
				tk.release()
			})
		}
		exhausted = true
		return nil
	}, async.WithName("fetch.Run"))

	sum.finish(time.Now())
	sum.AllRead = exhausted
	var panicked *async.GroupError
	switch {
	case errors.As(groupErr, &panicked): // only a panic fails a fetch task
		return sum, fmt.Errorf("fetch: internal error: %w", groupErr)
	case sinkErr != nil:
		return sum, sinkErr
	case failErr != nil:
		sum.Interrupted = !exhausted || sum.Outcomes[Cancelled] > 0
		return sum, failErr
	case ctx.Err() != nil && (!exhausted || sum.Outcomes[Cancelled] > 0):
		sum.Interrupted = true
		return sum, fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	case srcErr != nil:
		return sum, srcErr
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
	self context.Context
	host string // the input's hostKey
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
	if p := f.savePath(in); p != "" && f.isProtected(p) {
		return nil, invalid(KindInvalidLine, fmt.Sprintf("saving the body to %s would overwrite a file the run reads or writes its records to", p)), nil
	}
	return u, nil, nil
}

// isProtected reports whether path is one of Config.Protected.
func (f *Fetcher) isProtected(path string) bool {
	if len(f.cfg.Protected) == 0 {
		return false
	}
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	for _, p := range f.cfg.Protected {
		if os.SameFile(st, p) {
			return true
		}
	}
	return false
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
