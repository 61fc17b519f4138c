package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asyncgo/async/fetch"
)

// TestMinorMessagesSayWhatIsWrong: each usage mistake is named as what it
// is.
func TestMinorMessagesSayWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"-save", filepath.Join(dir, "missing")}, "does not exist"},
		{[]string{"-save", file}, "not a directory"},
		{[]string{"-timeout", "30"}, `-timeout "30": want a duration like 5s`},
		{[]string{"-connect-timeout", "5"}, `-connect-timeout "5": want a duration like 5s`},
		{[]string{"-max-time", "1"}, `-max-time "1": want a duration like 5s`},
	} {
		r := cli(t, context.Background(), "", append(c.args, "http://127.0.0.1:1/")...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.says) {
			t.Errorf("%q: exit %d %q; want a usage error saying %q", c.args, r.code, r.stderr, c.says)
		}
	}
	// -continue without -save resumes only out= lines: said, not silent.
	r := cli(t, context.Background(), "", "-q", "-retries", "0", "-continue", "http://127.0.0.1:1/")
	if !strings.Contains(r.stderr, "-continue without -save") {
		t.Errorf("-continue without -save: %q", r.stderr)
	}
}

// TestLineOptionsAreReportedAsWhatTheyAre: an out= name with white space
// and an unknown option after the URL are invalid lines that say so, not
// invalid URLs.
func TestLineOptionsAreReportedAsWhatTheyAre(t *testing.T) {
	list := "http://127.0.0.1:1/a out=with space.txt\nhttp://127.0.0.1:1/b outt=x.txt\nhttp://127.0.0.1:1/c out=ok.txt referer=x\n"
	r := cli(t, context.Background(), list, "-q", "-i", "-")
	recs := records(t, r.stdout)
	if len(recs) != 3 {
		t.Fatalf("%d records: %s", len(recs), r.stdout)
	}
	for i, want := range []string{`"space.txt"`, `unknown option "outt"`, `unknown option "referer"`} {
		rec := recs[i]
		if rec.ErrorKind != "invalid_line" || !strings.Contains(rec.Error, want) || strings.Contains(rec.Error, "invalid URL") {
			t.Errorf("line %d: %s %q; want invalid_line saying %s", rec.Line, rec.ErrorKind, rec.Error, want)
		}
	}
}

// TestDiskFullSaysWhichRecordsReachedTheFile: on a full disk (/dev/full),
// the summary's counts are of the records the run made; it says how many
// of them reached the file.
func TestDiskFullSaysWhichRecordsReachedTheFile(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Fatalf("no /dev/full to fill: %v", err)
	}
	r := cli(t, context.Background(), "", "-retries", "0", "-o", "/dev/full", "http://127.0.0.1:1/a", "http://127.0.0.1:1/b", "http://127.0.0.1:1/c")
	if r.code != exitFailures || !strings.Contains(r.stderr, "no space left on device") ||
		!strings.Contains(r.stderr, "only 0 of the 3 records reached /dev/full before writing failed") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestFlagDefaultsAreTheEngines: the run's flags default to the engine's
// own defaults (written once, in package fetch).
func TestFlagDefaultsAreTheEngines(t *testing.T) {
	j, err := parseArgs([]string{"-q", "http://127.0.0.1:1/"}, strings.NewReader(""), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	f, err := fetch.New(fetch.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := f.Config()
	got := j.cfg
	if got.Concurrency != want.Concurrency || got.OrderWindow != want.OrderWindow || got.Timeout != want.Timeout ||
		got.Retries != want.Retries || got.MaxRetryAfter != want.MaxRetryAfter || got.MaxRedirects != want.MaxRedirects {
		t.Errorf("flag defaults %+v differ from the engine's %+v", got, want)
	}
}
