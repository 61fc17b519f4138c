// Package fetch is the engine of the fetchall tool: it fetches a stream of
// URLs concurrently and produces exactly one [Record] per input URL, in the
// order the requests complete, and a [Summary] of the run.
//
//	f, err := fetch.New(fetch.Config{Concurrency: 32, PerHost: 4, Timeout: 10 * time.Second})
//	if err != nil { ... }
//	defer f.Close()
//	sum, err := f.Run(ctx, fetch.Lines(os.Stdin), fetch.NewJSONLWriter(os.Stdout))
//	fmt.Print(report.Summary(sum))
//
// It is the engine and nothing else: what a person sees of a run — the
// summary as text, a table of records on a terminal, the timeline page —
// is package fetch/report, which this package does not import.
//
// # Built on the async package
//
// Every URL is a task in an [async.Group], one group per host (host:port),
// each run by a task of the run's group "fetch.Run": under [async.Run] the
// task tree shows a run's URLs by host, and a task held by a host's
// Retry-After awaiting its end ([async.SleepNamed]). A URL read while every
// request slot is busy waits in line as an input, and its task starts when
// a slot is free, as a bare loop of goroutines behind a semaphore would
// start one: the tree shows the URLs in flight and those waiting for their
// host (its pause, its rate or its PerHost cap), not those waiting only for
// a slot. A URL's record is written when its task is done (or when the run
// ends, for a URL still in line), so even a task that never started (its
// group was cancelled first) or that panicked yields a record. Each attempt runs under an
// [async.Timeout]. Run reports its progress with [async.Report], so a caller
// that runs it as a task follows it with WatchProgress (fetchall's bar does).
// Cancelling the context stops dispatch and cancels the requests in flight;
// every URL already read still gets its record, marked [Cancelled].
//
// # Bounded memory on any list
//
// The input is an iterator read lazily: the dispatcher takes the next URL
// only when fewer than Concurrency+Backlog URLs are pending, so a list of ten
// million lines needs no more memory than one of a thousand. The backlog
// lets URLs of other hosts go past a host that is being waited for (its
// per-host slot, its rate, or a Retry-After pause), without reading ahead
// without bound. With PerHost, URLs waiting for their busy host leave their
// backlog place to the URLs behind them (up to HostBacklog), so a long run
// of one host does not starve the others. Records are written as they
// complete (in input order with Ordered, through a bounded reorder window)
// and not kept, and the
// latency percentiles come from a fixed-size histogram; only
// [Config.KeepRecords] (for a sorted listing or a timeline) keeps them.
//
// # Politeness and retries
//
// Concurrency caps requests in flight; PerHost caps them per host; Rate and
// HostRate cap attempts per second overall and per host. Network errors,
// timeouts and the statuses of RetryOn (by default 408, 429 and most 5xx)
// are retried with exponential backoff and jitter; a POST or PATCH only when
// it cannot have been sent, unless RetryAllMethods. A Retry-After (seconds
// or HTTP date) is honoured exactly and pauses the whole host, since it
// speaks for the server, not for one URL: no request reaches the host until
// it ends, even when the URL that got it is not retried. One longer than
// MaxRetryAfter ends the URL instead of being cut short. Time spent waiting
// is recorded apart (Queued, Retried) from the request's Duration, each
// interval once. FailFast stops a run at its first failure.
//
// # Records
//
// A record has the input line number, URL, final URL after redirects,
// outcome (ok, http_error, error, invalid, cancelled), status, bytes read,
// attempts, an error kind and message, and the timing of the last attempt
// from net/http/httptrace: DNS, connect, TLS and time to first byte.
// [JSONLWriter] and [CSVWriter] write them (with a chosen set of fields,
// SetFields), through a [GroupWriter] for group commit; a JSON Lines file is
// also a checkpoint: [LoadCheckpoint] reads it back for [Config.Skip], line
// by line, so an interrupted run resumes without fetching any line twice
// ([CutTornTail] cuts what a crash tore first), and [Compact] keeps the last
// record of each line after repeated resumes.
//
// Package fetch/demoserver is a local server with every kind of endpoint
// the engine must handle, for tests, examples and fetchall demo.
package fetch
