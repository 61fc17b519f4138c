package main

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Only the queue subcommands' files (queue_*.go) import NATS or the queue
// package: the local run's code does not, so it keeps working, and reads
// the same, with the queue left out.
func TestLocalRunImportsNoQueue(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasPrefix(name, "queue_") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(path, "nats-io") || strings.HasPrefix(path, "github.com/asyncgo/async/fetch/queue") {
				t.Errorf("%s imports %s; only queue_*.go files may", name, path)
			}
		}
	}
	if checked < 5 {
		t.Errorf("checked %d files; the glob found too few", checked)
	}
}
