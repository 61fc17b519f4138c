package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrorsLeaveTheOutputAlone: a command refused for a usage error
// neither empties an existing -o file, nor changes a checkpoint it would
// resume, nor leaves behind an empty -o or -timeline file it created.
func TestUsageErrorsLeaveTheOutputAlone(t *testing.T) {
	const earlier = "{\"line\":1,\"url\":\"http://127.0.0.1:1/a\",\"outcome\":\"ok\",\"bytes\":0,\"attempts\":1}\n{\"line\":2,\"url\":\"http://127.0.0.1:1/b\",\"outcome\":\"cancelled\",\"bytes\":0,\"attempts\":0}\n{\"line\":3,\"u"
	dir := t.TempDir()
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("http://127.0.0.1:1/a\nhttp://127.0.0.1:1/b\nhttp://127.0.0.1:1/c\n"), 0o644)
	empty := filepath.Join(dir, "empty.txt")
	os.WriteFile(empty, []byte("# nothing here\n\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"-f", "xml", "-i", list}, "-f"},
		{[]string{"-fields", "nosuch", "-i", list}, "nosuch"},
		{[]string{"-f", "csv", "-fields", "url,nosuch", "-i", list}, "nosuch"},
		{[]string{"-f", "table", "-fields", "url", "-i", list}, "-fields"},
		{[]string{"-timeline", filepath.Join(dir, "nodir", "x.html"), "-i", list}, "nodir"},
		{[]string{"-i", empty}, "no URLs"},
		{[]string{"-f", "csv", "-resume", out, "-i", list}, "-f jsonl"},
		{[]string{"-fields", "url,status", "-resume", out, "-i", list}, "-fields"},
		{[]string{"-debug-addr", "nosuchhost.invalid:99999", "-i", list}, "-debug-addr"},
	} {
		os.WriteFile(out, []byte(earlier), 0o644)
		r := cli(t, context.Background(), "", append([]string{"-q", "-o", out}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.says) {
			t.Errorf("%q: exit %d, %q; want a usage error about %s", c.args, r.code, r.stderr, c.says)
		}
		if data, _ := os.ReadFile(out); string(data) != earlier {
			t.Errorf("%q: -o was changed to %q", c.args, data)
		}
	}
	// Files it would have created are not left behind, empty.
	newOut, newTL := filepath.Join(dir, "new.jsonl"), filepath.Join(dir, "new.html")
	for _, args := range [][]string{
		{"-f", "xml", "-i", list},
		{"-i", empty},
		{"-fields", "nosuch", "-i", list},
		{"-debug-addr", "nosuchhost.invalid:99999", "-i", list},
	} {
		r := cli(t, context.Background(), "", append([]string{"-q", "-o", newOut, "-timeline", newTL}, args...)...)
		if r.code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, r.code, exitUsage)
		}
		for _, name := range []string{newOut, newTL} {
			if _, err := os.Stat(name); err == nil {
				t.Errorf("%q: %s was left behind", args, filepath.Base(name))
				os.Remove(name)
			}
		}
	}
}
