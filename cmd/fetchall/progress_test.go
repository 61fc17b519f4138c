package main

import (
	"bytes"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"
)

func TestProgressBarShowsDoneTotalAndFailures(t *testing.T) {
	var out bytes.Buffer
	var failed atomic.Int64
	failed.Store(3)
	bar := newProgressBar(&out, 40, &failed, mpb.WithAutoRefresh())
	for range 40 {
		bar.increment()
	}
	bar.finish(false)
	text := out.String()
	if !strings.Contains(text, "40 / 40") || !strings.Contains(text, "3 failed") || !strings.Contains(text, "100 %") {
		t.Errorf("bar output %q", text)
	}
}

func TestProgressSpinnerWhenTheTotalIsUnknown(t *testing.T) {
	var out bytes.Buffer
	var failed atomic.Int64
	bar := newProgressBar(&out, 0, &failed, mpb.WithAutoRefresh())
	for range 7 {
		bar.increment()
	}
	bar.finish(true)
	if text := out.String(); !strings.Contains(text, "7 done") || strings.Contains(text, "failed") {
		t.Errorf("spinner output %q", text)
	}
}

// TestProgressBarLabelsItsETA: while the bar runs, its last column says
// what it is ("ETA 3s"), not a bare duration.
func TestProgressBarLabelsItsETA(t *testing.T) {
	var out syncBuffer
	var failed atomic.Int64
	refresh := make(chan interface{})
	bar := newProgressBar(&out, 40, &failed, mpb.WithAutoRefresh(), mpb.WithManualRefresh(refresh))
	for range 20 {
		bar.increment()
	}
	waitFor(t, "the bar at 20 / 40", func() bool {
		select {
		case refresh <- time.Now():
		default:
		}
		return strings.Contains(out.String(), "20 / 40")
	})
	bar.finish(false)
	if !regexp.MustCompile(`20 / 40 .*  ETA +\d`).MatchString(out.String()) {
		t.Errorf("bar output %q", out.String())
	}
}
