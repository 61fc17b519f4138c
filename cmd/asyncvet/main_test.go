package main_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// plantedLines returns the lines of testdata/planted/planted.go that carry a
// "planted:" marker (followed by one of checks, if any are given): where a
// mistake was planted.
func plantedLines(t *testing.T, checks ...string) []int {
	t.Helper()
	f, err := os.Open("testdata/planted/planted.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []int
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		_, check, ok := strings.Cut(sc.Text(), "// planted: ")
		if ok && (len(checks) == 0 || slices.Contains(checks, strings.TrimSpace(check))) {
			lines = append(lines, n)
		}
	}
	return lines
}

// plantedModule writes a module holding the planted mistakes, built against
// this repository's async package, and returns its directory.
func plantedModule(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/planted/planted.go")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	// x/sync is the version this repository's module graph already holds,
	// so go.sum covers it.
	gomod := "module example.com/planted\n\ngo 1.26\n\n" +
		"require (\n\tgithub.com/asyncgo/async v0.0.0\n\tgolang.org/x/sync v0.24.0\n)\n\n" +
		"replace github.com/asyncgo/async => " + root + "\n"
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "planted.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var diagLine = regexp.MustCompile(`planted\.go:(\d+):\d+: (.+)`)

// reported runs cmd in dir and returns the lines of planted.go it reports.
func reported(t *testing.T, dir string, args ...string) []int {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("%v found nothing:\n%s", args, out)
	}
	var lines []int
	for _, m := range diagLine.FindAllStringSubmatch(string(out), -1) {
		n, _ := strconv.Atoi(m[1])
		lines = append(lines, n)
	}
	if len(lines) == 0 {
		t.Fatalf("%v failed without a diagnostic: %v\n%s", args, err, out)
	}
	slices.Sort(lines)
	t.Logf("%v:\n%s", args, out)
	return lines
}

// TestPlanted runs asyncvet, as go vet's tool and on its own, over a module
// with the five planted mistakes and their correct forms: it must report
// each mistake once and nothing else.
func TestPlanted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds asyncvet and a module")
	}
	want := plantedLines(t)
	if len(want) != 5 {
		t.Fatalf("testdata has %d planted mistakes, want 5", len(want))
	}
	bin := filepath.Join(t.TempDir(), "asyncvet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := plantedModule(t)
	for _, args := range [][]string{
		{"go", "vet", "-vettool=" + bin, "./..."},
		{bin, "./..."},
	} {
		if got := reported(t, dir, args...); !slices.Equal(got, want) {
			t.Errorf("%v reported lines %v, want %v", args, got, want)
		}
	}

	// A check switched off by name reports nothing; the others still run.
	lost := plantedLines(t, "lostctx")
	if len(lost) != 1 {
		t.Fatalf("testdata has %d planted lostctx mistakes, want 1", len(lost))
	}
	without := slices.DeleteFunc(slices.Clone(want), func(n int) bool { return n == lost[0] })
	args := []string{bin, "-lostctx=false", "./..."}
	if got := reported(t, dir, args...); !slices.Equal(got, without) {
		t.Errorf("%v reported lines %v, want %v", args, got, without)
	}
}
