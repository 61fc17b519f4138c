package taskhttp_test

import (
	"context"
	"fmt"
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
