package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestReadmeShowsThisProgram keeps the README's code block and this program
// the same, from fetch's declaration on.
func TestReadmeShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	from := bytes.Index(src, []byte("var errNoURL"))
	if from < 0 {
		t.Fatal("main.go: var errNoURL not found")
	}
	want := string(src[from:])
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	for _, b := range blocks {
		if b[1] == want {
			return
		}
	}
	t.Errorf("README.md has no ```go block equal to examples/readme/main.go from `var errNoURL` on:\n%s", want)
}

// TestReadmeOutput runs the program and checks every line against the
// comment beside its Println, and that it takes the time the comments imply:
// 1s (Spawn) + 2s (Map, two at a time) + 0s (the group fails at once) +
// 0.1s (WaitFor).
func TestReadmeOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out, err := os.CreateTemp(t.TempDir(), "stdout")
		if err != nil {
			t.Fatal(err)
		}
		stdout := os.Stdout
		os.Stdout = out
		start := time.Now()
		main()
		elapsed := time.Since(start)
		os.Stdout = stdout
		got, err := os.ReadFile(out.Name())
		if err != nil {
			t.Fatal(err)
		}
		out.Close()

		want := []string{"awaited: 6 <nil>", "mapped: [4 5 6] <nil>", "group failed with errNoURL: true", "timed out: true task: cancelled"}
		if lines := strings.Split(strings.TrimSpace(string(got)), "\n"); strings.Join(lines, "|") != strings.Join(want, "|") {
			t.Errorf("output:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
		}
		if elapsed != 3100*time.Millisecond {
			t.Errorf("took %v, want 3.1s", elapsed)
		}
	})
}
