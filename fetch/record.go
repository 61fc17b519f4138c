package fetch

import (
	"strings"
	"time"
)

// Outcome is how the fetch of one URL ended.
type Outcome string

// The outcomes. Only OK counts as a success; Skipped URLs were not fetched
// because an earlier run already fetched them (see [Config.Skip]).
const (
	OK        Outcome = "ok"         // a final response with status below 400
	HTTPError Outcome = "http_error" // a final response with status 400 or above
	Failed    Outcome = "error"      // no usable response: network, timeout, TLS, redirects
	Invalid   Outcome = "invalid"    // the input is not a fetchable URL
	Cancelled Outcome = "cancelled"  // the run was cancelled before the fetch finished
	Skipped   Outcome = "skipped"    // already fetched by an earlier run
)

// Succeeded reports whether the outcome counts as a success for the exit
// status: OK, or Skipped (its success was recorded by an earlier run).
func (o Outcome) Succeeded() bool { return o == OK || o == Skipped }

// Error kinds, the machine-readable class of a record's error.
const (
	KindInvalidURL        = "invalid_url"
	KindInvalidLine       = "invalid_line" // per-line options that do not parse, or an out= name taken twice
	KindUnsupportedScheme = "unsupported_scheme"
	KindDNS               = "dns"
	KindRefused           = "connection_refused"
	KindReset             = "connection_reset"
	KindConnect           = "connect"
	KindTLS               = "tls"
	KindTimeout           = "timeout"
	KindRedirects         = "too_many_redirects"
	KindBadRedirect       = "bad_redirect"
	KindHTTP              = "http_status"
	KindRetryAfter        = "retry_after_too_long"
	KindSave              = "save"
	KindCancelled         = "cancelled"
	KindNetwork           = "network"
	KindDecode            = "bad_content_encoding" // a body that does not decode (curl's exit 61)
	KindInternal          = "internal"             // a bug: the fetch panicked
)

// Record is the result of fetching one input URL: exactly one per input, in
// completion order. Durations cover the last attempt's timings except
// Duration, which runs from the first attempt to the end of the last body,
// retry waits included; time spent queued for a concurrency slot, the host
// or the rate limit, before the first attempt or between later ones, is
// kept apart in Queued and not counted in Duration. Each interval is
// counted once: Start+Queued+Duration is when the fetch ended.
//
// The records a [Fetcher] returns or writes never hold a password: in URL,
// FinalURL and Error, a URL's user:password@ reads user:xxxxx@ (see
// [RedactURL]); the request was sent with the password.
type Record struct {
	Line      int     `json:"line"`
	URL       string  `json:"url"`
	FinalURL  string  `json:"final_url,omitempty"`
	Outcome   Outcome `json:"outcome"`
	Status    int     `json:"status,omitempty"`
	Bytes     int64   `json:"bytes"`
	Truncated bool    `json:"truncated,omitempty"` // the body was longer than the cap
	Attempts  int     `json:"attempts"`
	ErrorKind string  `json:"error_kind,omitempty"`
	Error     string  `json:"error,omitempty"`
	SHA256    string  `json:"sha256,omitempty"`
	SavedAs   string  `json:"saved_as,omitempty"`
	Reused    bool    `json:"reused,omitempty"` // the last attempt reused a kept-alive connection
	// HTTPVersion is the protocol of the last response, as curl's
	// %{http_version} writes it: "1.0", "1.1", "2".
	HTTPVersion string `json:"-"`
	// Redirects is how many redirects the last attempt followed.
	Redirects int `json:"-"`
	// RedirectURL is where a 3xx that was not followed pointed, made
	// absolute (curl's %{redirect_url}): with no redirects allowed, or
	// when the chain stopped there.
	RedirectURL string `json:"-"`
	// ContentEncoding is the Content-Encoding of the last response, as
	// it came (decoded or not: see [Config.Compressed]).
	ContentEncoding string `json:"-"`
	// ResumedFrom is how many bytes of the saved file were already on disk
	// from an earlier attempt or run, and were not fetched again (see
	// [Config.Continue]); Bytes counts the whole file.
	ResumedFrom int64 `json:"resumed_from,omitempty"`
	// AttemptTimes holds every attempt's times when the fetch took more
	// than one attempt or its Retry-After paused the host; a single
	// attempt's times are the record's own (Start+Queued on, DNS to TTFB,
	// Duration). Written as attempt_times. A pointer keeps Record
	// comparable.
	AttemptTimes *[]AttemptTime `json:"-"`

	Start    time.Duration `json:"-"` // when the fetch started, since the run began
	Duration time.Duration `json:"-"` // first attempt to the end of the last body
	Queued   time.Duration `json:"-"` // waiting for the host slot, a host pause or the rate limit
	Retried  time.Duration `json:"-"` // sleeping between attempts
	DNS      time.Duration `json:"-"`
	Connect  time.Duration `json:"-"`
	TLS      time.Duration `json:"-"`
	TTFB     time.Duration `json:"-"` // from sending the request to the first response byte
}

// Failed reports whether the record counts as a failure (not OK, skipped or
// cancelled).
func (r *Record) Failed() bool {
	return r.Outcome == HTTPError || r.Outcome == Failed || r.Outcome == Invalid
}

// Host returns the lower-case host[:port] of the record's URL, as written
// in it (user information dropped, and no default port added, unlike
// [HostKey]): the key by which a summary counts hosts (see
// [Summary.Hosts]). It does not parse the
// URL, so it is cheap, and for a URL with no "://" it is what comes before
// the first /, ? or #.
func (r *Record) Host() string {
	u := r.URL
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	return strings.ToLower(u)
}

// StatusClass returns "2xx", "3xx", "4xx", "5xx", "1xx" or "none".
func (r *Record) StatusClass() string {
	switch r.Status / 100 {
	case 1:
		return "1xx"
	case 2:
		return "2xx"
	case 3:
		return "3xx"
	case 4:
		return "4xx"
	case 5:
		return "5xx"
	}
	return "none"
}
