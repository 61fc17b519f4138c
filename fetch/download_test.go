package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/demoserver"
)

// TestContinue checks every answer a server may give to a Range request
// for the rest of a partial file: whatever it says, the file ends whole and
// equal to the server's, or untouched.
func TestContinue(t *testing.T) {
	s := startDemo(t)
	const size = 100_000
	whole := demoserver.Content(size)
	sum := sha256.Sum256(whole)
	cases := []struct {
		name        string
		query       string
		partial     []byte // on disk before the run; nil for no file
		outcome     Outcome
		resumedFrom int64
		want        []byte // the file after the run
	}{
		{"range honoured", "", whole[:30_000], OK, 30_000, whole},
		{"no file yet", "", nil, OK, 0, whole},
		{"server ignores Range", "&range=ignore", whole[:30_000], OK, 0, whole},
		{"206 from the wrong offset", "&range=wrong", whole[:30_000], OK, 0, whole},
		{"already whole: 416", "", whole, OK, size, whole},
		{"partial longer than the file: 416 of another length", "", append(whole[:size:size], "tail"...), OK, 0, whole},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			u := s.URL + "/file?size=100000" + c.query
			path := filepath.Join(dir, SafeName(1, u))
			if c.partial != nil {
				if err := os.WriteFile(path, c.partial, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := Config{Timeout: 5 * time.Second, Retries: -1, SaveDir: dir, Continue: true, SHA256: true}
			r := fetchOne(t, cfg, u)
			got, _ := os.ReadFile(path)
			if r.Outcome != c.outcome || r.ResumedFrom != c.resumedFrom || !bytes.Equal(got, c.want) {
				t.Errorf("%s status %d resumed_from %d, file %d bytes (equal: %v); want %s, resumed_from %d, the whole file",
					r.Outcome, r.Status, r.ResumedFrom, len(got), bytes.Equal(got, c.want), c.outcome, c.resumedFrom)
			}
			if r.Bytes != size || r.SHA256 != hex.EncodeToString(sum[:]) || r.SavedAs != path {
				t.Errorf("record: %d bytes, sha %s, saved as %q; want the whole file's", r.Bytes, r.SHA256, r.SavedAs)
			}
		})
	}
}

// TestContinueAfterACut: a body cut short stays on disk and the retry asks
// for the rest only; without Continue the cut file is removed and fetched
// again whole.
func TestContinueAfterACut(t *testing.T) {
	s := startDemo(t)
	u := s.URL + "/file?size=100000&cut=40000"
	whole := demoserver.Content(100_000)
	for _, cont := range []bool{true, false} {
		dir := t.TempDir()
		cfg := Config{Timeout: 5 * time.Second, Retries: 1, RetryBase: time.Millisecond, RetryMax: time.Millisecond,
			SaveDir: dir, Continue: cont}
		r := fetchOne(t, cfg, u)
		got, _ := os.ReadFile(filepath.Join(dir, SafeName(1, u)))
		if cont {
			if r.Outcome != OK || r.Attempts != 2 || r.ResumedFrom != 40_000 || r.Bytes != 100_000 || !bytes.Equal(got, whole) {
				t.Errorf("continue: %s after %d attempts, resumed_from %d, %d bytes, file equal %v",
					r.Outcome, r.Attempts, r.ResumedFrom, r.Bytes, bytes.Equal(got, whole))
			}
		} else if r.Outcome != Failed || got != nil {
			t.Errorf("without continue: %s, %d bytes left on disk; want a failure and no file", r.Outcome, len(got))
		}
	}
}

// TestContinueKeepsThePartialFileOnAnError: a 503 to the Range request must
// not replace the bytes already fetched with an error page.
func TestContinueKeepsThePartialFileOnAnError(t *testing.T) {
	s := startDemo(t)
	dir := t.TempDir()
	u := s.URL + "/status?code=503"
	path := filepath.Join(dir, SafeName(1, u))
	os.WriteFile(path, []byte("fetched before"), 0o644)
	r := fetchOne(t, Config{Timeout: 5 * time.Second, Retries: -1, SaveDir: dir, Continue: true}, u)
	got, _ := os.ReadFile(path)
	if r.Outcome != HTTPError || string(got) != "fetched before" || r.SavedAs != "" {
		t.Errorf("%s, file %q, saved_as %q", r.Outcome, got, r.SavedAs)
	}
}

func TestParseContentRange(t *testing.T) {
	cases := []struct {
		in                 string
		first, last, total int64
		ok                 bool
	}{
		{"bytes 10-99/100", 10, 99, 100, true},
		{"bytes 10-99/*", 10, 99, -1, true},
		{"bytes */100", -1, -1, 100, true},
		{"bytes */*", 0, 0, 0, false},
		{"bytes 10-99", 0, 0, 0, false},
		{"items 1-2/3", 0, 0, 0, false},
		{"bytes -5-9/10", 0, 0, 0, false},
		{"bytes a-b/10", 0, 0, 0, false},
	}
	for _, c := range cases {
		f, l, tot, ok := parseContentRange(c.in)
		if ok != c.ok || ok && (f != c.first || l != c.last || tot != c.total) {
			t.Errorf("parseContentRange(%q) = %d %d %d %v", c.in, f, l, tot, ok)
		}
	}
}

// TestOpenSaveNeverRecreatesAVanishedPartialFile: continuing at offset N
// into a file that is gone (or shorter) fails instead of writing N zero
// bytes before the rest.
func TestOpenSaveNeverRecreatesAVanishedPartialFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if f, err := openSave(path, 100, nil); err == nil {
		f.Close()
		t.Fatal("openSave made a missing partial file")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the missing file exists now: %v", err)
	}
	os.WriteFile(path, []byte("short"), 0o644)
	if f, err := openSave(path, 100, nil); err == nil {
		f.Close()
		t.Fatal("openSave continued a file shorter than the offset")
	}
	if b, _ := os.ReadFile(path); string(b) != "short" {
		t.Errorf("the short file became %q", b)
	}
}

// TestProtectedIsAskedBeforeEachSave: Config.Protected sees the path each
// body would be saved to; a path it protects gets an invalid record, no
// request, and its file stays as it was, while the others are fetched and
// saved.
func TestProtectedIsAskedBeforeEachSave(t *testing.T) {
	var requests atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		io.WriteString(w, "body")
	}))
	defer ts.Close()
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(keep, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var asked []string
	f := mustNew(t, Config{SaveDir: dir, Retries: -1, Protected: func(path string) bool {
		mu.Lock()
		asked = append(asked, path)
		mu.Unlock()
		return path == keep
	}})
	defer f.Close()
	c := &collector{}
	list := ts.URL + "/a out=keep.txt\n" + ts.URL + "/b out=new.bin\n"
	if _, err := f.Run(context.Background(), Lines(strings.NewReader(list)), c); err != nil {
		t.Fatal(err)
	}
	byLine := map[int]Record{}
	for _, r := range c.recs {
		byLine[r.Line] = r
	}
	if r := byLine[1]; r.Outcome != Invalid || r.ErrorKind != KindInvalidLine || r.Attempts != 0 || !strings.Contains(r.Error, "would overwrite") {
		t.Errorf("protected line: %+v", r)
	}
	if r := byLine[2]; r.Outcome != OK || r.SavedAs == "" {
		t.Errorf("other line: %+v", r)
	}
	if got, _ := os.ReadFile(keep); string(got) != "precious" || requests.Load() != 1 {
		t.Errorf("protected file %q after %d requests; want it untouched after 1", got, requests.Load())
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "new.bin")); string(got) != "body" {
		t.Errorf("new.bin %q", got)
	}
	slices.Sort(asked)
	if want := []string{keep, filepath.Join(dir, "new.bin")}; !slices.Equal(asked, want) {
		t.Errorf("Protected asked about %q, want %q", asked, want)
	}
}
