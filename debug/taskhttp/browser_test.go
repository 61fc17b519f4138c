package taskhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async/debug/taskhttp"
)

// chromium returns the path of a Chromium that runs here. Where there is
// none, the test is skipped, loudly, except in CI (CI=true), which installs
// Chromium and so must run it.
func chromium(t *testing.T) string {
	t.Helper()
	skip := func(format string, args ...any) {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but "+format, args...)
		}
		t.Logf("SKIPPED: the browser test needs Chromium (apt-get install chromium): "+format, args...)
		t.SkipNow()
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		path, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, path, "--headless", "--no-sandbox", "--version").CombinedOutput(); err != nil {
			skip("%s does not run: %v: %s", path, err, out)
		}
		return path
	}
	skip("no chromium in PATH")
	return ""
}

// headless returns the flags that run Chromium here without a display, a
// sandbox, or any traffic of its own, with the profile in dir.
func headless(dir string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + dir}
}

// TestBrowser loads the page in headless Chromium and checks that the known
// task tree is on it, coloured by state and with a progress bar, and that
// the page refreshed itself: a task started only after the page was served
// must appear in the final DOM.
func TestBrowser(t *testing.T) {
	browser := chromium(t)
	scope, add := growingTree(t)

	// Serve the page, then start a task the first render cannot show.
	var once sync.Once
	h := taskhttp.HandlerFor(scope)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if r.URL.Query().Get("format") == "html" {
			once.Do(func() { add("late-arrival") })
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	profile := t.TempDir()
	cmd := exec.CommandContext(ctx, browser, append(headless(profile),
		"--virtual-time-budget=3000", "--dump-dom",
		srv.URL+"/debug/tasks?format=html&refresh=200")...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	dom := string(out)
	t.Logf("chromium loaded the page: %d bytes of DOM", len(dom))
	for _, want := range []string{
		`scope "known-tree"`,
		`<span class="name">crawlers</span>`,
		`<span class="name">fetch-alpha</span>`,
		`<span class="name">fetch-beta</span>`,
		`<span class="badge">running</span>`,
		`<span class="fill" style="width: 30%">`,
		`awaiting task`,
		`<span class="name">late-arrival</span>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page in Chromium lacks %q", want)
		}
	}
	m := regexp.MustCompile(`data-updates="(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no data-updates on body:\n%s", dom)
	}
	if n, _ := strconv.Atoi(m[1]); n < 1 {
		t.Errorf("the page reloaded its tree %d times, want at least once", n)
	}
	t.Logf("browser test: tree found in Chromium's DOM; the page refreshed itself %s times", m[1])
}
