package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asyncgo/async/fetch"
)

func TestCompactKeepsTheLastRecordOfEveryLine(t *testing.T) {
	s := demo(t)
	ctx := context.Background()
	// Line 2 fails twice (500 without retries), then succeeds: three runs
	// leave three records for it.
	in := writeFile(t, "list.txt", fmt.Sprintf("%s/item?a\n%s/flaky?id=c1&code=500&fails=2\n%s/item?b\n", s.URL, s.URL, s.URL))
	out := filepath.Join(filepath.Dir(in), "out.jsonl")
	for range 3 {
		cli(t, ctx, "", "-q", "-retries", "0", "-i", in, "-o", out, "-resume", out)
	}
	f, _ := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"line":3,"url":"http://to`) // torn
	f.Close()
	if n := len(fileRecordsLenient(t, out)); n != 5 {
		t.Fatalf("%d records before compact, want 5", n)
	}
	r := cli(t, ctx, "", "compact", out)
	if r.code != exitOK || !strings.Contains(r.stdout, "5 records, 3 kept (one per line), 2 superseded, 1 torn dropped") {
		t.Fatalf("compact: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	recs := fileRecords(t, out)
	if len(recs) != 3 {
		t.Fatalf("%d records after compact, want 3", len(recs))
	}
	for i, rec := range recs {
		if rec.Line != i+1 || rec.Outcome != fetch.OK {
			t.Errorf("record %d: line %d %s; want line %d, ok (the last record of the line)", i, rec.Line, rec.Outcome, i+1)
		}
	}
	// Still a checkpoint: nothing left to fetch.
	if r := cli(t, ctx, "", "-i", in, "-o", out, "-resume", out); r.code != exitOK || !strings.Contains(r.stderr, "skipped 3") {
		t.Errorf("resume after compact: %d %s", r.code, r.stderr)
	}
}

func TestCompactRefusesWhatIsNotACheckpointAndChangesNothing(t *testing.T) {
	text := "{\"line\":1,\"url\":\"http://a.test/\",\"outcome\":\"ok\"}\nhttp://not-a-record/\n"
	name := writeFile(t, "urls.jsonl", text)
	r := cli(t, context.Background(), "", "compact", name)
	if data, _ := os.ReadFile(name); r.code != exitUsage || string(data) != text || !strings.Contains(r.stderr, "line 2 is not a record") {
		t.Errorf("exit %d %q; file now %q", r.code, r.stderr, data)
	}
	entries, _ := os.ReadDir(filepath.Dir(name))
	if len(entries) != 1 {
		t.Errorf("a temporary file was left behind: %v", entries)
	}
	for _, args := range [][]string{{"compact"}, {"compact", "a", "b"}, {"compact", filepath.Join(t.TempDir(), "missing")}} {
		if r := cli(t, context.Background(), "", args...); r.code != exitUsage {
			t.Errorf("%q: exit %d", args, r.code)
		}
	}
}

// fileRecordsLenient reads the records of a checkpoint, skipping torn ones.
func fileRecordsLenient(t *testing.T, name string) []string {
	t.Helper()
	data, _ := os.ReadFile(name)
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasSuffix(l, "}") {
			out = append(out, l)
		}
	}
	return out
}

func TestAFileBeingWrittenIsNeitherCompactedNorWrittenByASecondRun(t *testing.T) {
	s := demo(t)
	in := writeFile(t, "list.txt", s.URL+"/item?a\n")
	out := filepath.Join(filepath.Dir(in), "out.jsonl")
	os.WriteFile(out, []byte(`{"line":1,"url":"`+s.URL+`/item?a","outcome":"ok"}`+"\n"), 0o644)
	j, err := parseArgs([]string{"-q", "-i", in, "-o", out, "-resume", out}, nil, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close() // the run holds the checkpoint until then
	before, _ := os.ReadFile(out)
	if r := cli(t, context.Background(), "", "compact", out); r.code != exitUsage || !strings.Contains(r.stderr, "another fetchall is writing it") {
		t.Errorf("compact during a run: exit %d %q", r.code, r.stderr)
	}
	for _, args := range [][]string{{"-o", out, "-resume", out}, {"-o", out}} {
		r := cli(t, context.Background(), "", append([]string{"-q", "-i", in}, args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "another fetchall is writing it") {
			t.Errorf("%q during a run: exit %d %q", args, r.code, r.stderr)
		}
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Errorf("the checkpoint changed: %q", after)
	}
}
