// Package fetch is the engine of the fetchall tool: it fetches a stream of
// URLs concurrently and produces exactly one [Record] per input URL, in the
// order the requests complete.
//
// The engine is built on the async package: every request is a task in an
// [async.Group]; the run reports its progress with [async.Report], so a
// caller that runs it as a task can follow it with WatchProgress; a
// per-attempt deadline is an [async.Timeout]; cancelling the context stops
// dispatch and cancels requests in flight, and every URL already read still
// gets its record, marked cancelled.
//
// Input is consumed lazily: the dispatcher takes the next URL only when a
// concurrency slot is free, so a list of any length runs in memory bounded
// by the concurrency limit, not by the list.
//
// A minimal use:
//
//	f, err := fetch.New(fetch.Config{Concurrency: 32, Timeout: 10 * time.Second})
//	if err != nil { ... }
//	sum, err := f.Run(ctx, fetch.Lines(os.Stdin), fetch.NewJSONLWriter(os.Stdout))
//	fmt.Print(sum.Text())
package fetch
