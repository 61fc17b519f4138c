package taskhttp_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/taskhttp"
)

// TestTenThousandAtOneGate: 10,000 workers waiting at one gate take a few
// lines in the text, ps and HTML forms, each saying how many it stands for.
func TestTenThousandAtOneGate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan *async.Scope)
	done := make(chan error, 1)
	go func() {
		done <- async.Run(ctx, func(ctx context.Context) error {
			gate := async.NewFuture[int](ctx, async.WithName("gate"))
			err := async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				for i := range 10_000 {
					g.Go(func(ctx context.Context) error { _, err := gate.Await(ctx); return err }, async.WithName(fmt.Sprintf("worker-%05d", i)))
				}
				ready <- async.ScopeOf(ctx)
				return nil
			}, async.WithName("workers"))
			gate.Cancel(nil)
			return err
		}, async.WithSignals(nil), async.WithName("gate"))
	}()
	scope := <-ready
	waitFor(t, scope, 10_000, async.Waiting)
	h := taskhttp.HandlerFor(scope)
	_, text := get(t, h, "/debug/tasks", "")
	_, ps := get(t, h, "/debug/tasks?format=ps", "")
	_, html := get(t, h, "/debug/tasks?format=html", "")
	var opened string
	if i := strings.Index(html, `id="group-`); i >= 0 {
		id := html[i+4 : i+4+strings.IndexByte(html[i+4:], '"')]
		_, opened = get(t, h, "/debug/tasks?format=fragment&open="+id, "")
	}
	cancel()
	<-done

	if n := strings.Count(text, "\n"); n > 6 || !strings.Contains(text, `10,000 tasks like task `) || !strings.Contains(text, `"worker-00000" waiting`) || !strings.Contains(text, `awaiting task `) {
		t.Errorf("text form, %d lines:\n%s", n, text)
	}
	if n := strings.Count(ps, "\n"); n > 7 || !strings.Contains(ps, `"worker-00000" ×10,000`) {
		t.Errorf("ps form, %d lines:\n%s", n, ps)
	}
	// The group of 10,000 starts folded; opened, its tasks are one row.
	if n := strings.Count(opened, `<li class="node`); n != 4 || !strings.Contains(opened, "×10,000") {
		t.Errorf("opened, the page has %d rows, want main, the gate, the group and one row for its 10,000 workers:\n%.3000s", n, opened)
	}
}

// TestGroupCountsTakeInSubgroups: fetchall's run group holds a task per
// host, each running a group of URLs; the run group's line counts the
// tasks below it at any depth and adds up its subgroups' progress, rather
// than sitting at "1 task [0/1]", in the text form and on the page.
func TestGroupCountsTakeInSubgroups(t *testing.T) {
	h := taskhttp.HandlerFor(stuckFetch(t))
	_, text := get(t, h, "/debug/tasks", "")
	if !regexp.MustCompile(`group \d+ "fetch.Run" 45 tasks \[0/45 0%\]\n`).MatchString(text) {
		t.Errorf("the run group's line does not count the 2 host tasks and 43 URL tasks below it:\n%s", text)
	}
	_, page := get(t, h, "/debug/tasks?format=html", "")
	if !regexp.MustCompile(`<span class="name">fetch.Run</span>\s*<span class="bar" role="progressbar" aria-valuenow="0" aria-valuemax="45">`).MatchString(page) ||
		!strings.Contains(page, `<span class="group-counts">45 tasks: 3 running, 42 waiting</span>`) {
		t.Errorf("the run group's row on the page:\n%s", page)
	}
}

// pastTheCap runs a scope whose main starts 2,100 distinct tasks, then
// waits for group "late", which holds a task "inside": in the page's order
// the group comes after the node cap.
func pastTheCap(t *testing.T) *async.Scope {
	t.Helper()
	release := make(chan struct{})
	ready := make(chan *async.Scope)
	done := make(chan error, 1)
	go func() {
		done <- async.Run(context.Background(), func(ctx context.Context) error {
			for i := range 2100 {
				async.Spawn(ctx, func(ctx context.Context) (int, error) {
					return 0, napUntil(release, fmt.Sprint("nap ", i))(ctx)
				}, async.WithName(fmt.Sprintf("early-%04d", i)))
			}
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				g.Go(napUntil(release, "inside"), async.WithName("inside"))
				ready <- async.ScopeOf(ctx)
				return nil
			}, async.WithName("late"))
		}, async.WithSignals(nil), async.WithName("capped"))
	}()
	s := <-ready
	t.Cleanup(func() { close(release); <-done })
	waitFor(t, s, 2102, async.Waiting)
	return s
}

// TestRevealPastTheCap: the awaited group lies past the page's node cap,
// so the page leaves it out; asked to reveal it (as following main's
// awaiting link does), the page shows the path to it, open, with its task.
func TestRevealPastTheCap(t *testing.T) {
	s := pastTheCap(t)
	h := taskhttp.HandlerFor(s)
	var late string
	for _, n := range s.Snapshot().Nodes {
		if n.Name == "late" {
			late = fmt.Sprintf("group-%d", n.ID)
		}
	}
	_, plain := get(t, h, "/debug/tasks?format=fragment", "")
	if !strings.Contains(plain, `href="#`+late+`"`) || strings.Contains(plain, `id="`+late+`"`) {
		t.Fatalf("without reveal, want main's link to %s and no row for it", late)
	}
	_, revealed := get(t, h, "/debug/tasks?format=fragment&reveal="+late, "")
	if !strings.Contains(revealed, `id="`+late+`"`) || !strings.Contains(revealed, `<span class="name">inside</span>`) {
		t.Errorf("with reveal=%s the page lacks the group or its task", late)
	}
}

// TestBrowserFollowsALinkPastTheCap clicks main's awaiting link in Chromium:
// the page fetches the path to the group and scrolls to it.
func TestBrowserFollowsALinkPastTheCap(t *testing.T) {
	h := taskhttp.HandlerFor(pastTheCap(t))
	var got struct {
		Before, After bool
		Hash          string
		Visible       bool
		Error         string
	}
	probe(t, h, "/debug/tasks?format=html&refresh=100000", 1000, `
  return new Promise((resolve) => {
    const link = [...d.querySelectorAll("a.awaiting")].find(a => /"late"/.test(a.textContent));
    const id = link.getAttribute("href").slice(1);
    const before = !!d.getElementById(id);
    link.click();
    const wait = () => {
      const el = d.getElementById(id);
      if (!el) return setTimeout(wait, 20);
      const r = el.getBoundingClientRect();
      resolve({Before: before, After: true, Hash: d.defaultView.location.hash, Visible: r.top >= 0 && r.top < d.defaultView.innerHeight});
    };
    wait();
  });`, &got)
	if got.Error != "" {
		t.Fatal(got.Error)
	}
	if got.Before || !got.After || !strings.HasPrefix(got.Hash, "#group-") || !got.Visible {
		t.Errorf("following the link: %+v; want the group absent, then present, in view, and the address at it", got)
	}
}

// TestBrowserOneLineAt800 renders a fetch that seems stuck at 800 px: every
// task takes one line (its parts side by side, the row no taller than one
// line), its name still readable.
func TestBrowserOneLineAt800(t *testing.T) {
	h := taskhttp.HandlerFor(stuckFetch(t))
	var got struct {
		Rows      int
		Tallest   float64
		Line      float64
		Spread    float64
		Narrowest float64
		Error     string
	}
	probe(t, h, "/debug/tasks?format=html&refresh=100000", 800, `
  const rows = [...d.querySelectorAll("li.task > .row")];
  let tallest = 0, spread = 0, narrowest = 1e9;
  for (const r of rows) {
    tallest = Math.max(tallest, r.getBoundingClientRect().height);
    const tops = [...r.children].filter(c => c.getBoundingClientRect().width > 0).map(c => c.getBoundingClientRect().top + c.getBoundingClientRect().height / 2);
    spread = Math.max(spread, Math.max(...tops) - Math.min(...tops));
    const name = r.querySelector(".name");
    narrowest = Math.min(narrowest, name.getBoundingClientRect().width / Math.min(name.scrollWidth, 80));
  }
  const line = parseFloat(getComputedStyle(d.body).lineHeight);
  return {Rows: rows.length, Tallest: tallest, Line: line, Spread: spread, Narrowest: narrowest};`, &got)
	if got.Error != "" {
		t.Fatal(got.Error)
	}
	t.Logf("at 800 px: %d task rows, the tallest %.0f px (line %.1f px), centres spread %.1f px, narrowest name at %.2f of its width", got.Rows, got.Tallest, got.Line, got.Spread, got.Narrowest)
	if got.Rows < 6 {
		t.Fatalf("%d task rows rendered", got.Rows)
	}
	if got.Tallest > 1.7*got.Line || got.Spread > 3 {
		t.Errorf("a task row wraps at 800 px: %.0f px tall for a %.1f px line, its parts %.1f px apart", got.Tallest, got.Line, got.Spread)
	}
	if got.Narrowest < 0.95 {
		t.Errorf("a task's name is squeezed to %.0f%% of its width (or of 80 px)", got.Narrowest*100)
	}
}
