package main

import (
	"bytes"
	"strings"
	"sync/atomic"
	"testing"

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
