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

// fileRecords reads a JSON Lines file of records.
func fileRecords(t *testing.T, name string) []fetch.Record {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return records(t, string(data))
}

func TestResumeUnderAnotherNameOfTheOutputAppends(t *testing.T) {
	s := demo(t)
	dir := t.TempDir()
	var list strings.Builder
	for i := range 20 {
		fmt.Fprintf(&list, "%s/item?i=%d\n", s.URL, i)
	}
	in := writeFile(t, "list.txt", list.String())
	out := filepath.Join(dir, "pr.jsonl")
	if r := cli(t, context.Background(), "", "-q", "-i", in, "-o", out); r.code != exitOK {
		t.Fatalf("first run: %d %s", r.code, r.stderr)
	}
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Link(out, link); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	// The same file as ./pr.jsonl, pr.jsonl, an absolute path and a hard link.
	for _, names := range [][2]string{{"./pr.jsonl", "pr.jsonl"}, {out, "pr.jsonl"}, {"link.jsonl", "./pr.jsonl"}} {
		r := cli(t, context.Background(), "", "-q", "-i", in, "-o", names[0], "-resume", names[1])
		if r.code != exitOK {
			t.Fatalf("-o %s -resume %s: exit %d %s", names[0], names[1], r.code, r.stderr)
		}
		if n := len(fileRecords(t, out)); n != 20 {
			t.Fatalf("-o %s -resume %s: %d records, want the 20 of the first run kept", names[0], names[1], n)
		}
	}
}

func TestOutputThatIsTheInputIsRefused(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, "same.txt", "http://127.0.0.1:1/a\nhttp://127.0.0.1:1/b\n")
	t.Chdir(filepath.Dir(in))
	for _, args := range [][]string{
		{"-i", in, "-o", in},
		{"-i", "same.txt", "-o", "./same.txt"},
		{"-i", in, "-o", filepath.Join(dir, "out.jsonl"), "-timeline", "same.txt"},
	} {
		r := cli(t, context.Background(), "", append([]string{"-q"}, args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "same.txt") {
			t.Errorf("%q: exit %d %q; want a usage error", args, r.code, r.stderr)
		}
		if data, _ := os.ReadFile(in); string(data) != "http://127.0.0.1:1/a\nhttp://127.0.0.1:1/b\n" {
			t.Fatalf("%q: the URL list became %q", args, data)
		}
	}
}

func TestOutputThatIsTheTimelineIsRefusedBeforeTruncating(t *testing.T) {
	name := writeFile(t, "earlier.jsonl", "{\"line\":1,\"url\":\"http://a.test/\",\"outcome\":\"ok\"}\n")
	r := cli(t, context.Background(), "", "-q", "-o", name, "-timeline", name, "http://127.0.0.1:1/")
	if data, _ := os.ReadFile(name); r.code != exitUsage || len(data) == 0 {
		t.Errorf("exit %d %q; the file now has %d bytes", r.code, r.stderr, len(data))
	}
}

// TestResumeCutsATornTailBeforeAppending: the record a crash tore at the
// end of a checkpoint is cut before records are appended, whether it lacks
// its newline (kill -9 in the middle of a write) or was ended with one by
// an earlier version; the file stays JSON Lines, every line a record. A
// whole record that only lacks its newline is kept.
func TestResumeCutsATornTailBeforeAppending(t *testing.T) {
	s := demo(t)
	in := writeFile(t, "list.txt", fmt.Sprintf("%s/item?a\n%s/item?b\n%s/item?c\n", s.URL, s.URL, s.URL))
	out := filepath.Join(filepath.Dir(in), "out.jsonl")
	if r := cli(t, context.Background(), "", "-q", "-ordered", "-i", in, "-o", out); r.code != exitOK {
		t.Fatalf("first run: %d %s", r.code, r.stderr)
	}
	whole, _ := os.ReadFile(out)
	lines := strings.SplitAfter(string(whole), "\n")
	two := lines[0] + lines[1]
	for _, c := range []struct {
		name, file string
		torn       int
		keep       string // what the file must start with after the resume
		fetched    int    // records appended
	}{
		{"no newline", two + lines[2][:len(lines[2])-20], 1, two, 1},
		{"ended by an earlier version", two + lines[2][:len(lines[2])-20] + "\n", 1, two, 1},
		{"two torn", lines[0] + lines[1][:30] + "\n" + lines[2][:25], 2, lines[0], 2},
		{"whole but for the newline", string(whole[:len(whole)-1]), 0, string(whole), 0},
	} {
		os.WriteFile(out, []byte(c.file), 0o644)
		r := cli(t, context.Background(), "", "-i", in, "-o", out, "-resume", out)
		if r.code != exitOK {
			t.Fatalf("%s: resume: %d %s", c.name, r.code, r.stderr)
		}
		if c.torn > 0 && !strings.Contains(r.stderr, fmt.Sprintf("the checkpoint had %d torn record", c.torn)) {
			t.Errorf("%s: the summary does not count %d torn records:\n%s", c.name, c.torn, r.stderr)
		}
		after, _ := os.ReadFile(out)
		if !strings.HasPrefix(string(after), c.keep) || !strings.HasSuffix(string(after), "\n") {
			t.Errorf("%s: the whole records were not kept, or the file does not end a line:\n%s", c.name, after)
		}
		recs := records(t, string(after)) // fails at a line that is not JSON
		if want := len(strings.Split(c.keep, "\n")) - 1 + c.fetched; len(recs) != want {
			t.Errorf("%s: %d records, want %d:\n%s", c.name, len(recs), want, after)
		}
		ok := map[int]int{}
		for _, rec := range recs {
			if rec.Outcome == fetch.OK {
				ok[rec.Line]++
			}
		}
		if len(ok) != 3 || ok[1] != 1 || ok[2] != 1 || ok[3] != 1 {
			t.Errorf("%s: ok records per line %v, want one for each of the 3", c.name, ok)
		}
	}
	// The file stays a checkpoint: resuming again fetches nothing.
	r := cli(t, context.Background(), "", "-i", in, "-o", out, "-resume", out)
	if r.code != exitOK || !strings.Contains(r.stderr, "skipped 3") {
		t.Errorf("second resume: %d %s", r.code, r.stderr)
	}
}

func TestResumeOfAFileThatIsNotJSONLinesIsAnError(t *testing.T) {
	in := writeFile(t, "list.txt", "http://127.0.0.1:1/a\n")
	notJSONL := writeFile(t, "urls.txt", "http://127.0.0.1:1/a\nhttp://127.0.0.1:1/b\n")
	r := cli(t, context.Background(), "", "-q", "-i", in, "-resume", notJSONL)
	if r.code != exitUsage || !strings.Contains(r.stderr, "not a fetchall JSON Lines file: line 1") {
		t.Errorf("exit %d %q; want a usage error naming line 1", r.code, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "other.jsonl")
	r = cli(t, context.Background(), "", "-q", "-i", in, "-o", out, "-resume", filepath.Join(t.TempDir(), "typo.jsonl"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "typo.jsonl: no such file") {
		t.Errorf("missing -resume file: exit %d %q", r.code, r.stderr)
	}
}

func TestFlagsAfterURLsAreFlags(t *testing.T) {
	s := demo(t)
	r := cli(t, context.Background(), "", "-q", s.URL+"/item?size=5000", "-max-body", "1KiB", s.URL+"/item?size=3000")
	recs := records(t, r.stdout)
	if r.code != exitOK || len(recs) != 2 {
		t.Fatalf("exit %d, %d records: %s %s", r.code, len(recs), r.stdout, r.stderr)
	}
	for _, rec := range recs {
		if rec.Bytes != 1024 || !rec.Truncated {
			t.Errorf("%s: %d bytes, truncated %v; want the -max-body after the URLs applied", rec.URL, rec.Bytes, rec.Truncated)
		}
	}
	// After --, everything is a URL (here an invalid one).
	r = cli(t, context.Background(), "", "-q", "--", "-max-body")
	if recs := records(t, r.stdout); r.code != exitFailures || len(recs) != 1 || recs[0].Outcome != fetch.Invalid {
		t.Errorf("after --: exit %d %s", r.code, r.stdout)
	}
}

func TestNoBodyIsSavedOverTheRecordsOrTheList(t *testing.T) {
	s := demo(t)
	dir := t.TempDir()
	t.Chdir(dir)
	list := fmt.Sprintf("%s/item?a out=out.jsonl\n%s/item?b out=list.txt\n%s/item?c out=c.bin\n", s.URL, s.URL, s.URL)
	os.WriteFile("list.txt", []byte(list), 0o644)
	r := cli(t, context.Background(), "", "-q", "-i", "list.txt", "-o", "out.jsonl", "-resume", "out.jsonl")
	if got, _ := os.ReadFile("list.txt"); string(got) != list {
		t.Fatalf("the URL list was overwritten: %q", got)
	}
	checkRefusedButLine3(t, r, fileRecords(t, "out.jsonl"), 3)
}

// checkRefusedButLine3 checks a run of n lines whose line 3 alone saves
// its body where it may: every other line is refused, invalid.
func checkRefusedButLine3(t *testing.T, r result, recs []fetch.Record, n int) {
	t.Helper()
	if r.code != exitFailures || len(recs) != n {
		t.Fatalf("exit %d, %d records: %s", r.code, len(recs), r.stderr)
	}
	for _, rec := range recs {
		if rec.Line != 3 && (rec.Outcome != fetch.Invalid || !strings.Contains(rec.Error, "would overwrite")) {
			t.Errorf("line %d: %s %q; want refused", rec.Line, rec.Outcome, rec.Error)
		}
		if rec.Line == 3 && rec.Outcome != fetch.OK {
			t.Errorf("line 3: %s %q", rec.Outcome, rec.Error)
		}
	}
}

// TestNoBodyIsSavedOverTheRecordsOrTheListByAnyName: the URL list and the
// records are protected as files, not names: through a symbolic link, a
// hard link, or a -save directory reached through a link, no body is
// saved over them.
func TestNoBodyIsSavedOverTheRecordsOrTheListByAnyName(t *testing.T) {
	s := demo(t)
	dir := t.TempDir()
	t.Chdir(dir)
	os.Mkdir("real", 0o755)
	if err := os.Symlink("real", "linkdir"); err != nil {
		t.Fatal(err)
	}
	list := fmt.Sprintf("%[1]s/item?a out=link.txt\n%[1]s/item?b out=hard.jsonl\n%[1]s/item?c out=c.bin\n"+
		"%[1]s/item?d out=list.txt\n%[1]s/item?e out=out.jsonl\n", s.URL)
	os.WriteFile("real/list.txt", []byte(list), 0o644)
	os.WriteFile("real/out.jsonl", nil, 0o644)
	if err := os.Symlink("list.txt", "real/link.txt"); err != nil {
		t.Fatal(err)
	}
	if err := os.Link("real/out.jsonl", "real/hard.jsonl"); err != nil {
		t.Fatal(err)
	}
	save := filepath.Join(dir, "linkdir") // the same directory as real, by another name
	r := cli(t, context.Background(), "", "-q", "-i", "real/list.txt", "-o", "./real/../real/out.jsonl", "-save", save)
	if got, _ := os.ReadFile("real/list.txt"); string(got) != list {
		t.Fatalf("the URL list was overwritten: %q", got)
	}
	checkRefusedButLine3(t, r, fileRecords(t, "real/out.jsonl"), 5)
	if got, _ := os.ReadFile("real/c.bin"); len(got) == 0 {
		t.Errorf("line 3's body was not saved")
	}
}

func TestResumedCheckpointIsAppendedToNotOverwritten(t *testing.T) {
	s := demo(t)
	in := writeFile(t, "list.txt", s.URL+"/item?a\n"+s.URL+"/item?b\n")
	out := filepath.Join(filepath.Dir(in), "out.jsonl")
	os.WriteFile(out, nil, 0o644)
	j, err := parseArgs([]string{"-q", "-i", in, "-o", out, "-resume", out}, nil, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// Another writer appends to the checkpoint after it was opened: the
	// run's records go after it, not over it.
	other := `{"line":9,"url":"http://other.test/","outcome":"ok"}` + "\n"
	f, _ := os.OpenFile(out, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(other)
	f.Close()
	if code := j.execute(context.Background()); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	j.close()
	data, _ := os.ReadFile(out)
	if !strings.HasPrefix(string(data), other) || len(fileRecords(t, out)) != 3 {
		t.Errorf("checkpoint:\n%s", data)
	}
}
