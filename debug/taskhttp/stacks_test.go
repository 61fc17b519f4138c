package taskhttp_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/taskhttp"
)

// TestJSONStacks: ?format=json&stacks=1 gives each task of a scope run
// WithProfileLabels its goroutine: the runtime's wait reason and the stack
// of the task's own function; without stacks=1 there are none (nothing is
// paid); a scope without labels says why it has none.
func TestJSONStacks(t *testing.T) {
	h := taskhttp.HandlerFor(sleepyTree(t, async.WithProfileLabels()))
	type body struct {
		Scopes []struct {
			Nodes []struct {
				Name      string           `json:"name"`
				Goroutine *async.Goroutine `json:"goroutine"`
			} `json:"nodes"`
		} `json:"scopes"`
		StacksError string `json:"stacks_error"`
	}
	read := func(target string) body {
		_, text := get(t, h, target, "")
		var b body
		if err := json.Unmarshal([]byte(text), &b); err != nil || len(b.Scopes) != 1 {
			t.Fatalf("%s: %v\n%s", target, err, text)
		}
		return b
	}
	with := read("/debug/tasks?format=json&stacks=1")
	goroutines := map[string]*async.Goroutine{}
	for _, n := range with.Scopes[0].Nodes {
		goroutines[n.Name] = n.Goroutine
	}
	if g := goroutines["napper"]; g == nil || g.Status != "select" || !strings.Contains(g.Stack, "async.SleepNamed(") || !strings.Contains(g.Stack, "sleepyTree") {
		t.Errorf("napper's goroutine: %+v", g)
	}
	if g := goroutines["busy"]; g == nil || g.Status != "chan receive" || strings.Contains(g.Stack, "SleepNamed") {
		t.Errorf("busy's goroutine: %+v", g)
	}
	if g := goroutines["main"]; g == nil || !strings.Contains(g.Stack, "async.WithGroup(") {
		t.Errorf("main's goroutine: %+v", g)
	}
	for _, n := range read("/debug/tasks?format=json").Scopes[0].Nodes {
		if n.Goroutine != nil {
			t.Errorf("%s has a goroutine without stacks=1", n.Name)
		}
	}
	_, text := get(t, h, "/debug/tasks?stacks=1", "")
	if !strings.Contains(text, `"napper" waiting`) || !strings.Contains(text, "[select]:") {
		t.Errorf("text form with stacks=1:\n%s", text)
	}

	unlabelled := taskhttp.HandlerFor(sleepyTree(t))
	_, text = get(t, unlabelled, "/debug/tasks?format=json&stacks=1", "")
	if !strings.Contains(text, `"stacks_error": "tasktree: stacks need the scope to run with async.WithProfileLabels()`) || strings.Contains(text, `"goroutine"`) {
		t.Errorf("unlabelled scope with stacks=1:\n%s", text)
	}
}

// TestBrowserOpensAStack clicks a task's row in Chromium: its goroutine's
// header and stack appear under it, in a monospace block; the other tasks
// show none.
func TestBrowserOpensAStack(t *testing.T) {
	h := taskhttp.HandlerFor(sleepyTree(t, async.WithProfileLabels()))
	var got struct {
		Before, After int
		Text          string
		Font          string
		Under         string
		Error         string
	}
	probe(t, h, "/debug/tasks?format=html&refresh=100000", 1000, `
  return new Promise((resolve) => {
    const before = d.querySelectorAll("pre.stack").length;
    const row = [...d.querySelectorAll("li.task")].find(li => li.querySelector(".name").textContent === "napper").querySelector(".row");
    row.click();
    const wait = () => {
      if (Number(d.body.dataset.updates) < 1) return setTimeout(wait, 20);
      const pres = d.querySelectorAll("pre.stack");
      const pre = pres[0];
      resolve({Before: before, After: pres.length, Text: pre ? pre.innerText : "",
        Font: pre ? getComputedStyle(pre).fontFamily : "", Under: pre ? pre.closest("li.task").querySelector(".name").textContent : ""});
    };
    wait();
  });`, &got)
	if got.Error != "" {
		t.Fatal(got.Error)
	}
	if got.Before != 0 || got.After != 1 || got.Under != "napper" {
		t.Fatalf("stacks before the click %d, after %d (under %q); want 0, then 1 under napper", got.Before, got.After, got.Under)
	}
	if !strings.HasPrefix(got.Text, "goroutine ") || !strings.Contains(got.Text, "[select]:") || !strings.Contains(got.Text, "async.SleepNamed(") {
		t.Errorf("the opened stack reads:\n%s", got.Text)
	}
	if !strings.Contains(strings.ToLower(got.Font), "mono") {
		t.Errorf("the stack's font is %q, want a monospace one", got.Font)
	}
}
