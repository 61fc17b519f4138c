package report

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
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

	"github.com/asyncgo/async/fetch"
)

// The timeline is judged by what Chromium draws: the script below, added to
// a copy of the page, measures the rendered bars with getBoundingClientRect
// and getComputedStyle and writes its findings into the DOM, which
// Chromium dumps.

// browser returns a Chromium that runs here. Without one the test is
// skipped, loudly, except in CI (CI set), which installs Chromium.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI is set but there is no chromium in PATH")
	}
	t.Skip("SKIPPED: the timeline's browser test needs Chromium (apt-get install chromium)")
	return ""
}

const measureScript = `<script>
const out = {bars: {}, fills: {}, pauses: [], axis: []};
for (const g of document.querySelectorAll('.b')) {
  const bar = {phases: {}, attempts: {}, labels: [], display: getComputedStyle(g).display, backoff: []};
  for (const r of g.querySelectorAll('rect[class^="p-"]')) {
    const b = r.getBoundingClientRect(), ph = r.getAttribute('class').slice(2);
    bar.phases[ph] = (bar.phases[ph] || 0) + b.width;
    const a = r.dataset.attempt;
    bar.attempts[a] = bar.attempts[a] || {left: b.left, right: b.right};
    bar.attempts[a].left = Math.min(bar.attempts[a].left, b.left);
    bar.attempts[a].right = Math.max(bar.attempts[a].right, b.right);
    out.fills[ph] = getComputedStyle(r).fill;
  }
  for (const l of g.querySelectorAll('.p-backoff')) {
    const b = l.getBoundingClientRect();
    bar.backoff.push({left: b.left, right: b.right});
  }
  for (const t of g.querySelectorAll('text.lbl')) {
    const b = t.getBoundingClientRect();
    bar.labels.push({text: t.textContent, width: b.width});
  }
  bar.failed = g.querySelectorAll('rect.failed').length;
  const b = g.getBoundingClientRect();
  bar.top = b.top; bar.bottom = b.bottom;
  out.bars[g.dataset.line] = bar;
}
for (const p of document.querySelectorAll('.pause')) {
  const t = p.querySelector('text'), b = p.querySelector('rect').getBoundingClientRect();
  out.pauses.push({label: t ? t.textContent : '', labelWidth: t ? t.getBoundingClientRect().width : 0, left: b.left, width: b.width});
}
for (const t of document.querySelectorAll('svg > text')) {
  if (t.textContent === '0s') out.axis.push(t.getBoundingClientRect().top);
}
const filter = document.getElementById('f1');
if (filter) {
  filter.checked = true;
  out.filtered = {};
  for (const g of document.querySelectorAll('.b')) out.filtered[g.dataset.line] = getComputedStyle(g).display;
}
const pre = document.createElement('pre');
pre.id = 'measured';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>`

type measured struct {
	Bars map[string]struct {
		Phases   map[string]float64
		Attempts map[string]struct{ Left, Right float64 }
		Backoff  []struct{ Left, Right float64 }
		Labels   []struct {
			Text  string
			Width float64
		}
		Failed      int
		Top, Bottom float64
	}
	Fills  map[string]string
	Pauses []struct {
		Label       string
		LabelWidth  float64
		Left, Width float64
	}
	Axis     []float64
	Filtered map[string]string
}

// render loads the timeline of recs in headless Chromium and returns what
// the measuring script found.
func render(t *testing.T, recs []fetch.Record, wall time.Duration) measured {
	t.Helper()
	var page bytes.Buffer
	if err := WriteTimeline(&page, "test", recs, wall); err != nil {
		t.Fatal(err)
	}
	text := runChromium(t, strings.Replace(page.String(), "</body>", measureScript+"</body>", 1))
	var res measured
	if err := json.Unmarshal(text, &res); err != nil {
		t.Fatalf("measurements %s: %v", text, err)
	}
	return res
}

func near(got, want, tol float64) bool { return got >= want-tol && got <= want+tol }

// TestTimelineInChromium draws known records and checks the picture: a
// slow-connect request's phases take their share of its bar in distinct
// colours, a retried request shows two attempts with the backoff between
// them, the host pause is drawn and labelled, labels show without hovering,
// the axis is at the top and the bottom, and the host filter hides the
// other hosts' bars.
func TestTimelineInChromium(t *testing.T) {
	ms := time.Millisecond
	tries := []fetch.AttemptTime{
		{Start: 100 * ms, End: 300 * ms, TTFB: 150 * ms, Status: 503, ErrorKind: fetch.KindHTTP, Pause: 500 * ms, Backoff: 500 * ms},
		{Start: 800 * ms, End: 1000 * ms, TTFB: 100 * ms, Status: 200},
	}
	recs := []fetch.Record{
		{Line: 1, URL: "http://slow-connect.test/big-download", Outcome: fetch.OK, Status: 200, Attempts: 1,
			Duration: 1000 * ms, Connect: 600 * ms, TTFB: 800 * ms},
		{Line: 2, URL: "http://flaky.test/api", Outcome: fetch.OK, Status: 200, Attempts: 2, Start: 100 * ms,
			Duration: 900 * ms, Retried: 500 * ms, AttemptTimes: &tries},
		{Line: 3, URL: "not a url", Outcome: fetch.Invalid},
	}
	m := render(t, recs, time.Second)

	slow := m.Bars["1"]
	total := 0.0
	for _, w := range slow.Phases {
		total += w
	}
	// 1,180 px for 1 s: connect 600 ms, wait 200 ms, body 200 ms.
	if !near(total, 1180, 2) || !near(slow.Phases["connect"]/total, 0.6, 0.01) ||
		!near(slow.Phases["wait"]/total, 0.2, 0.01) || !near(slow.Phases["body"]/total, 0.2, 0.01) {
		t.Errorf("slow connect: phases %v of %.1f px; want connect 60%%, wait 20%%, body 20%%", slow.Phases, total)
	}
	seen := map[string]string{}
	for phase, fill := range m.Fills {
		if other, dup := seen[fill]; dup {
			t.Errorf("phases %s and %s share the colour %s", phase, other, fill)
		}
		seen[fill] = phase
	}
	if len(slow.Labels) != 1 || !strings.Contains(slow.Labels[0].Text, "/big-download") || slow.Labels[0].Width <= 0 {
		t.Errorf("the wide bar's label: %+v", slow.Labels)
	}

	flaky := m.Bars["2"]
	a1, a2 := flaky.Attempts["1"], flaky.Attempts["2"]
	if len(flaky.Attempts) != 2 || !near(a1.Right-a1.Left, 236, 2) || !near(a2.Right-a2.Left, 236, 2) || flaky.Failed != 1 {
		t.Errorf("retried: attempts %+v, %d outlined failed; want two of 236 px, the first failed", flaky.Attempts, flaky.Failed)
	}
	if len(flaky.Backoff) != 1 || !near(flaky.Backoff[0].Left, a1.Right, 1) || !near(flaky.Backoff[0].Right, a2.Left, 1) {
		t.Errorf("backoff %+v, want from the first attempt's end (%.1f) to the second's start (%.1f)", flaky.Backoff, a1.Right, a2.Left)
	}
	if len(m.Pauses) != 1 || !strings.Contains(m.Pauses[0].Label, "flaky.test paused 500ms") || m.Pauses[0].LabelWidth <= 0 ||
		!near(m.Pauses[0].Left, a1.Right, 1) || !near(m.Pauses[0].Width, 590, 2) {
		t.Errorf("host pause %+v; want one labelled, from %.1f, 590 px wide", m.Pauses, a1.Right)
	}

	if len(m.Axis) != 2 || m.Axis[0] >= min(slow.Top, flaky.Top) || m.Axis[1] <= max(slow.Bottom, flaky.Bottom) {
		t.Errorf("axis labels at %v; want one above the bars (top %.0f) and one below (bottom %.0f)", m.Axis, slow.Top, flaky.Bottom)
	}
	// f1 is the second host button: the filter shows that host alone.
	shown := 0
	for line, display := range m.Filtered {
		if display != "none" {
			shown++
			if line != "1" && line != "2" {
				t.Errorf("line %s drawn", line)
			}
		}
	}
	if shown != 1 {
		t.Errorf("with one host chosen %d bars show: %v", shown, m.Filtered)
	}
}

// TestTimelineInChromiumRealSlowHandshake fetches a URL whose server takes
// 400ms to accept its connections, so that the TLS handshake waits; the
// timeline drawn from the real record gives TLS most of the bar.
func TestTimelineInChromiumRealSlowHandshake(t *testing.T) {
	browser(t) // skip early, before serving
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }))
	ts.Listener = slowAccept{ts.Listener, 400 * time.Millisecond}
	ts.StartTLS()
	defer ts.Close()
	f := mustNew(t, fetch.Config{TLS: &tls.Config{InsecureSkipVerify: true}, Retries: -1, Timeout: 10 * time.Second})
	defer f.Close()
	c, sum := runAll(t, f, []string{ts.URL + "/slow-handshake"})
	r := c.recs[0]
	if r.Outcome != fetch.OK || r.TLS < 350*time.Millisecond {
		t.Fatalf("record %+v", r)
	}
	m := render(t, c.recs, sum.Wall)
	bar := m.Bars["1"]
	total := 0.0
	for _, w := range bar.Phases {
		total += w
	}
	want := float64(r.TLS) / float64(r.Duration)
	if !near(bar.Phases["tls"]/total, want, 0.02) || want < 0.5 {
		t.Errorf("TLS takes %.2f of the drawn bar, %.2f of the record (%v of %v)", bar.Phases["tls"]/total, want, r.TLS, r.Duration)
	}
}

// slowAccept delays every accepted connection: the client's TCP connect
// succeeds at once (the kernel accepts), its TLS handshake waits.
type slowAccept struct {
	net.Listener
	delay time.Duration
}

func (l slowAccept) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		time.Sleep(l.delay)
	}
	return c, err
}

// scaleScript measures what makes a large timeline readable, in the page
// as Chromium lays it out: bars, attempts and labels by their boxes, the
// queue's drawing against its legend entry, pause labels, the aggregate's
// areas, the element count and the time to this point.
const scaleScript = `<script>
const out = {bars: [], queue: [], pauses: [], areas: [], cols: 0};
for (const g of document.querySelectorAll('.b')) {
  const bar = {line: g.dataset.line, left: 1e9, right: -1e9, top: 0, attempts: {}, labels: []};
  for (const r of g.querySelectorAll('rect')) {
    const b = r.getBoundingClientRect();
    bar.left = Math.min(bar.left, b.left); bar.right = Math.max(bar.right, b.right); bar.top = b.top;
    const a = r.dataset.attempt;
    if (!a || r.getAttribute('class') === 'failed') continue;
    bar.attempts[a] = bar.attempts[a] || {left: b.left, right: b.right};
    bar.attempts[a].left = Math.min(bar.attempts[a].left, b.left);
    bar.attempts[a].right = Math.max(bar.attempts[a].right, b.right);
  }
  for (const t of g.querySelectorAll('text.lbl')) {
    const b = t.getBoundingClientRect();
    bar.labels.push({text: t.textContent, left: b.left, right: b.right});
  }
  out.bars.push(bar);
}
for (const q of document.querySelectorAll('.p-queue, .l-queue')) {
  const s = getComputedStyle(q);
  out.queue.push(q.tagName + ' ' + s.stroke);
}
const sw = [...document.querySelectorAll('.legend span')].find(s => s.textContent === 'queue').querySelector('i');
const ss = getComputedStyle(sw);
out.swatch = {height: sw.getBoundingClientRect().height, border: ss.borderTopStyle + ' ' + ss.borderTopColor};
for (const p of document.querySelectorAll('.pause')) {
  const t = p.querySelector('text'), b = p.querySelector('rect').getBoundingClientRect();
  out.pauses.push({label: t ? t.textContent : '', labelWidth: t ? t.getBoundingClientRect().width : 0, width: b.width, title: p.querySelector('title').textContent});
}
for (const a of document.querySelectorAll('.agg path[class^="a-"]')) {
  const b = a.getBoundingClientRect();
  out.areas.push({phase: a.getAttribute('class'), top: b.top, bottom: b.bottom});
}
out.cols = document.querySelectorAll('.agg .col').length;
out.elements = document.getElementsByTagName('*').length;
out.ms = performance.now();
const pre = document.createElement('pre');
pre.id = 'measured';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>`

type scaleMeasured struct {
	Bars []struct {
		Line             string
		Left, Right, Top float64
		Attempts         map[string]struct{ Left, Right float64 }
		Labels           []struct {
			Text        string
			Left, Right float64
		}
	}
	Queue  []string
	Swatch struct {
		Height float64
		Border string
	}
	Pauses []struct {
		Label             string
		LabelWidth, Width float64
		Title             string
	}
	Areas []struct {
		Phase       string
		Top, Bottom float64
	}
	Cols     int
	Elements int
	MS       float64
}

// runChromium loads html in headless Chromium and returns the text of the
// <pre id="measured"> its script added.
func runChromium(t *testing.T, html string) []byte {
	t.Helper()
	chromium := browser(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "timeline.html")
	if err := os.WriteFile(file, []byte(html), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--window-size=1300,900", "--dump-dom", "file://"+file).Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%.2000s", err, out)
	}
	m := regexp.MustCompile(`(?s)<pre id="measured">(.*?)</pre>`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the measuring script did not run:\n%.2000s", out)
	}
	return []byte(strings.NewReplacer("&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(string(m[1])))
}

// TestTimelineInChromiumAtScale draws runs of 2,000 and 20,000 URLs and
// checks, in what Chromium lays out, that they read: the page stays small
// (an aggregate of every request, a bar for the notable ones only) and
// quick to render; the aggregate's areas are tall enough to read; no
// attempt is a hairline (the instant 503s are blocks of 3 px or more); a
// bar's label stays inside its bar; pause labels are whole words of the
// pause's description and fit their box; queued time is drawn one way,
// as lines of the colour of its legend entry, itself a line.
func TestTimelineInChromiumAtScale(t *testing.T) {
	browser(t)
	for _, n := range []int{2000, 20000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			recs, wall := syntheticRun(n, 64)
			var page bytes.Buffer
			if err := WriteTimeline(&page, "test", recs, wall); err != nil {
				t.Fatal(err)
			}
			if page.Len() > 600<<10 {
				t.Errorf("the page of %d URLs is %d bytes, want at most 600 KiB", n, page.Len())
			}
			var m scaleMeasured
			text := runChromium(t, strings.Replace(page.String(), "</body>", scaleScript+"</body>", 1))
			if err := json.Unmarshal(text, &m); err != nil {
				t.Fatalf("measurements %s: %v", text, err)
			}
			t.Logf("%d URLs: %d bytes, %d elements, script ran %.0f ms after navigation started", n, page.Len(), m.Elements, m.MS)
			if m.Elements > 5000 {
				t.Errorf("%d elements in the page, want at most 5,000", m.Elements)
			}

			// Every request is in the aggregate: 64 in flight, drawn
			// most of the chart's 150 px high; a column each to hover.
			if m.Cols < 250 || len(m.Areas) < 2 {
				t.Errorf("aggregate: %d columns, areas %+v", m.Cols, m.Areas)
			}
			top, bottom := 1e9, 0.0
			for _, a := range m.Areas {
				top, bottom = min(top, a.Top), max(bottom, a.Bottom)
			}
			if bottom-top < 80 {
				t.Errorf("the requests in flight stand %.0f px high, want 80 or more", bottom-top)
			}

			failedOrRetried := 0
			for _, r := range recs {
				if r.Failed() || r.Attempts > 1 {
					failedOrRetried++
				}
			}
			if len(m.Bars) > timelineNotable || len(m.Bars) < failedOrRetried {
				t.Errorf("%d bars; want the %d failed or retried and at most %d", len(m.Bars), failedOrRetried, timelineNotable)
			}
			lanes := map[float64][]int{}
			for i, b := range m.Bars {
				for a, at := range b.Attempts {
					if at.Right-at.Left < minAttemptPx-0.01 {
						t.Errorf("line %s attempt %s is %.2f px wide", b.Line, a, at.Right-at.Left)
					}
				}
				for _, l := range b.Labels {
					if l.Left < b.Left || l.Right > b.Right+0.5 {
						t.Errorf("line %s: label %q spans %.1f–%.1f, its bar %.1f–%.1f", b.Line, l.Text, l.Left, l.Right, b.Left, b.Right)
					}
				}
				lanes[b.Top] = append(lanes[b.Top], i)
			}
			for _, bars := range lanes { // no two bars of a lane overlap
				for k := 1; k < len(bars); k++ {
					if p, q := m.Bars[bars[k-1]], m.Bars[bars[k]]; q.Left < p.Right-0.5 && len(q.Labels)+len(p.Labels) > 0 {
						t.Errorf("lines %s and %s overlap in their lane", p.Line, q.Line)
					}
				}
			}

			if len(m.Pauses) == 0 {
				t.Error("no host pause drawn")
			}
			for _, p := range m.Pauses {
				if p.LabelWidth > p.Width {
					t.Errorf("pause label %q is %.1f px in a box of %.1f", p.Label, p.LabelWidth, p.Width)
				}
				words := strings.Fields(p.Title)
				for _, w := range strings.Fields(p.Label) {
					if !slices.Contains(words, w) {
						t.Errorf("pause label %q: %q is not a word of %q", p.Label, w, p.Title)
					}
				}
			}

			kinds := map[string]int{}
			for _, q := range m.Queue {
				kinds[q]++
			}
			want := "rgb(163, 171, 181)" // #a3abb5
			for k := range kinds {
				if k != "line "+want && k != "path "+want {
					t.Errorf("queued time drawn as %q; want lines of %s: %v", k, want, kinds)
				}
			}
			if m.Swatch.Height > 3 || m.Swatch.Border != "solid "+want {
				t.Errorf("the queue's legend entry is %+v, want a solid line of %s", m.Swatch, want)
			}
		})
	}
}
