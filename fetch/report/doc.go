// Package report presents a run of the fetch engine to people: the
// summary as a few lines of text ([Summary]), records as an aligned table
// on a terminal ([TableWriter]), a run drawn on a time axis as one static
// HTML page ([WriteTimeline]), and the formatting they share
// ([FormatDuration], [Plural], [Printable], [ShortenURL]).
//
//	sum, err := f.Run(ctx, fetch.Lines(os.Stdin), report.NewTableWriter(os.Stdout))
//	if err != nil { ... }
//	fmt.Print(report.Summary(sum))
//
// Package fetch is the engine and does not import this package: its
// records, their JSON Lines and CSV formats, and a [fetch.Summary]'s
// numbers are the data; this package is one way of showing them.
package report
