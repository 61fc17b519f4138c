package fetch

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asyncgo/async"
)

// Do fetches one URL with retries, as Run does for each input, and returns
// its record. Concurrency does not apply to it (it is one request); the
// per-host limits and rate limits do.
func (f *Fetcher) Do(ctx context.Context, in Input) Record {
	start := time.Now()
	u, rec, err := f.precheck(in, start)
	if err != nil {
		rec = &Record{Line: in.Line, URL: in.URL, Start: time.Since(start), Outcome: Invalid, ErrorKind: KindInvalidLine, Error: err.Error()}
	}
	if rec == nil {
		j := &job{in: in, u: u, runStart: start}
		f.do(ctx, j)
		rec = &j.rec
	}
	redact(rec)
	return *rec
}

// job is what do needs of an input to fetch, and where it writes the
// record and each attempt's result: one pointer, rather than arguments
// spilled in the frames under every request (see sleepBeforeRetry).
type job struct {
	in       Input
	u        *url.URL
	runStart time.Time
	active   *requestSlots // the run's request slots; nil for none
	tk       *ticket       // the input's place in a run; nil for none
	rec      Record
	res      attemptResult
	hostSlot bool // holds one of its host's PerHost slots
	// host is the input's entry of the fetcher's host table when its run's
	// host group holds a reference to it (see hostGroup.host); nil when do
	// is to take one of its own.
	host *host
}

// do fetches a valid input: it waits for its host, then makes attempts
// until one is final or the retries are spent, and writes the record into
// j.rec. Each attempt holds one of the active slots (when j.active is not
// nil) only while it runs: waits for the host and sleeps between retries
// leave the slot to other requests.
//
// A task of Run starts holding a slot (tk.holdsSlot), which its first
// attempt takes over unless it must wait for its host first.
func (f *Fetcher) do(ctx context.Context, j *job) {
	rec, res, tk := &j.rec, &j.res, j.tk
	queued := time.Now() // since the input was put in line, for a task of Run
	if tk != nil && !tk.since.IsZero() {
		queued = tk.since
	}
	// Field by field: a composite literal would be built in do's frame.
	*rec = Record{}
	rec.Line, rec.URL, rec.Start = j.in.Line, j.in.URL, queued.Sub(j.runStart)
	self := ctx // where the sleeps are shown in the task tree
	if tk != nil && tk.self != nil {
		self = tk.self
	}
	var traces *tracePool
	if tk != nil {
		traces = tk.traces
	}
	h := f.hostOf(j)
	defer f.leaveHost(h, j)
	if h.slots != nil && !f.takeHostSlot(ctx, j, h) {
		return
	}
	// Every interval is counted once: Queued holds the waits for the host,
	// a slot and the rate (before the first attempt and between later
	// ones), Duration the rest from the first attempt on, so that
	// Start+Queued+Duration is when the fetch ended.
	var first time.Time
	var requeued time.Duration
	var tries attemptLog
	for attempt := 1; ; attempt++ {
		waitStart := queued // the first attempt's wait began with queued
		if attempt > 1 {
			waitStart = time.Now()
		}
		held := tk != nil && tk.holdsSlot
		if held {
			tk.holdsSlot = false
		}
		if err := f.waitTurn(ctx, self, h, j.active, held); err != nil {
			f.cancelled(rec, attempt-1, ctx)
			return
		}
		now := time.Now()
		waited := now.Sub(waitStart)
		if attempt == 1 {
			rec.Queued = waited
			first = now
		} else {
			rec.Queued += waited
			requeued += waited
		}
		*res = attemptResult{}
		f.attempt(ctx, &j.in, j.u, traces, res)
		var paused time.Duration
		if res.hasRetryAfter && res.retryAfter > 0 {
			paused = min(res.retryAfter, f.cfg.MaxRetryAfter)
			// The server speaks for itself, not for one URL: the whole host
			// waits, even when this URL is not retried (its retries are
			// spent, or the wait is longer than allowed, in which case the
			// host waits as long as is allowed). The pause is set before
			// the slot is given up, so that no request takes the slot and
			// goes to the host first.
			until := time.Now().Add(paused)
			f.hosts.pause(h, until)
			if f.onPause != nil {
				f.onPause(h.key, until)
			}
		}
		end := time.Since(j.runStart)
		if attempt == 1 && paused == 0 {
			// The record's own times say it all unless there is a
			// second attempt (see attemptLog).
			tries.firstEnd = end
		} else {
			tries.note(rec, res, waited, now.Sub(j.runStart), end, paused, attempt, first.Sub(j.runStart), rec.Queued-requeued)
		}
		if j.active != nil {
			j.active.release()
		}
		rec.Attempts = attempt
		res.fill(rec)
		rec.Duration = end - first.Sub(j.runStart) - requeued // until the attempt's end, not the next one's start below release
		if ctx.Err() != nil && res.err != nil {
			f.cancelled(rec, attempt, ctx)
			return
		}

		wait, retry := f.nextWait(rec, res, attempt, f.method(&j.in))
		if retry && wait > 0 {
			if err := sleepBeforeRetry(self, rec, &tries, wait, paused > 0, h.key); err != nil {
				rec.Duration = time.Since(first) - requeued
				f.cancelled(rec, attempt, ctx)
				return
			}
		}
		if !retry {
			return
		}
	}
}

// The helpers below are do's rarer steps, apart so that their locals are
// not in do's frame: do's frame is on the stack under every request a
// task makes, and a task whose stack stays within the runtime's starting
// size (4 kB on a throughput-bound list, as the floor's goroutines) never
// has it grown and copied (see growStack).

// takeHostSlot takes one of the host's PerHost slots for j, or makes j's
// record Cancelled and returns false when ctx ends first. When the host is
// at its cap, j waits for it parked, leaving its backlog place to inputs of
// other hosts, and its request slot to the next in line.
//
//go:noinline
func (f *Fetcher) takeHostSlot(ctx context.Context, j *job, h *host) bool {
	select {
	case h.slots <- struct{}{}:
		j.hostSlot = true
		return true
	default:
	}
	j.tk.dropSlot(j.active)
	if err := j.tk.park(ctx); err != nil {
		setCancelled(&j.rec, &j.in, j.runStart, err)
		return false
	}
	select {
	case h.slots <- struct{}{}:
		j.hostSlot = true
		return true
	case <-ctx.Done():
		setCancelled(&j.rec, &j.in, j.runStart, context.Cause(ctx))
		return false
	}
}

// hostOf returns the entry of j's host: the one its run's host group
// holds, or one it takes a reference to.
//
//go:noinline
func (f *Fetcher) hostOf(j *job) *host {
	if j.host != nil {
		return j.host
	}
	key := ""
	if j.tk != nil {
		key = j.tk.host
	}
	if key == "" {
		key = hostKey(j.u)
	}
	return f.hosts.acquire(key)
}

// leaveHost gives back j's PerHost slot, if it took one, and its
// reference to the host's entry, if it took one (j.host is nil).
func (f *Fetcher) leaveHost(h *host, j *job) {
	if j.hostSlot {
		j.hostSlot = false
		<-h.slots
	}
	if j.host == nil {
		f.hosts.release(h)
	}
}

// sleepBeforeRetry sleeps wait before the next attempt, under self (so that
// the task tree shows the task awaiting it, named for the host's pause if
// the attempt paused the host), and notes the sleep in rec.
//
//go:noinline
func sleepBeforeRetry(self context.Context, rec *Record, tries *attemptLog, wait time.Duration, paused bool, host string) error {
	slept := time.Now()
	why := "backoff before retry"
	if paused {
		why = "Retry-After " + host
	}
	err := async.SleepNamed(self, wait, why)
	rec.Retried += time.Since(slept)
	tries.backoff(rec, time.Since(slept))
	return err
}

// setCancelled makes rec the record of in cancelled before its first
// attempt.
//
//go:noinline
func setCancelled(rec *Record, in *Input, runStart time.Time, err error) {
	*rec = *cancelledRecord(*in, runStart, 0, err)
}

// cancelled turns rec into a Cancelled record, keeping what it measured.
func (f *Fetcher) cancelled(rec *Record, attempts int, ctx context.Context) {
	c := cancelledRecord(Input{Line: rec.Line, URL: rec.URL}, time.Time{}, attempts, context.Cause(ctx))
	rec.Outcome, rec.ErrorKind, rec.Error, rec.Attempts = c.Outcome, c.ErrorKind, c.Error, attempts
	rec.SavedAs = ""
}

// waitTurn waits for the host's pause and rate, then for an active slot,
// then for the global rate. On success the caller holds the active slot.
// A Retry-After may pause the host while a request waits for a slot or
// the rate, so the pause is checked again once nothing is left to wait
// for: no request reaches a paused host.
//
// With held, the caller holds a slot already (a task of Run starts with
// one); it is kept when the host has nothing to be waited for, and given
// back to the next in line otherwise.
func (f *Fetcher) waitTurn(ctx, self context.Context, h *host, active *requestSlots, held bool) error {
	if held && (h.everPaused.Load() || h.lim != nil) {
		active.release()
		held = false
	}
	for {
		if held {
			held = false
			if ctx.Err() != nil { // a run that ends makes no request
				active.release()
				return context.Cause(ctx)
			}
		} else {
			if err := f.hosts.waitTurn(ctx, self, h); err != nil {
				return err
			}
			if active != nil {
				if err := active.acquire(ctx); err != nil {
					return err
				}
			}
		}
		if f.limiter != nil {
			if err := f.limiter.Wait(ctx); err != nil {
				if active != nil {
					active.release()
				}
				return err
			}
		}
		if !h.everPaused.Load() || !f.hosts.paused(h, time.Now()) {
			return nil
		}
		if active != nil {
			active.release()
		}
	}
}

// nextWait decides, after attempt n, whether to try again and after how
// long, and sets rec's outcome for the case it does not.
func (f *Fetcher) nextWait(rec *Record, res *attemptResult, n int, method string) (time.Duration, bool) {
	retryable := false
	switch {
	case res.err != nil:
		rec.Outcome = Failed
		rec.ErrorKind, retryable = classify(res.err)
		rec.Error = res.err.Error()
	case res.status >= 400 && !res.complete:
		rec.Outcome, rec.ErrorKind = HTTPError, KindHTTP
		rec.Error = fmt.Sprintf("%d %s", res.status, http.StatusText(res.status))
		retryable = f.retryableStatus(res.status)
	default:
		rec.Outcome, rec.ErrorKind, rec.Error = OK, "", ""
		return 0, false
	}
	if !retryable || n > f.cfg.Retries {
		return 0, false
	}
	if !f.cfg.RetryAllMethods && !idempotent(method) && !neverSent(rec.ErrorKind) {
		return 0, false
	}
	if res.hasRetryAfter {
		if res.retryAfter > f.cfg.MaxRetryAfter {
			rec.ErrorKind = KindRetryAfter
			rec.Error += fmt.Sprintf(" (Retry-After %s is longer than the %s allowed)", res.retryAfter, f.cfg.MaxRetryAfter)
			return 0, false
		}
		return res.retryAfter, true
	}
	return backoff(n, f.cfg.RetryBase, f.cfg.RetryMax), true
}

// attemptResult is what one attempt learnt.
type attemptResult struct {
	status        int
	finalURL      string
	bytes         int64
	truncated     bool
	sha           string
	saved         string
	err           error
	retryAfter    time.Duration
	hasRetryAfter bool
	resumedFrom   int64  // bytes of a partial file the body continued
	redirects     int    // redirects followed
	redirectURL   string // where a 3xx not followed pointed
	encoding      string // the Content-Encoding of the response
	proto         string // the response's HTTP version, as curl writes it
	complete      bool   // a 416 saying the partial file is already whole
	timings
	// first, when not nil, is where the body's first bytes are read: the
	// attempt's trace's, so that a small body needs no buffer of
	// copyBuffers. It is set for the attempt only.
	first *[firstReadSize]byte
}

// attemptTime is the attempt's entry in Record.AttemptTimes.
func (r *attemptResult) attemptTime(queued, start, end, paused time.Duration) AttemptTime {
	t := AttemptTime{Queued: queued, Start: start, End: end, Pause: paused, Status: r.status,
		DNS: r.dns, Connect: r.connect, TLS: r.tls, TTFB: r.ttfb}
	switch {
	case r.err != nil:
		t.ErrorKind, _ = classify(r.err)
	case r.status >= 400 && !r.complete:
		t.ErrorKind = KindHTTP
	}
	return t
}

func (r *attemptResult) fill(rec *Record) {
	rec.Status, rec.FinalURL, rec.Bytes, rec.Truncated = r.status, r.finalURL, r.bytes, r.truncated
	rec.SHA256, rec.SavedAs, rec.ResumedFrom = r.sha, r.saved, r.resumedFrom
	rec.Redirects, rec.RedirectURL, rec.ContentEncoding = r.redirects, r.redirectURL, r.encoding
	rec.HTTPVersion = r.proto
	rec.DNS, rec.Connect, rec.TLS, rec.TTFB, rec.Reused = r.dns, r.connect, r.tls, r.ttfb, r.reused
}

// attempt sends one request, following redirects, and reads the body,
// all within the per-attempt timeout.
//
// The timeout is a context deadline with a shared cause rather than an
// async.Timeout: this runs once per URL, and the profile of a throughput-
// bound list showed async.Timeout's closure, option and error allocations
// and its extra frames (stack growth) on this path.
//
// The attempt's trace comes from traces when it is not nil and belongs to
// ctx, and goes back to it when no hook of it can be called any more. A
// trace of a run on the engine's own transport carries the deadline too:
// a context of its own, cancelled by a timer the attempt sets, and kept
// with the trace while neither fires (see tracePool).
func (f *Fetcher) attempt(ctx context.Context, in *Input, u *url.URL, traces *tracePool, res *attemptResult) {
	tr := traces.get(ctx)
	actx, cancel := tr.ctx, context.CancelFunc(nil)
	tr.start = time.Now()
	if tr.timer != nil {
		tr.setDeadline(tr.start, f.cfg.Timeout)
	} else {
		actx, cancel = context.WithTimeoutCause(tr.ctx, f.cfg.Timeout, errAttemptTimeout)
	}
	res.first = tr.first
	err := f.send(actx, in, u, res, tr)
	res.first = nil
	if err != nil && ctx.Err() == nil && context.Cause(actx) == errAttemptTimeout {
		err = timedOut(res)
	}
	if cancel != nil {
		cancel()
	}
	res.err = err
	traces.put(tr, err == nil)
}

// errAttemptTimeout is the cause of an attempt's context when the attempt
// ran out of time.
var errAttemptTimeout = errors.New("fetch: attempt timed out")

// timedOut is the error of an attempt that ran out of time.
//
//go:noinline
func timedOut(res *attemptResult) error {
	return fmt.Errorf("%w (%s)", context.DeadlineExceeded, phase(res))
}

// phase names what a timed-out attempt was doing, for its error message.
func phase(res *attemptResult) string {
	if res.status == 0 {
		return "no response"
	}
	return fmt.Sprintf("reading body after %d bytes", res.bytes)
}

// send makes the attempt's requests under ctx, which carries tr's hooks;
// tr.start is when the attempt started. Its steps are apart, so that its
// frame, which is under every request, holds little (see
// sleepBeforeRetry).
func (f *Fetcher) send(ctx context.Context, in *Input, u *url.URL, res *attemptResult, tr *tracer) error {
	err := f.sendTraced(ctx, in, u, res)
	res.timings = tr.result()
	return err
}

func (f *Fetcher) sendTraced(ctx context.Context, in *Input, u *url.URL, res *attemptResult) error {
	var path string
	var offset int64
	if in.Options != nil || f.cfg.SaveDir != "" {
		path, offset = f.saveTarget(in)
	}
	resp, err := f.roundTrip(ctx, in, u, offset, res)
	if err == nil && offset > 0 {
		var done bool
		if resp, path, offset, done, err = f.judgeResumed(ctx, in, u, res, resp, path, offset); done {
			return err
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return f.readResponse(ctx, resp, res, path, offset)
}

// saveTarget returns the file the body of in is to be saved to, if any,
// and the size of what a partial file of it already holds, if it is to
// be continued.
//
//go:noinline
func (f *Fetcher) saveTarget(in *Input) (string, int64) {
	path := f.savePath(*in)
	return path, f.partialSize(path)
}

// judgeResumed takes the response to a request for the bytes from offset
// on (see judgeRange): it returns the response to read and where to save
// it, or done when the attempt ends here, with its error.
//
//go:noinline
func (f *Fetcher) judgeResumed(ctx context.Context, in *Input, u *url.URL, res *attemptResult, resp *http.Response, path string, offset int64) (_ *http.Response, _ string, _ int64, done bool, _ error) {
	switch judgeRange(resp, offset) {
	case rangeWhole:
		offset = 0
	case rangeFailed:
		path, offset = "", 0 // an error page must not replace what was fetched
	case rangeRetry:
		resp.Body.Close()
		resp, err := f.roundTrip(ctx, in, u, 0, res)
		return resp, path, 0, false, err
	case rangeComplete:
		resp.Body.Close()
		res.status, res.complete, res.proto = resp.StatusCode, true, httpVersion(resp)
		return nil, path, offset, true, f.finishWhole(path, offset, res)
	}
	return resp, path, offset, false, nil
}

// readResponse reads resp's body as readBody does, after noting its status,
// version, encoding and Retry-After.
func (f *Fetcher) readResponse(ctx context.Context, resp *http.Response, res *attemptResult, path string, offset int64) error {
	defer resp.Body.Close()
	res.status = resp.StatusCode
	res.proto = httpVersion(resp)
	codings := contentEncodings(resp.Header)
	res.encoding = strings.Join(codings, ", ")
	if f.retryableStatus(resp.StatusCode) {
		res.retryAfter, res.hasRetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	var body io.Reader = resp.Body
	if f.cfg.Compressed && codings != nil {
		d := newDecodedBody(resp.Body, codings)
		defer d.Close()
		body = d
	}
	return f.readBody(ctx, body, res, path, offset)
}

// method returns the request method of in: its line's, or POST for a line
// with a body of its own under a GET run, or the run's.
func (f *Fetcher) method(in *Input) string {
	if o := in.Options; o != nil {
		if o.Method != "" {
			return o.Method
		}
		// A body of the line's own, under a run that would GET: POST it,
		// as curl -d does, rather than send a GET with a body.
		if o.Body != nil && f.cfg.Method == http.MethodGet {
			return http.MethodPost
		}
	}
	return f.cfg.Method
}

// finishWhole records a saved file that the server says is already whole.
func (f *Fetcher) finishWhole(path string, size int64, res *attemptResult) error {
	var sum hash.Hash
	if f.cfg.SHA256 {
		sum = sha256.New()
	}
	file, err := openSave(path, size, sum)
	if err == nil {
		err = file.Close()
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errSave, err)
	}
	res.bytes, res.resumedFrom, res.saved = size, size, path
	if sum != nil {
		res.sha = hex.EncodeToString(sum.Sum(nil))
	}
	return nil
}

// readBody reads the body up to the cap, counting, hashing and saving it
// to path (unless it is "") as asked, and keeping nothing in memory. With
// offset > 0 the body continues the first offset bytes of the file.
func (f *Fetcher) readBody(ctx context.Context, body io.Reader, res *attemptResult, path string, offset int64) error {
	if f.cfg.SHA256 || path != "" || f.cfg.MaxBody > 0 {
		return f.readBodyAs(ctx, body, res, path, offset)
	}
	// The common case, read and dropped, with a frame that holds little
	// (see sleepBeforeRetry). A body that fits in the attempt's first
	// buffer is read whole there, with the end of the body in the same
	// read (net/http's body says io.EOF with its last bytes); a larger one
	// goes on through a buffer of copyBuffers, whose reads are larger than
	// the connection's buffer and so go straight to the socket.
	var err error
	if first := res.first; first != nil {
		var n int
		for err == nil && n < len(first) {
			var m int
			m, err = body.Read(first[n:])
			n += m
		}
		res.bytes += int64(n)
		if err == io.EOF {
			return nil
		}
	}
	if err == nil {
		buf := copyBuffers.Get().(*[]byte)
		var n int64
		n, err = io.CopyBuffer(discardOnly, body, *buf)
		copyBuffers.Put(buf)
		res.bytes += n
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// firstReadSize is the size of the buffer a body's first bytes are read
// into (see readBody): a trace of a run's pool has one.
const firstReadSize = 2 << 10

// readBodyAs is readBody for a body that is hashed, saved or capped.
//
//go:noinline
func (f *Fetcher) readBodyAs(ctx context.Context, body io.Reader, res *attemptResult, path string, offset int64) error {
	var (
		w    io.Writer = io.Discard
		sum  hash.Hash
		file *os.File
	)
	if f.cfg.SHA256 {
		sum = sha256.New()
		w = sum
	}
	if path != "" {
		var err error
		if file, err = openSave(path, offset, sum); err != nil {
			return fmt.Errorf("%w: %w", errSave, err)
		}
		if sum != nil {
			w = io.MultiWriter(saveWriter{file}, sum)
		} else {
			w = saveWriter{file}
		}
		res.bytes, res.resumedFrom = offset, offset
	}
	r := body
	if f.cfg.MaxBody > 0 {
		r = io.LimitReader(body, max(f.cfg.MaxBody-offset, 0))
	}
	buf := copyBuffers.Get().(*[]byte)
	wo := discardOnly // the common case, without making an interface value per body
	if w != io.Discard {
		wo = writerOnly{w}
	}
	n, err := io.CopyBuffer(wo, r, *buf)
	copyBuffers.Put(buf)
	res.bytes += n
	if err == nil && f.cfg.MaxBody > 0 && res.bytes >= f.cfg.MaxBody {
		var one [1]byte
		if n, _ := io.ReadFull(body, one[:]); n == 1 {
			res.truncated = true
		}
	}
	if file != nil {
		if cerr := file.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("%w: %w", errSave, cerr)
		}
		switch {
		case err == nil:
			res.saved = file.Name()
		case !f.cfg.Continue:
			os.Remove(file.Name())
		}
		// With Continue, a body cut short stays on disk: the next attempt,
		// or the next run, asks for the rest.
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if sum != nil && err == nil {
		res.sha = hex.EncodeToString(sum.Sum(nil))
	}
	return err
}

// copyBuffers holds the buffers bodies are read through: io.Copy would
// allocate 32 KiB per body, since neither side has a fast path here.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// saveWriter marks write errors as errors saving the body, which are not
// worth a retry, unlike errors reading it.
type saveWriter struct{ f *os.File }

func (s saveWriter) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	if err != nil {
		err = fmt.Errorf("%w: %w", errSave, err)
	}
	return n, err
}

// writerOnly hides any ReadFrom of the writer it holds, so that
// io.CopyBuffer reads through the buffer it is given (io.Discard's
// ReadFrom would take one of its own).
type writerOnly struct{ io.Writer }

// discardOnly is writerOnly{io.Discard}, made once.
var discardOnly io.Writer = writerOnly{io.Discard}

// timings is the breakdown of one attempt, from its trace.
type timings struct {
	dns, connect, tls, ttfb time.Duration
	reused                  bool
}

// tracer collects httptrace events. The transport may call them from its
// dialing goroutines, so they take a lock.
type tracer struct {
	mu                   sync.Mutex
	start                time.Time
	dnsAt, connAt, tlsAt time.Time
	t                    timings
	// getConns counts the connections the requests asked for, idleConns
	// those they got at once from the idle pool (see tracePool.put).
	getConns, idleConns int
	trace               httptrace.ClientTrace
	ctx                 context.Context // the parent's, with trace (and the deadline's cancel, with timer)
	pool                *tracePool      // the pool it goes back to, or nil
	// With a deadline of its own (see tracePool), cancel cancels ctx
	// with errAttemptTimeout once the attempt's deadline has passed.
	// timer is not set and stopped for each attempt, which cost a change
	// to the runtime's timer heap twice a URL: it is set when an attempt
	// starts and the timer is not set (armed is zero), or set for later
	// than the attempt's deadline; when it fires, expire sets it again
	// for the deadline of the attempt running then, if it is still ahead,
	// or leaves it unset when no attempt runs. The three fields are
	// guarded by mu.
	cancel   context.CancelCauseFunc
	timer    *time.Timer
	first    *[firstReadSize]byte // for the attempt's body (see attemptResult.first); nil outside a pool
	deadline time.Time            // of the attempt running; zero between attempts
	armed    time.Time            // when timer is set to fire; zero when it may not be set
	fired    bool                 // the deadline passed: ctx is cancelled
}

// newTracer returns a tracer of pool (nil for none) whose ctx is parent
// with its hooks, and with a deadline of its own when the pool says so.
func newTracer(parent context.Context, pool *tracePool) *tracer {
	tr := &tracer{pool: pool}
	if pool != nil {
		tr.first = new([firstReadSize]byte)
	}
	if pool != nil && pool.deadlines {
		parent, tr.cancel = context.WithCancelCause(parent)
		tr.timer = time.AfterFunc(time.Hour, tr.expire)
		tr.timer.Stop()
	}
	tr.trace = httptrace.ClientTrace{
		GetConn:              tr.getConn,
		DNSStart:             tr.dnsStart,
		DNSDone:              tr.dnsDone,
		ConnectStart:         tr.connectStart,
		ConnectDone:          tr.connectDone,
		TLSHandshakeStart:    tr.tlsStart,
		TLSHandshakeDone:     tr.tlsDone,
		GotConn:              tr.gotConn,
		GotFirstResponseByte: tr.gotFirstByte,
	}
	tr.ctx = httptrace.WithClientTrace(parent, &tr.trace)
	return tr
}

// setDeadline starts an attempt, started at at, that must end within d.
func (tr *tracer) setDeadline(at time.Time, d time.Duration) {
	dl := at.Add(d)
	tr.mu.Lock()
	tr.deadline = dl
	if tr.armed.IsZero() || tr.armed.After(dl) {
		tr.armed = dl
		tr.timer.Reset(time.Until(dl))
	}
	tr.mu.Unlock()
}

// expire is the timer's: it ends the attempt that runs under the tracer's
// context if its deadline has passed, and otherwise sets the timer for
// the deadline of the attempt running, if any (see tracer.timer).
func (tr *tracer) expire() {
	tr.mu.Lock()
	fire := false
	switch now := time.Now(); {
	case tr.deadline.IsZero():
		tr.armed = time.Time{}
	case now.Before(tr.deadline):
		tr.armed = tr.deadline
		tr.timer.Reset(tr.deadline.Sub(now))
	default:
		tr.fired, fire = true, true
	}
	tr.mu.Unlock()
	if fire {
		tr.cancel(errAttemptTimeout)
	}
}

// tracePool keeps the traces of a run's finished attempts for later ones:
// binding a trace's hooks and putting them in a context took 13 of the 72
// allocations a URL made on a throughput-bound list.
//
// With deadlines, each trace's context is also the attempt's deadline: a
// cancellable context of the trace's own, which a timer cancels, instead
// of a context.WithTimeoutCause per attempt, which cost six allocations
// (the context, its timer and two closures, and the Done channel and
// children map that net/http's own context under it asks for) and 5% of
// the CPU of a throughput-bound list. It is for the engine's own
// transport only: the context then carries no Deadline, which net/http's
// transport never reads (its dials run under a context without the
// request's deadline or cancellation), but a transport given in Config
// might.
//
// The free traces are a bounded list rather than a sync.Pool: a trace with
// a deadline has a place among the run's context's children, which it
// must give up when it is dropped.
type tracePool struct {
	parent    context.Context // the context the traces are made under
	deadlines bool
	free      chan *tracer
}

// newTracePool returns a pool of traces under parent, keeping up to size
// of them, with deadlines of their own if asked.
func newTracePool(parent context.Context, size int, deadlines bool) *tracePool {
	return &tracePool{parent: parent, deadlines: deadlines, free: make(chan *tracer, size)}
}

// get returns a tracer, with no events, under ctx: one of the pool's when
// ctx is the pool's parent (a nil pool has none), else a new one.
func (p *tracePool) get(ctx context.Context) *tracer {
	if p == nil || ctx != p.parent {
		return newTracer(ctx, nil)
	}
	select {
	case tr := <-p.free:
		return tr
	default:
		return newTracer(ctx, p)
	}
}

// put takes back the tracer of a finished attempt, which succeeded if ok,
// and keeps it if none of its hooks can be called any more and its
// deadline did not fire. net/http calls a request's hooks from the dial it
// starts for the request even after the request is done (it may have got
// another connection, and the dial goes on for later requests), so a
// tracer is kept only when every connection its requests asked for came at
// once from the idle pool, when no dial was started: that is what
// GotConnInfo.WasIdle says, for HTTP/1 and HTTP/2 alike. A transport that
// reports no connection keeps none. The first response byte of a request
// that succeeded was traced before its response came back. A tracer not
// kept has its context cancelled, which takes it out of its parent's.
func (p *tracePool) put(tr *tracer, ok bool) {
	if p == nil || tr.pool != p {
		return
	}
	tr.mu.Lock()
	if tr.fired {
		ok = false // the deadline passed: the context is cancelled, or about to be
	}
	tr.deadline = time.Time{}
	reusable := ok && tr.getConns > 0 && tr.getConns == tr.idleConns
	tr.start, tr.dnsAt, tr.connAt, tr.tlsAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	tr.t, tr.getConns, tr.idleConns = timings{}, 0, 0
	tr.mu.Unlock()
	if reusable {
		select {
		case p.free <- tr:
			return
		default:
		}
	}
	if tr.timer != nil {
		tr.timer.Stop() // its expire would keep tr until it fires
	}
	if tr.cancel != nil {
		tr.cancel(context.Canceled)
	}
}

// close drops the traces the pool keeps, once no attempt runs any more:
// their timers may still be set (see tracer.timer), and would keep them
// until they fire.
func (p *tracePool) close() {
	if p == nil {
		return
	}
	for {
		select {
		case tr := <-p.free:
			if tr.timer != nil {
				tr.timer.Stop()
			}
			if tr.cancel != nil {
				tr.cancel(context.Canceled)
			}
		default:
			return
		}
	}
}

func (tr *tracer) getConn(string) {
	tr.mu.Lock()
	tr.getConns++
	tr.mu.Unlock()
}

func (tr *tracer) dnsStart(httptrace.DNSStartInfo) {
	tr.mu.Lock()
	tr.dnsAt = time.Now()
	tr.mu.Unlock()
}

func (tr *tracer) dnsDone(httptrace.DNSDoneInfo) {
	tr.mu.Lock()
	tr.t.dns += time.Since(tr.dnsAt)
	tr.mu.Unlock()
}

// connectStart notes the first dial of a set: with several addresses the
// dials race, and the time until one succeeds is what the request waited.
func (tr *tracer) connectStart(_, _ string) {
	tr.mu.Lock()
	if tr.connAt.IsZero() {
		tr.connAt = time.Now()
	}
	tr.mu.Unlock()
}

func (tr *tracer) connectDone(_, _ string, err error) {
	tr.mu.Lock()
	if err == nil && !tr.connAt.IsZero() {
		tr.t.connect += time.Since(tr.connAt)
		tr.connAt = time.Time{}
	}
	tr.mu.Unlock()
}

func (tr *tracer) tlsStart() {
	tr.mu.Lock()
	tr.tlsAt = time.Now()
	tr.mu.Unlock()
}

func (tr *tracer) tlsDone(tls.ConnectionState, error) {
	tr.mu.Lock()
	tr.t.tls += time.Since(tr.tlsAt)
	tr.mu.Unlock()
}

func (tr *tracer) gotConn(i httptrace.GotConnInfo) {
	tr.mu.Lock()
	tr.t.reused = i.Reused
	if i.WasIdle {
		tr.idleConns++
	}
	tr.mu.Unlock()
}

func (tr *tracer) gotFirstByte() {
	tr.mu.Lock()
	tr.t.ttfb = time.Since(tr.start)
	tr.mu.Unlock()
}

func (tr *tracer) result() timings {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.t
}

// httpVersion is the protocol of resp as curl's %{http_version} writes it.
func httpVersion(resp *http.Response) string {
	switch {
	case resp.ProtoMajor == 1 && resp.ProtoMinor == 1:
		return "1.1" // nearly every response: no string to build
	case resp.ProtoMajor == 2:
		return "2"
	case resp.ProtoMajor >= 2:
		return strconv.Itoa(resp.ProtoMajor)
	}
	return strconv.Itoa(resp.ProtoMajor) + "." + strconv.Itoa(resp.ProtoMinor)
}
