package taskhttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/taskhttp"
)

// knownTree runs a scope holding main → group "crawlers" → "fetch-alpha"
// (3 of 10 done) and "fetch-beta" (awaiting "fetch-alpha") until the test
// ends, and returns the scope.
func knownTree(t *testing.T) *async.Scope {
	s, _ := growingTree(t)
	return s
}

// growingTree is knownTree, also returning a function that adds a task with
// the given name to the group, which runs until the test ends.
func growingTree(t *testing.T) (*async.Scope, func(name string)) {
	t.Helper()
	release := make(chan struct{})
	var group *async.Group
	ready := make(chan *async.Scope)
	done := make(chan error, 1)
	go func() {
		done <- async.Run(context.Background(), func(ctx context.Context) error {
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				reported := make(chan struct{})
				alpha := async.Go(g, func(ctx context.Context) (int, error) {
					async.Report(ctx, 3, 10, "downloading")
					close(reported)
					<-release
					return 0, nil
				}, async.WithName("fetch-alpha"))
				<-reported
				awaiting := make(chan struct{})
				g.Go(func(ctx context.Context) error {
					close(awaiting)
					_, err := alpha.Await(ctx)
					return err
				}, async.WithName("fetch-beta"))
				<-awaiting
				waitUntil(t, async.ScopeOf(ctx), "fetch-beta", async.Waiting)
				group = g
				ready <- async.ScopeOf(ctx)
				return nil
			}, async.WithName("crawlers"))
		}, async.WithSignals(nil), async.WithName("known-tree"))
	}()
	s := <-ready
	t.Cleanup(func() {
		close(release)
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	add := func(name string) {
		group.Go(func(context.Context) error {
			<-release
			return nil
		}, async.WithName(name))
	}
	return s, add
}

// napUntil returns a task function that sleeps, named name, until release
// is closed: tasks of distinct names wait on distinct things, so that they
// do not fold into one row.
func napUntil(release <-chan struct{}, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, stop := context.WithCancel(ctx)
		defer stop()
		go func() {
			select {
			case <-release:
			case <-ctx.Done():
			}
			stop()
		}()
		_ = async.SleepNamed(ctx, time.Hour, name)
		return nil
	}
}

// waitFor returns once n of the scope's tasks are in state.
func waitFor(t *testing.T, s *async.Scope, n int, state async.State) {
	t.Helper()
	got := 0
	for range 10_000 {
		got = 0
		for _, node := range s.Snapshot().Nodes {
			if node.State == state {
				got++
			}
		}
		if got >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Errorf("%d tasks %s, want %d", got, state, n)
}

// waitUntil returns once the scope's task called name is in state.
func waitUntil(t *testing.T, s *async.Scope, name string, state async.State) {
	t.Helper()
	for range 10_000 {
		for _, n := range s.Snapshot().Nodes {
			if n.Name == name && n.State == state {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Errorf("task %q never got %s", name, state)
}

func get(t *testing.T, h http.Handler, target, accept string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), string(body)
}

func TestText(t *testing.T) {
	h := taskhttp.HandlerFor(knownTree(t))
	resp, body := get(t, h, "/debug/tasks", "")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
	for _, want := range []string{`scope "known-tree": 3 tasks, 1 group`, `"crawlers" 2 tasks`, `"fetch-alpha" running`, "[3/10 30% downloading]", `awaiting task`} {
		if !strings.Contains(body, want) {
			t.Errorf("tree lacks %q:\n%s", want, body)
		}
	}
	_, ps := get(t, h, "/debug/tasks?format=ps", "")
	if !strings.Contains(ps, "KIND") || !strings.Contains(ps, `"fetch-beta"`) {
		t.Errorf("ps output:\n%s", ps)
	}
}

func TestJSON(t *testing.T) {
	h := taskhttp.HandlerFor(knownTree(t))
	resp, body := get(t, h, "/debug/tasks?format=json", "")
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var got struct {
		Scopes []struct {
			Scope string `json:"scope"`
			Nodes []struct {
				Name     string `json:"name"`
				State    string `json:"state"`
				Progress *struct {
					Fraction float64 `json:"fraction"`
				} `json:"progress"`
			} `json:"nodes"`
		} `json:"scopes"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%v:\n%s", err, body)
	}
	if len(got.Scopes) != 1 || got.Scopes[0].Scope != "known-tree" || len(got.Scopes[0].Nodes) != 4 {
		t.Fatalf("got %+v, want one scope with 4 nodes", got)
	}
	for _, n := range got.Scopes[0].Nodes {
		if n.Name == "fetch-alpha" && (n.Progress == nil || n.Progress.Fraction != 0.3 || n.State != "running") {
			t.Errorf("fetch-alpha = %+v", n)
		}
	}
}

func TestHTML(t *testing.T) {
	h := taskhttp.HandlerFor(knownTree(t))
	resp, body := get(t, h, "/debug/tasks", "text/html,application/xhtml+xml")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("a browser got Content-Type %q, want the page", ct)
	}
	for _, want := range []string{"<!DOCTYPE html>", `<li class="node group" id="group-`, `<span class="name">fetch-alpha</span>`, `<span class="fill" style="width: 30%">`, `<li class="node task st-running"`, `<span class="badge">running</span>`, `3 tasks in 1 group:`, `href="#task-`, "setTimeout(reload,  1000 )", `id="filter"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	_, frag := get(t, h, "/debug/tasks?format=fragment&refresh=250", "")
	if strings.Contains(frag, "<script>") || !strings.Contains(frag, "fetch-beta") {
		t.Errorf("fragment:\n%s", frag)
	}
}

func TestBadRequests(t *testing.T) {
	h := taskhttp.Handler()
	for _, target := range []string{"/debug/tasks?format=xml", "/debug/tasks?refresh=5", "/debug/tasks?refresh=soon"} {
		if resp, body := get(t, h, target, ""); resp.StatusCode != http.StatusBadRequest || body == "" {
			t.Errorf("%s: %d %q, want 400 with a reason", target, resp.StatusCode, body)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/debug/tasks", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", rec.Code)
	}
}

func TestMountedOnDefaultServeMux(t *testing.T) {
	s := knownTree(t)
	_, body := get(t, http.DefaultServeMux, "/debug/tasks", "")
	if !strings.Contains(body, `scope "`+s.Name()+`"`) {
		t.Errorf("/debug/tasks on the default mux:\n%s", body)
	}
}

// TestPageLimit checks that a scope with more tasks than a page should hold
// shows the first ones and says how many it left out.
func TestPageLimit(t *testing.T) {
	release := make(chan struct{})
	ready := make(chan *async.Scope)
	done := make(chan error, 1)
	go func() {
		done <- async.Run(context.Background(), func(ctx context.Context) error {
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				for i := range 3000 {
					g.Go(napUntil(release, fmt.Sprint("nap ", i)))
				}
				ready <- async.ScopeOf(ctx)
				return nil
			})
		}, async.WithSignals(nil))
	}()
	scope := <-ready
	waitFor(t, scope, 3000, async.Waiting) // none pending: pending ones are alike
	h := taskhttp.HandlerFor(scope)
	_, folded := get(t, h, "/debug/tasks?format=html", "")
	group := regexp.MustCompile(`id="(group-\d+)"`).FindStringSubmatch(folded)
	if group == nil {
		t.Fatalf("no group on the page:\n%s", folded)
	}
	_, body := get(t, h, "/debug/tasks?format=html&open="+group[1], "")
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Folded, the group of 3000 is one row under main.
	if n := strings.Count(folded, `<li class="node`); n != 2 {
		t.Errorf("page with the group folded shows %d nodes, want 2", n)
	}
	// Opened: main, the group and 3000 tasks; the page shows 2000 nodes.
	if n := strings.Count(body, `<li class="node`); n != 2000 {
		t.Errorf("page shows %d nodes, want 2000", n)
	}
	if !strings.Contains(body, "Showing the first 2,000 of 3,002 nodes") {
		t.Error("page does not say how many nodes it left out")
	}
}

// FuzzQuery checks that no query string makes the handler panic or answer
// with anything but the page or a 400 that says why.
func FuzzQuery(f *testing.F) {
	for _, q := range []string{"", "format=json", "format=ps", "format=html&refresh=250", "format=fragment", "format=%ff", "refresh=-1", "refresh=99999999999999999999", "format=text&format=json"} {
		f.Add(q)
	}
	h := taskhttp.Handler()
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/debug/tasks", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest:
			if rec.Body.Len() == 0 {
				t.Errorf("query %q: 400 without a reason", query)
			}
		default:
			t.Errorf("query %q: status %d", query, rec.Code)
		}
	})
}

// TestPageAtTenThousandTasks checks the page of a scope with 10,000 tasks
// in one group: the counts cover them all, in words with correct plurals;
// the group starts folded, as one row, and sends no rows for its tasks;
// opened, the page holds at most its limit of rows and says so; the filter
// (?q=) finds a task far beyond that limit.
func TestPageAtTenThousandTasks(t *testing.T) {
	release := make(chan struct{})
	ready := make(chan *async.Scope)
	done := make(chan error, 1)
	go func() {
		done <- async.Run(context.Background(), func(ctx context.Context) error {
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				for i := range 10_000 {
					g.Go(func(context.Context) error { <-release; return nil }, async.WithName(fmt.Sprintf("job-%05d", i)))
				}
				ready <- async.ScopeOf(ctx)
				return nil
			}, async.WithLimit(1), async.WithName("jobs"))
		}, async.WithSignals(nil), async.WithName("big"))
	}()
	h := taskhttp.HandlerFor(<-ready)
	_, folded := get(t, h, "/debug/tasks?format=html", "")
	group := regexp.MustCompile(`id="(group-\d+)"`).FindStringSubmatch(folded)
	if group == nil {
		t.Fatalf("no group on the page:\n%s", folded)
	}
	_, opened := get(t, h, "/debug/tasks?format=fragment&open="+group[1], "")
	_, found := get(t, h, "/debug/tasks?format=fragment&q=JOB-09999", "")
	_, none := get(t, h, "/debug/tasks?format=fragment&q=no+such+task", "")
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"10,001 tasks in 1 group:", "1 running", "1 waiting", "9,999 pending", "10,000 tasks: 1 running, 9,999 pending"} {
		if !strings.Contains(folded, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(folded, `<li class="node`); n != 2 || !regexp.MustCompile(`<details>\s*<summary`).MatchString(folded) {
		t.Errorf("the group of 10,000 tasks does not start folded, as one row: %d rows", n)
	}
	// Opened: main, the group, the running job and the 9,999 pending ones
	// as one row, identical as they are.
	if n := strings.Count(opened, `<li class="node`); n != 4 || !strings.Contains(opened, `<span class="fold"`) || !strings.Contains(opened, "×9,999") {
		t.Errorf("opened, the page has %d rows, want 4, the 9,999 pending jobs folded into one", n)
	}
	// The match, its group (opened) and main.
	if n := strings.Count(found, `<li class="node`); n != 3 || !strings.Contains(found, "job-09999") || !strings.Contains(found, "<details open>") {
		t.Errorf("filter q=JOB-09999 shows %d rows:\n%s", n, found)
	}
	if !strings.Contains(none, `Nothing matches &#34;no such task&#34;`) {
		t.Errorf("filter matching nothing:\n%s", none)
	}
}

// TestHTMLShowsANamedSleep serves the page of a task in async.SleepNamed:
// it shows the sleep by its name, not as a link to a node (a sleep has
// none to link to).
func TestHTMLShowsANamedSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	scopes := make(chan *async.Scope)
	done := make(chan error, 1)
	go func() {
		done <- async.Run(ctx, func(ctx context.Context) error {
			scopes <- async.ScopeOf(ctx)
			return async.SleepNamed(ctx, time.Hour, "Retry-After a.test:80")
		}, async.WithSignals(nil))
	}()
	s := <-scopes
	defer func() { cancel(); <-done }()
	h := taskhttp.HandlerFor(s)
	var body string
	for range 1000 { // until main is asleep: it records the sleep as it starts
		if _, body = get(t, h, "/debug/tasks", "text/html"); strings.Contains(body, "awaiting sleep") {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if want := `<span class="awaiting">⟶ awaiting sleep &#34;Retry-After a.test:80&#34;</span>`; !strings.Contains(body, want) {
		t.Errorf("page lacks %s:\n%s", want, body)
	}
	if strings.Contains(body, `href="#scope-`) {
		t.Error("the page links a sleep to the scope")
	}
}
