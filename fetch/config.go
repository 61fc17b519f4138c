package fetch

import (
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"
)

// Config says how to fetch. The zero value is usable: every zero field gets
// the default named in its comment.
type Config struct {
	// Concurrency caps the requests in flight (default 32).
	Concurrency int
	// Backlog is how many inputs may be read and waiting — for their host's
	// slot, pause or rate, or for a request slot — beyond the Concurrency in
	// flight (default 4×Concurrency; negative: none). It bounds how far
	// input is read ahead, and so the memory of a run, while letting URLs of
	// other hosts go past a host that is being waited for.
	Backlog int
	// PerHost caps the requests in flight to one host (host:port); 0 means
	// no cap beyond Concurrency.
	PerHost int
	// HostBacklog is how many inputs may wait for a host at its PerHost
	// cap, apart from the Backlog (default max(16×Concurrency, 256);
	// negative: none). An input whose host is busy leaves its place in the
	// backlog to the inputs behind it, so that a long run of URLs of one
	// host does not keep the others waiting: the reader goes past it until
	// HostBacklog inputs wait for busy hosts. Memory grows with it (a
	// goroutine and an input each), not with the list.
	HostBacklog int
	// Rate caps requests (attempts, retries included) per second across the
	// run; 0 means no rate limit. Burst is the token bucket's size (default 1).
	Rate  float64
	Burst int
	// HostRate caps attempts per second to each host; 0 means none.
	HostRate float64

	// Method is the request method (default GET); Header is sent with every
	// request; Body, when not nil, is sent with every attempt.
	Method string
	Header http.Header
	Body   []byte

	// Timeout bounds each attempt, from sending the request to the end of
	// its body, redirects included (default 30s). Time spent queued does
	// not count.
	Timeout time.Duration
	// Retries is how many times a failed attempt is retried (default 2; a
	// negative value means none). Network errors, timeouts and the statuses
	// of RetryOn are retried; other statuses are final. Requests whose
	// method is not idempotent (POST, PATCH, anything but GET, HEAD,
	// OPTIONS, TRACE, PUT and DELETE) are retried only when they cannot
	// have reached the server (connection refused, DNS failure), unless
	// RetryAllMethods is set: the server may have acted on the first one.
	Retries         int
	RetryAllMethods bool
	// RetryOn lists the statuses worth another attempt; nil means 408, 429
	// and the 5xx except 501 and 505. A Retry-After is honoured on them.
	RetryOn []int
	// FailFast stops the run at the first record that fails (see
	// [Record.Failed]), as an interrupt would: requests in flight are
	// cancelled and Run returns an error wrapping [ErrFailFast].
	FailFast bool
	// RetryBase and RetryMax shape the exponential backoff between attempts:
	// the n-th retry waits a random time in [d/2, d] where
	// d = min(RetryBase·2^(n-1), RetryMax) (defaults 250ms and 10s).
	RetryBase time.Duration
	RetryMax  time.Duration
	// MaxRetryAfter is the longest Retry-After the engine honours (default
	// 60s). A response asking for a longer wait is final, with error kind
	// retry_after_too_long, rather than retried early against the server's
	// wish. While a Retry-After runs, the whole host is paused: no request
	// is sent to it, even when the URL that got it is not retried (its
	// retries are spent, or the wait is too long: the host then pauses for
	// MaxRetryAfter).
	MaxRetryAfter time.Duration

	// MaxRedirects is how many redirects are followed (default 10); a
	// negative value means none: the 3xx response is the result.
	MaxRedirects int
	// LocationTrusted sends the credentials of the request — an
	// Authorization or Cookie header, the password of the URL — to every
	// URL a redirect leads to (curl's --location-trusted). Without it they
	// go only to the origin of the input URL: a redirect to another
	// scheme, host or port drops them, as curl does. Cookies of Jar follow
	// their own rules (domain, path, Secure), whatever this says.
	LocationTrusted bool
	// KeepPost lists the redirect statuses among 301, 302 and 303 after
	// which a POST stays a POST with its body (curl's --post301, --post302
	// and --post303). Otherwise, as RFC 9110 allows and curl does, a POST
	// becomes a GET without a body on 301 and 302; every other method keeps
	// its method and body there, as on 307 and 308; and a 303 makes
	// anything but HEAD a GET without a body.
	KeepPost []int
	// User, when set, is the name and password sent to servers that ask
	// for them (curl -u), by the scheme Auth says, and only to the origin
	// of the input URL unless LocationTrusted.
	User *url.Userinfo
	// Auth is how User is sent: see [AuthScheme].
	Auth AuthScheme
	// AutoReferer sends a Referer on each redirect, following the
	// strict-origin-when-cross-origin policy of browsers: the URL that
	// redirected (without fragment or password) to the same origin, only
	// its origin to another, and none from https to http. Without it no
	// Referer is added, as curl does unless --referer ';auto'.
	AutoReferer bool
	// MaxBody caps the bytes read from each body; 0 means no cap. A longer
	// body is cut there and its record marked Truncated, which is not a
	// failure.
	MaxBody int64
	// SaveDir, when set, is a directory where each body is saved under a
	// safe name made from the line number and the URL (see [SafeName]).
	// Bodies are otherwise read, counted and dropped.
	SaveDir string
	// Continue resumes saved bodies (aria2 -c, curl -C -): when the file
	// a body is saved to already holds N bytes — from an attempt cut short
	// or an earlier run — the request asks for the bytes from N on, and
	// the answer is appended only if it is a 206 whose Content-Range starts
	// at N. A 200 rewrites the file from the start; a 206 for other bytes is
	// asked again without Range; a 416 whose length is N means the file is
	// whole (outcome ok, status 416); an error status leaves the file as it
	// was. A body cut short stays on disk for the next attempt.
	Continue bool
	// SHA256 records the hex SHA-256 of each body read.
	SHA256 bool

	// Total is the number of inputs, when the caller knows it; it is passed
	// on in progress reports so that a bar can show done/total and an ETA.
	Total int64
	// Skip, when set, is asked about every input before dispatch (see
	// [Checkpoint.Skip]): inputs for which it returns true get a Skipped
	// outcome (counted, not written to the sink: their record is in an
	// earlier run's output). An error stops the run as an input read error
	// does: Run reads no further and returns it, wrapped in [ErrInput].
	Skip func(in Input) (bool, error)
	// OnRecord, when set, is called with every record (skipped ones too)
	// after the sink, one call at a time; it must not keep the pointer.
	OnRecord func(rec *Record)
	// Ordered makes Run write records in input order instead of completion
	// order. A record that finishes early is held until those of the
	// inputs before it are written; the reader stays at most OrderWindow
	// inputs (default 4096) ahead of the oldest record not yet written, so
	// memory stays bounded. When the window is full — a slow URL at its
	// head — reading pauses, and with it new requests, until that URL is
	// done: fewer requests run at once, and nothing is dropped or written
	// out of order.
	Ordered     bool
	OrderWindow int
	// Protected, when set, is asked about the file each body would be
	// saved to (SaveDir, out=), before its request: when it returns true,
	// the input gets an invalid record instead of a request, and nothing is
	// written. It may be called from several goroutines at once. fetchall
	// protects its URL list and its records this way, comparing files with
	// os.SameFile at that moment, so that no other spelling of their names
	// and no link gets past it.
	Protected func(path string) bool
	// KeepRecords keeps every record in the summary, for the listing sorted
	// by duration and for the timeline. Memory then grows with the list.
	KeepRecords bool
	// Transport, when set, replaces the engine's own transport (for tests
	// and custom dialing). The engine's transport is sized to the limits.
	Transport http.RoundTripper
	// UserAgent is sent unless Header sets one. Empty, requests carry
	// net/http's own (Go-http-client/1.1, or /2.0 over HTTP/2); the
	// fetchall command sets fetchall/1.
	UserAgent string

	// Connections: what curl users reach for (see transport.go). They
	// shape the engine's own transport and are ignored when Transport is
	// set; Jar is used either way.
	//
	// TLS is the client's TLS configuration (nil: the system's roots; see
	// [TLSFiles] for curl's -k, --cacert, --cert and --key). Proxy picks the
	// proxy of each request (nil: [http.ProxyFromEnvironment], which reads
	// HTTP_PROXY, HTTPS_PROXY and NO_PROXY once per process and never proxies
	// requests to localhost; [NoProxy] for none). ConnectTo sends the
	// connections for one host:port to another, as curl's --connect-to and
	// --resolve do. ConnectTimeout bounds making a connection, TLS handshake
	// included (default the smaller of Timeout and 10s); it is part of the
	// attempt's Timeout, never more. Compressed asks for a body encoded
	// with deflate, gzip, br or zstd (curl --compressed) and decodes it, so
	// that Bytes, SHA256 and the saved file are those of the decoded body; a
	// body that does not decode, or in another encoding, fails with error
	// kind bad_content_encoding and is not retried. Off, the body is taken
	// as the server sent it. Either way [Record.ContentEncoding] says which
	// encoding came. Jar, when set, sends
	// its cookies and keeps those the responses set (see [ReadCookieFile]).
	TLS            *tls.Config
	Proxy          func(*http.Request) (*url.URL, error)
	ConnectTo      []ConnectTo
	ConnectTimeout time.Duration
	Compressed     bool
	Jar            http.CookieJar
}

// The defaults of the Config fields that a command line also offers, so
// that its flags show and use the same values.
const (
	DefaultConcurrency   = 32
	DefaultOrderWindow   = 4096
	DefaultTimeout       = 30 * time.Second
	DefaultRetries       = 2
	DefaultMaxRetryAfter = 60 * time.Second
	DefaultMaxRedirects  = 10
)

// withDefaults returns c with every zero field set to its default, or an
// error for values that make no sense.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Concurrency < 0 || c.PerHost < 0 || c.Burst < 0 {
		errs = append(errs, errors.New("concurrency, per-host limit and burst must not be negative"))
	}
	if !(c.Rate >= 0) || !(c.HostRate >= 0) || math.IsInf(c.Rate, 1) || math.IsInf(c.HostRate, 1) {
		errs = append(errs, errors.New("rates must be finite and not negative"))
	}
	if c.Timeout < 0 || c.RetryBase < 0 || c.RetryMax < 0 || c.MaxRetryAfter < 0 || c.ConnectTimeout < 0 {
		errs = append(errs, errors.New("durations must not be negative"))
	}
	if c.OrderWindow < 0 {
		errs = append(errs, errors.New("the order window must not be negative"))
	}
	if c.MaxBody < 0 {
		errs = append(errs, errors.New("body cap must not be negative"))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("fetch: bad config: %w", errors.Join(errs...))
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Backlog == 0 {
		c.Backlog = 4 * c.Concurrency
	} else if c.Backlog < 0 {
		c.Backlog = 0
	}
	if c.HostBacklog == 0 {
		c.HostBacklog = max(16*c.Concurrency, 256)
	} else if c.HostBacklog < 0 {
		c.HostBacklog = 0
	}
	if c.OrderWindow == 0 {
		c.OrderWindow = DefaultOrderWindow
	}
	if c.PerHost > c.Concurrency {
		c.PerHost = c.Concurrency
	}
	if c.Burst == 0 {
		c.Burst = 1
	}
	if c.Method == "" {
		c.Method = http.MethodGet
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Retries == 0 {
		c.Retries = DefaultRetries
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.RetryBase == 0 {
		c.RetryBase = 250 * time.Millisecond
	}
	if c.RetryMax == 0 {
		c.RetryMax = 10 * time.Second
	}
	if c.MaxRetryAfter == 0 {
		c.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = DefaultMaxRedirects
	}
	return c, nil
}
