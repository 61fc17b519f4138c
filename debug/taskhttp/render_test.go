package taskhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/taskhttp"
)

// probePage loads /debug/tasks in a same-origin frame and, once the frame
// has loaded, writes what Chromium rendered into #result as JSON: computed
// colours, composited over the backgrounds behind each element, and sizes.
// The selectors work on any markup that shows the state as the text
// "running" and the ids in elements of class "id".
const probePage = `<!DOCTYPE html><html><body>
<iframe id="f" src="/debug/tasks?format=html&refresh=100000" style="width:1000px;height:700px;border:0"></iframe>
<pre id="result">pending</pre>
<script>
function rgba(s) { const m = s.match(/[\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; }
// backdrop is the opaque colour behind el: its ancestors' backgrounds
// composited over white, nearest last.
function backdrop(el, self) {
  const layers = [];
  for (let e = self ? el : el.parentElement; e; e = e.parentElement) layers.push(rgba(getComputedStyle(e).backgroundColor));
  let c = [255, 255, 255];
  for (const l of layers.reverse()) c = c.map((v, i) => l[i] * l[3] + v * (1 - l[3]));
  return c;
}
function over(color, bg) { const c = rgba(color); return bg.map((v, i) => c[i] * c[3] + v * (1 - c[3])); }
function text(el) { const bg = backdrop(el, true); return {fg: over(getComputedStyle(el).color, bg), bg: bg, text: el.textContent.trim()}; }
document.getElementById("f").addEventListener("load", () => {
  const d = document.getElementById("f").contentDocument, out = {};
  const running = [...d.querySelectorAll("li")].filter(li => /running/.test(li.className) && li.querySelector(".name") && /fetch-alpha/.test(li.querySelector(".name").textContent))[0];
  if (running) {
    const badge = [...running.querySelectorAll("span")].filter(s => s.textContent.trim().toLowerCase() === "running" && s.closest("li") === running)[0];
    const name = running.querySelector(".name");
    out.badge = badge ? backdrop(badge, true) : null;
    out.rowBehindName = backdrop(name, false);
    const row = name.parentElement, cs = getComputedStyle(row);
    out.rowBorderLeft = {width: parseFloat(cs.borderLeftWidth), color: over(cs.borderLeftColor, backdrop(row, false))};
    const fill = running.querySelector(".fill"), track = fill && fill.parentElement;
    if (fill) out.progress = {fill: backdrop(fill, true), track: backdrop(track, true), share: fill.getBoundingClientRect().width / track.getBoundingClientRect().width};
  }
  out.ids = [...d.querySelectorAll(".id")].map(text);
  out.names = [...d.querySelectorAll(".name")].map(text);
  out.awaiting = [...d.querySelectorAll(".awaiting")].map(text);
  const group = [...d.querySelectorAll("li")].filter(li => /group/.test(li.className))[0];
  if (group) {
    const name = group.querySelector(".name");
    out.groupRowBehindName = backdrop(name, false);
  }
  out.text = d.body.innerText;
  document.getElementById("result").textContent = JSON.stringify(out);
});
</script></body></html>`

// rendered is what probePage reports.
type rendered struct {
	Badge         []float64 `json:"badge"`
	RowBehindName []float64 `json:"rowBehindName"`
	RowBorderLeft *struct {
		Width float64   `json:"width"`
		Color []float64 `json:"color"`
	} `json:"rowBorderLeft"`
	Progress *struct {
		Fill  []float64 `json:"fill"`
		Track []float64 `json:"track"`
		Share float64   `json:"share"`
	} `json:"progress"`
	IDs, Names, Awaiting []struct {
		FG   []float64 `json:"fg"`
		BG   []float64 `json:"bg"`
		Text string    `json:"text"`
	}
	GroupRowBehindName []float64 `json:"groupRowBehindName"`
	Text               string    `json:"text"`
}

// TestBrowserRendering checks the page by what Chromium renders, not by
// its markup: a running task's state is a badge and a thin left border, and
// its row's background is not the badge colour; ids, names and the awaiting
// edge have a WCAG AA contrast (4.5:1) against what is behind them; the
// progress fill stands out from its track (3:1, WCAG's figure for graphics)
// over the right share; groups are set apart from tasks; counts have
// correct plurals. A screenshot confirms it in pixels: the running badge's
// colour covers a small part of the page, not whole rows.
func TestBrowserRendering(t *testing.T) {
	browser := chromium(t)
	knownTree := knownTree(t)
	h := taskhttp.HandlerFor(knownTree)
	mux := http.NewServeMux()
	mux.Handle("/debug/tasks", h)
	mux.HandleFunc("/probe", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, probePage)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, browser, append(headless(t.TempDir()),
		"--virtual-time-budget=2000", "--dump-dom", srv.URL+"/probe")...).Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no result in the probe's DOM:\n%s", out)
	}
	var got rendered
	if err := json.Unmarshal(unescapeHTML(m[1]), &got); err != nil {
		t.Fatalf("probe result %s: %v", m[1], err)
	}

	if got.Badge == nil || got.RowBehindName == nil {
		t.Fatalf("no running task with a badge reading \"running\" rendered: %+v", got)
	}
	if d := distance(got.Badge, got.RowBehindName); d < 60 {
		t.Errorf("the running row's background %v is the badge's colour %v (distance %.0f): state must be a badge and a border, not a row background", got.RowBehindName, got.Badge, d)
	}
	if b := got.RowBorderLeft; b == nil || b.Width < 2 || b.Width > 5 || distance(b.Color, got.Badge) > 10 {
		t.Errorf("the running row's left border is %+v, want 2–5 px in the badge's colour %v", b, got.Badge)
	}
	checkContrast := func(what string, items []struct {
		FG   []float64 `json:"fg"`
		BG   []float64 `json:"bg"`
		Text string    `json:"text"`
	}, least int) {
		if len(items) < least {
			t.Errorf("%d %s rendered, want at least %d", len(items), what, least)
		}
		for _, it := range items {
			if c := contrast(it.FG, it.BG); c < 4.5 {
				t.Errorf("%s %q: contrast %.2f:1 (text %v on %v), want at least 4.5:1", what, it.Text, c, it.FG, it.BG)
			}
		}
	}
	checkContrast("id", got.IDs, 4)
	checkContrast("name", got.Names, 4)
	checkContrast("awaiting edge", got.Awaiting, 1)
	if p := got.Progress; p == nil {
		t.Error("no progress bar with a fill rendered for fetch-alpha")
	} else {
		if c := contrast(p.Fill, p.Track); c < 3 {
			t.Errorf("progress fill %v on track %v: contrast %.2f:1, want at least 3:1", p.Fill, p.Track, c)
		}
		if math.Abs(p.Share-0.3) > 0.03 {
			t.Errorf("progress fill covers %.0f%% of its track, want 30%%", p.Share*100)
		}
	}
	if got.GroupRowBehindName == nil || distance(got.GroupRowBehindName, got.RowBehindName) < 5 {
		t.Errorf("the group's row (%v) looks like a task's row (%v)", got.GroupRowBehindName, got.RowBehindName)
	}
	for _, want := range []string{"3 tasks in 1 group", "1 running", "2 waiting"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("rendered text lacks %q:\n%s", want, got.Text)
		}
	}
	if regexp.MustCompile(`\b1 (tasks|groups)\b`).MatchString(got.Text) {
		t.Errorf("rendered text has a wrong plural:\n%s", got.Text)
	}

	// The screenshot: pixels in the running badge's colour.
	shot := filepath.Join(t.TempDir(), "tasks.png")
	if keep := os.Getenv("TASKHTTP_SCREENSHOT"); keep != "" {
		shot = keep
	}
	if out, err := exec.CommandContext(ctx, browser, append(headless(t.TempDir()),
		"--virtual-time-budget=2000", "--window-size=1000,700", "--screenshot="+shot,
		srv.URL+"/debug/tasks?format=html&refresh=100000")...).CombinedOutput(); err != nil {
		t.Fatalf("chromium screenshot: %v\n%s", err, out)
	}
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	share := colourShare(img, got.Badge)
	t.Logf("screenshot %s: %.2f%% of its pixels in the running badge's colour %v", shot, share*100, got.Badge)
	if share > 0.02 || share == 0 {
		t.Errorf("%.2f%% of the screenshot is the running badge's colour, want some but under 2%%: badges, not painted rows", share*100)
	}
}

// colourShare is the fraction of img's pixels within a small distance of c.
func colourShare(img image.Image, c []float64) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if distance([]float64{float64(r >> 8), float64(g >> 8), float64(bl >> 8)}, c) < 12 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

func distance(a, b []float64) float64 {
	if len(a) < 3 || len(b) < 3 {
		return math.Inf(1)
	}
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

// contrast is WCAG 2's contrast ratio of two sRGB colours.
func contrast(a, b []float64) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c []float64) float64 {
	if len(c) < 3 {
		return 0
	}
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
}

func unescapeHTML(b []byte) []byte {
	r := strings.NewReplacer("&quot;", `"`, "&lt;", "<", "&gt;", ">", "&#39;", "'", "&amp;", "&")
	return []byte(r.Replace(string(b)))
}

// interactProbe opens the folded group by a click on its row, then types
// in the filter box, and reports the rows shown after each step.
const interactProbe = `<!DOCTYPE html><html><body>
<iframe id="f" src="/debug/tasks?format=html&refresh=100000" style="width:1000px;height:700px;border:0"></iframe>
<pre id="result">pending</pre>
<script>
const steps = {};
function rows(d) { return [...d.querySelectorAll("li.node .name")].map(n => n.textContent); }
function afterReload(d, n, then) {
  if (Number(d.body.dataset.updates) > n) return then();
  setTimeout(() => afterReload(d, n, then), 20);
}
document.getElementById("f").addEventListener("load", () => {
  const d = document.getElementById("f").contentDocument;
  steps.folded = rows(d);
  d.querySelector("li.group summary").click();
  afterReload(d, 0, () => {
    steps.opened = rows(d);
    const box = d.getElementById("filter");
    box.value = "item-42";
    box.dispatchEvent(new Event("input"));
    afterReload(d, 1, () => {
      steps.filtered = rows(d);
      document.getElementById("result").textContent = JSON.stringify(steps);
    });
  });
});
</script></body></html>`

// TestBrowserFoldAndFilter drives the page in Chromium as a reader would:
// a group of 60 tasks starts folded, with no rows for its tasks; a click on
// its row opens it, showing them; typing in the filter box leaves the
// matching task and its ancestors.
func TestBrowserFoldAndFilter(t *testing.T) {
	browser := chromium(t)
	release := make(chan struct{})
	ready := make(chan *async.Scope)
	done := make(chan error, 1)
	go func() {
		done <- async.Run(context.Background(), func(ctx context.Context) error {
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				for i := range 60 {
					g.Go(napUntil(release, fmt.Sprint("nap ", i)), async.WithName(fmt.Sprintf("item-%02d", i)))
				}
				ready <- async.ScopeOf(ctx)
				return nil
			}, async.WithName("batch"))
		}, async.WithSignals(nil))
	}()
	defer func() {
		close(release)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	scope := <-ready
	waitFor(t, scope, 60, async.Waiting)
	mux := http.NewServeMux()
	mux.Handle("/debug/tasks", taskhttp.HandlerFor(scope))
	mux.HandleFunc("/probe", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, interactProbe)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, browser, append(headless(t.TempDir()),
		"--virtual-time-budget=5000", "--dump-dom", srv.URL+"/probe")...).Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`).FindSubmatch(out)
	var got struct{ Folded, Opened, Filtered []string }
	if m == nil || json.Unmarshal(unescapeHTML(m[1]), &got) != nil {
		t.Fatalf("no result in the probe's DOM:\n%s", out)
	}
	if want := []string{"main", "batch"}; !slices.Equal(got.Folded, want) {
		t.Errorf("first shown: %q, want %q (the group folded)", got.Folded, want)
	}
	if len(got.Opened) != 62 || got.Opened[2] != "item-00" || got.Opened[61] != "item-59" {
		t.Errorf("after a click on the group: %d rows %q…, want main, batch and its 60 tasks", len(got.Opened), got.Opened[:min(4, len(got.Opened))])
	}
	if want := []string{"main", "batch", "item-42"}; !slices.Equal(got.Filtered, want) {
		t.Errorf("after typing item-42 in the filter: %q, want %q", got.Filtered, want)
	}
}
