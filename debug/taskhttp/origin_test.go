package taskhttp_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/asyncgo/async/debug/taskhttp"
)

// TestOriginsAreModuleRelative: every form names where each task was made
// by its place in the module ("debug/taskhttp/taskhttp_test.go:44"), never
// by the directory the test was built in; the page shows it on each task.
func TestOriginsAreModuleRelative(t *testing.T) {
	h := taskhttp.HandlerFor(knownTree(t))
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := strings.TrimSuffix(wd, "/debug/taskhttp")
	origin := regexp.MustCompile(`taskhttp_test\.growingTree\.func\S+ \(debug/taskhttp/taskhttp_test\.go:\d+\)`)
	site := regexp.MustCompile(`  debug/taskhttp/taskhttp_test\.go:\d+\n`)
	for _, format := range []string{"text", "ps", "json", "html"} {
		_, body := get(t, h, "/debug/tasks?format="+format, "")
		if strings.Contains(body, root) {
			t.Errorf("the %s form names the build directory %s:\n%s", format, root, body)
		}
		if format == "ps" && len(site.FindAllString(body, -1)) < 2 || format != "ps" && format != "text" && len(origin.FindAllString(body, -1)) < 2 {
			t.Errorf("the %s form lacks module-relative origins:\n%s", format, body)
		}
	}
}

// TestBrowserPSDoesNotWrap loads the ps form of a fetch that seems stuck
// (URL tasks waiting on a Retry-After, folded into one row, requests in
// flight) in Chromium, 1,400 px wide: no row wraps onto a second line.
func TestBrowserPSDoesNotWrap(t *testing.T) {
	h := taskhttp.HandlerFor(stuckFetch(t))
	var got struct {
		Wrapped, Unwrapped float64
		Lines              int
		Widest             int
		Error              string
	}
	probe(t, h, "/debug/tasks?format=ps", 1400, `
  const pre = d.querySelector("pre");
  const wrapped = pre.getBoundingClientRect().height;
  pre.style.whiteSpace = "pre";
  const unwrapped = pre.getBoundingClientRect().height;
  const lines = pre.textContent.split("\n");
  return {Wrapped: wrapped, Unwrapped: unwrapped, Lines: lines.length, Widest: Math.max(...lines.map(l => l.length))};`, &got)
	if got.Error != "" {
		t.Fatal(got.Error)
	}
	t.Logf("ps form: %d lines, the widest %d characters; %.0f px high as shown, %.0f px unwrapped", got.Lines, got.Widest, got.Wrapped, got.Unwrapped)
	if got.Lines < 8 || got.Unwrapped <= 0 {
		t.Fatalf("the ps form has %d lines (%+v), want the tree's", got.Lines, got)
	}
	if got.Wrapped > got.Unwrapped+1 {
		t.Errorf("at 1,400 px the ps rows wrap: %.0f px high, %.0f px without wrapping", got.Wrapped, got.Unwrapped)
	}
}
