package fetch

import (
	"encoding/json"
	"time"
)

// AttemptTime is when one attempt of a fetch ran and how its time split,
// for a timeline of the fetch. Times are since the run began.
type AttemptTime struct {
	Queued  time.Duration // waited just before the attempt: host slot, host pause, rate, concurrency slot
	Start   time.Duration // when the attempt began
	DNS     time.Duration
	Connect time.Duration
	TLS     time.Duration
	TTFB    time.Duration // from sending the request to the first response byte
	End     time.Duration // when the attempt ended: body read, or failed
	Backoff time.Duration // slept after the attempt before the next one
	// Pause is how long the attempt's Retry-After paused its whole host,
	// from End on.
	Pause     time.Duration
	Status    int
	ErrorKind string
}

// attemptTimeJSON is an AttemptTime as written in JSON Lines, in
// milliseconds like the record's own durations.
type attemptTimeJSON struct {
	QueuedMS  float64 `json:"queued_ms"`
	StartMS   float64 `json:"start_ms"`
	DNSMS     float64 `json:"dns_ms"`
	ConnectMS float64 `json:"connect_ms"`
	TLSMS     float64 `json:"tls_ms"`
	TTFBMS    float64 `json:"ttfb_ms"`
	EndMS     float64 `json:"end_ms"`
	BackoffMS float64 `json:"backoff_ms,omitempty"`
	PauseMS   float64 `json:"pause_ms,omitempty"`
	Status    int     `json:"status,omitempty"`
	ErrorKind string  `json:"error_kind,omitempty"`
}

// MarshalJSON writes the durations in milliseconds.
func (a AttemptTime) MarshalJSON() ([]byte, error) { return a.appendJSON(nil), nil }

// UnmarshalJSON reads what MarshalJSON writes.
func (a *AttemptTime) UnmarshalJSON(data []byte) error {
	var j attemptTimeJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*a = AttemptTime{
		Queued: fromMS(j.QueuedMS), Start: fromMS(j.StartMS), DNS: fromMS(j.DNSMS), Connect: fromMS(j.ConnectMS),
		TLS: fromMS(j.TLSMS), TTFB: fromMS(j.TTFBMS), End: fromMS(j.EndMS), Backoff: fromMS(j.BackoffMS),
		Pause: fromMS(j.PauseMS), Status: j.Status, ErrorKind: j.ErrorKind,
	}
	return nil
}

// attemptLog collects a fetch's attempt times. A fetch of one attempt that
// paused no host keeps them to itself (the record's own timings say it
// all, and the common case builds no AttemptTime and allocates nothing):
// only the end of its first attempt is noted. From a second attempt or a
// pause on, every attempt is in Record.AttemptTimes, the first one's
// made then from what the record still holds of it.
type attemptLog struct {
	firstBackoff time.Duration // the first attempt's backoff, until the second attempt
	firstEnd     time.Duration // when the first attempt ended, if it paused no host
}

// note adds attempt number n, of result res, with add (see add and
// attemptResult.attemptTime for the other arguments). Apart from do, so
// that the AttemptTime is not in do's frame.
//
//go:noinline
func (l *attemptLog) note(rec *Record, res *attemptResult, queued, start, end, paused time.Duration, n int, firstStart, firstQueued time.Duration) {
	l.add(rec, res.attemptTime(queued, start, end, paused), n, firstStart, firstQueued)
}

// add notes attempt number n, t, a second or later one or one that
// paused its host. rec still holds what the attempt before left in it;
// firstStart is when the first attempt began (since the run began), and
// firstQueued how long it waited.
func (l *attemptLog) add(rec *Record, t AttemptTime, n int, firstStart, firstQueued time.Duration) {
	if rec.AttemptTimes == nil {
		list := make([]AttemptTime, 0, 2)
		if n > 1 {
			list = append(list, l.firstOf(rec, firstStart, firstQueued))
		}
		list = append(list, t)
		rec.AttemptTimes = &list
		return
	}
	*rec.AttemptTimes = append(*rec.AttemptTimes, t)
}

// firstOf returns the times of the first attempt, which paused no host,
// when the second is made: the record's timings, status and error kind
// are still the first attempt's (the error kind of an attempt that is
// retried is its AttemptTime's: classify's, or KindHTTP).
func (l *attemptLog) firstOf(rec *Record, start, queued time.Duration) AttemptTime {
	t := AttemptTime{Backoff: l.firstBackoff} // the backoff after it, if any
	t.Queued, t.Start, t.End = queued, start, l.firstEnd
	t.DNS, t.Connect, t.TLS, t.TTFB = rec.DNS, rec.Connect, rec.TLS, rec.TTFB
	t.Status, t.ErrorKind = rec.Status, rec.ErrorKind
	return t
}

// backoff notes the sleep after the last attempt.
func (l *attemptLog) backoff(rec *Record, d time.Duration) {
	if p := rec.AttemptTimes; p != nil {
		(*p)[len(*p)-1].Backoff = d
	} else {
		l.firstBackoff = d
	}
}
