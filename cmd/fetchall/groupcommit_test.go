package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
)

// TestKill9LeavesWholeRecordsAndResumeCompletes kills fetchall (SIGKILL,
// no chance to flush) while it writes records by group commit, and checks
// the checkpoint promise: the file holds whole records, at most the last
// one torn, and resuming from it gives every line an ok record.
func TestKill9LeavesWholeRecordsAndResumeCompletes(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer ts.Close()
	const n = 2000
	var list strings.Builder
	for i := range n {
		fmt.Fprintf(&list, "%s/u/%d\n", ts.URL, i)
	}
	in := writeFile(t, "list.txt", list.String())
	out := filepath.Join(filepath.Dir(in), "out.jsonl")
	cmd, _, _ := startCommand(t, nil, "-q", "-c", "16", "-i", in, "-o", out, "-resume", out)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if data, _ := os.ReadFile(out); bytes.Count(data, []byte("\n")) >= 200 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("no 200 records within 20s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()

	data, _ := os.ReadFile(out)
	lines := strings.Split(string(data), "\n")
	for i, l := range lines[:len(lines)-1] {
		var rec fetch.Record
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %d of %d after kill -9 is not a whole record: %q", i+1, len(lines), l)
		}
	}
	t.Logf("killed with %d whole records, torn tail %q", len(lines)-1, lines[len(lines)-1])

	if r := cli(t, context.Background(), "", "-q", "-c", "16", "-i", in, "-o", out, "-resume", out); r.code != exitOK {
		t.Fatalf("resume: exit %d %s", r.code, r.stderr)
	}
	data, _ = os.ReadFile(out)
	ok := map[int]bool{}
	for i, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var rec fetch.Record
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			// The torn tail was cut before appending: every line parses.
			t.Errorf("line %d: %q", i+1, l)
			continue
		}
		if rec.Outcome == fetch.OK {
			ok[rec.Line] = true
		}
	}
	if len(ok) != n {
		t.Errorf("after resume %d of %d lines have an ok record", len(ok), n)
	}
}

func TestFsyncOption(t *testing.T) {
	s := demo(t)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	r := cli(t, context.Background(), "", "-q", "-fsync", "10ms", "-o", out, s.URL+"/item?a", s.URL+"/item?b", s.URL+"/item?c")
	if r.code != exitOK || len(fileRecords(t, out)) != 3 {
		t.Errorf("-fsync: exit %d %s", r.code, r.stderr)
	}
	if r := cli(t, context.Background(), "", "-fsync", "-1s", s.URL+"/item"); r.code != exitUsage {
		t.Errorf("-fsync -1s: exit %d", r.code)
	}
}

// fakeFile is a records file that counts its syncs.
type fakeFile struct {
	bytes.Buffer
	syncs int
}

func (f *fakeFile) Sync() error { f.syncs++; return nil }

// TestFsyncSyncsTheRecordsFile: with -fsync the records file the run
// writes to is synced (the group writer must be handed a writer that can
// sync), and without it never is; -h says what the default leaves to the
// operating system.
func TestFsyncSyncsTheRecordsFile(t *testing.T) {
	for _, every := range []time.Duration{0, time.Millisecond} {
		f := &fakeFile{}
		j := &job{}
		if err := j.useOutput(f, false, "jsonl", every); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := j.sink.Write(&fetch.Record{Line: i + 1, URL: "http://a.test/", Outcome: fetch.OK}); err != nil {
				t.Fatal(err)
			}
		}
		if err := j.flushOut(); err != nil {
			t.Fatal(err)
		}
		j.close()
		if every > 0 && f.syncs == 0 || every == 0 && f.syncs != 0 {
			t.Errorf("-fsync %v: %d syncs of the records file", every, f.syncs)
		}
		if n := strings.Count(f.String(), "\n"); n != 3 {
			t.Errorf("-fsync %v: %d records written, want 3", every, n)
		}
	}
	help := cli(t, context.Background(), "", "-h").stderr
	if !strings.Contains(help, "power loss") || !strings.Contains(help, "(0, the default:") {
		t.Errorf("-h does not say what the default -fsync 0 leaves to the OS:\n%s", help)
	}
}
