package taskhttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/taskhttp"
)

// probeScript loads page in a same-origin frame of the given width and,
// once it has loaded, writes into #result the JSON that the expression
// js computes from the frame's document d (with the helpers of probePage:
// rgba, backdrop, over, text).
func probeScript(page string, width int, js string) string {
	helpers := probePage[strings.Index(probePage, "function rgba"):strings.Index(probePage, `document.getElementById("f").addEventListener`)]
	return fmt.Sprintf(`<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="%s" style="width:%dpx;height:700px;border:0"></iframe>
<pre id="result">pending</pre>
<script>
%s
document.getElementById("f").addEventListener("load", () => {
  const d = document.getElementById("f").contentDocument;
  Promise.resolve().then(() => (() => { %s })()).then(
    (out) => { document.getElementById("result").textContent = JSON.stringify(out); },
    (e) => { document.getElementById("result").textContent = JSON.stringify({error: String(e)}); });
});
</script></body></html>`, page, width, helpers, js)
}

// probe serves h at /debug/tasks and the probe page at /probe, loads it in
// Chromium and decodes what the probe reports into v.
func probe(t *testing.T, h http.Handler, page string, width int, js string, v any) {
	t.Helper()
	browser := chromium(t)
	mux := http.NewServeMux()
	mux.Handle("/debug/tasks", h)
	mux.HandleFunc("/probe", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, probeScript(page, width, js))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, browser, append(headless(t.TempDir()),
		"--virtual-time-budget=3000", "--window-size=1600,900", "--dump-dom", srv.URL+"/probe")...).Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no result in the probe's DOM:\n%s", out)
	}
	if err := json.Unmarshal(unescapeHTML(m[1]), v); err != nil {
		t.Fatalf("probe result %s: %v", m[1], err)
	}
}

// sleepyTree runs a scope holding main, awaiting group "crew" of "busy"
// (running) and "napper" (in SleepNamed "backoff" for an hour), until the
// test ends.
func sleepyTree(t *testing.T, opts ...async.RunOption) *async.Scope {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	scopes := make(chan *async.Scope)
	done := make(chan error, 1)
	go func() {
		done <- async.Run(ctx, func(ctx context.Context) error {
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				g.Go(func(ctx context.Context) error { <-ctx.Done(); return nil }, async.WithName("busy"))
				g.Go(func(ctx context.Context) error {
					return async.SleepNamed(ctx, time.Hour, "backoff")
				}, async.WithName("napper"))
				scopes <- async.ScopeOf(ctx)
				return nil
			}, async.WithName("crew"))
		}, append(opts, async.WithSignals(nil), async.WithName("sleepy"))...)
	}()
	s := <-scopes
	t.Cleanup(func() { cancel(); <-done })
	waitUntil(t, s, "napper", async.Waiting)
	waitUntil(t, s, "main", async.Waiting)
	return s
}

// TestBrowserWaiting checks, as Chromium renders it, that a waiting task
// has a badge of its own ("waiting", in a colour apart from running's, its
// text readable), that the header counts waiting tasks apart, and that the
// row says what the task waits on, for how long, and when it wakes, as the
// text form does.
func TestBrowserWaiting(t *testing.T) {
	h := taskhttp.HandlerFor(sleepyTree(t))
	var got struct {
		Badges map[string]struct {
			Text string    `json:"text"`
			FG   []float64 `json:"fg"`
			BG   []float64 `json:"bg"`
		} `json:"badges"`
		Rows   map[string]string `json:"rows"`
		Header string            `json:"header"`
		Error  string            `json:"error"`
	}
	probe(t, h, "/debug/tasks?format=html&refresh=100000", 1000, `
  const out = {badges: {}, rows: {}};
  for (const li of d.querySelectorAll("li.task")) {
    const name = li.querySelector(".name").textContent, badge = li.querySelector(".badge");
    out.badges[name] = text(badge);
    out.rows[name] = li.querySelector(".row").innerText.replace(/\s+/g, " ");
  }
  out.header = d.querySelector(".scope-head").innerText.replace(/\s+/g, " ");
  return out;`, &got)
	if got.Error != "" {
		t.Fatal(got.Error)
	}
	nap, busy := got.Badges["napper"], got.Badges["busy"]
	if strings.ToLower(nap.Text) != "waiting" || strings.ToLower(busy.Text) != "running" {
		t.Fatalf("badges: napper %q, busy %q; want waiting, running (%+v)", nap.Text, busy.Text, got)
	}
	if d := distance(nap.BG, busy.BG); d < 60 {
		t.Errorf("the waiting badge %v looks like the running one %v (distance %.0f)", nap.BG, busy.BG, d)
	}
	if c := contrast(nap.FG, nap.BG); c < 4.5 {
		t.Errorf("waiting badge text: contrast %.2f:1, want at least 4.5:1", c)
	}
	for _, want := range []string{"1 running", "2 waiting"} {
		if !strings.Contains(got.Header, want) {
			t.Errorf("header %q lacks %q", got.Header, want)
		}
	}
	row := got.Rows["napper"]
	for _, want := range []string{`awaiting sleep "backoff"`, "for ", "(wakes in 59m"} {
		if !strings.Contains(row, want) {
			t.Errorf("napper's row %q lacks %q", row, want)
		}
	}
	if !strings.Contains(row, "(debug/taskhttp/waiting_test.go:") {
		t.Errorf("napper's row %q does not show where the task was made", row)
	}
	if !regexp.MustCompile(`awaiting group \d+ "crew" for \d`).MatchString(got.Rows["main"]) {
		t.Errorf("main's row %q does not say it awaits group crew, and for how long", got.Rows["main"])
	}
}
