package fetch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckpointIsKeyedByLine(t *testing.T) {
	cp, err := LoadCheckpoint(strings.NewReader(
		`{"line":1,"url":"http://a.test/x","outcome":"ok"}` + "\n" +
			`{"line":3,"url":"http://a.test/x","outcome":"cancelled"}` + "\n" +
			`{"line":2,"url":"http://u:xxxxx@a.test/y","outcome":"error"}` + "\n" +
			`{"line":2,"url":"http://u:xxxxx@a.test/y","outcome":"ok"}` + "\n" +
			`{"line":4,"url":"http://a.te`))
	if err != nil {
		t.Fatal(err)
	}
	if cp.Records != 4 || cp.Torn != 1 {
		t.Errorf("%d records, %d torn; want 4 and 1", cp.Records, cp.Torn)
	}
	for _, c := range []struct {
		in         Input
		skip, diff bool
	}{
		{Input{Line: 1, URL: "http://a.test/x"}, true, false},
		{Input{Line: 3, URL: "http://a.test/x"}, false, false}, // its own last record is cancelled
		{Input{Line: 2, URL: "http://u:pw@a.test/y"}, true, false},
		{Input{Line: 4, URL: "http://a.test/z"}, false, false}, // torn: no record
		{Input{Line: 3, URL: "http://a.test/other"}, false, true},
	} {
		skip, err := cp.Skip(c.in)
		if skip != c.skip || errors.Is(err, ErrInputChanged) != c.diff {
			t.Errorf("Skip(%+v) = %v, %v; want %v, changed %v", c.in, skip, err, c.skip, c.diff)
		}
	}
	if err := cp.CheckInput(Slice([]string{"http://a.test/x", "http://u:pw@a.test/y", "http://a.test/x"})); err != nil {
		t.Errorf("CheckInput of the same list: %v", err)
	}
	if err := cp.CheckInput(Slice([]string{"http://a.test/x", "http://u:pw@a.test/y"})); !errors.Is(err, ErrInputChanged) {
		t.Errorf("CheckInput of a list without line 3: %v", err)
	}
}

func TestCutTornTail(t *testing.T) {
	const a, b = `{"line":1,"url":"http://a.test/","outcome":"ok"}` + "\n", `{"line":2,"url":"http://b.test/","outcome":"ok"}` + "\n"
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{a + b, a + b},
		{a + b[:20], a},
		{a + b[:20] + "\n", a},
		{a + b[:20] + "\n" + b[:10], a},
		{a + b[:len(b)-1], a + b},
		{a + "\x00\x00\x00", a},
		{b[:5], ""},
	} {
		name := filepath.Join(t.TempDir(), "cp.jsonl")
		os.WriteFile(name, []byte(c.in), 0o644)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := CutTornTail(f); err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		f.Write([]byte(a))
		f.Close()
		if got, _ := os.ReadFile(name); string(got) != c.want+a {
			t.Errorf("%q: then appended to: %q, want %q", c.in, got, c.want+a)
		}
	}
}
