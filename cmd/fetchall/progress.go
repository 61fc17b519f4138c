package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal that can draw a live bar.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
}

// progressBar is the live bar on stderr: done/total, rate, errors and ETA
// (labelled) when the total is known; a spinner with the count and rate when not.
type progressBar struct {
	p   *mpb.Progress
	bar *mpb.Bar
}

// newProgressBar draws on w, which must be a terminal unless opts has
// mpb.WithAutoRefresh (as the tests use).
func newProgressBar(w io.Writer, total int64, failed *atomic.Int64, opts ...mpb.ContainerOption) *progressBar {
	opts = append([]mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150 * time.Millisecond)}, opts...)
	p := mpb.New(opts...)
	errs := decor.Any(func(decor.Statistics) string {
		if n := failed.Load(); n > 0 {
			return fmt.Sprintf("  %d failed", n)
		}
		return ""
	})
	speed := decor.AverageSpeed(0, "  %.1f/s")
	var bar *mpb.Bar
	if total > 0 {
		bar = p.New(total, mpb.BarStyle(),
			mpb.PrependDecorators(decor.CountersNoUnit("%d / %d")),
			mpb.AppendDecorators(decor.Percentage(decor.WC{W: 5}), speed, errs,
				decor.OnComplete(decor.Name("  ETA "), ""),
				decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WC{W: 6, C: decor.DindentRight}), "")))
	} else {
		bar = p.New(0, mpb.SpinnerStyle(),
			mpb.PrependDecorators(decor.CurrentNoUnit("%d done")),
			mpb.AppendDecorators(speed, errs, decor.Elapsed(decor.ET_STYLE_GO, decor.WC{W: 8})))
	}
	return &progressBar{p: p, bar: bar}
}

// increment counts one more record done.
func (b *progressBar) increment() { b.bar.Increment() }

// finish completes the bar, or leaves it where it stopped when the run was
// interrupted, and waits until it is drawn for the last time, so that the
// summary prints below it.
func (b *progressBar) finish(interrupted bool) {
	if interrupted {
		b.bar.Abort(false)
	} else {
		b.bar.SetTotal(-1, true)
	}
	b.p.Wait()
}
