package fetch

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// TestURLTasksInAPauseAreWaiting takes the task tree while a host's
// Retry-After pauses every URL of a run: each URL task shows as waiting on
// the host's pause (not running), and the snapshot counts them apart.
func TestURLTasksInAPauseAreWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			wait(req, 10*time.Millisecond)
			if n == 1 {
				return respond(503, "", "Retry-After", "2"), nil
			}
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 40, Retries: 1})
		var list []string
		for i := range 40 {
			list = append(list, fmt.Sprintf("http://a.test/%d", i))
		}
		var snap *async.Snapshot
		err := async.Run(context.Background(), func(ctx context.Context) error {
			async.Spawn(ctx, func(ctx context.Context) (int, error) {
				time.Sleep(time.Second)
				snap = async.ScopeOf(ctx).Snapshot()
				return 0, nil
			}, async.WithName("observer"))
			_, err := f.Run(ctx, Slice(list), &collector{})
			return err
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
		waiting := 0
		for _, n := range snap.Nodes {
			if !strings.HasPrefix(n.Name, "http://") {
				continue
			}
			if n.State != async.Waiting || n.Awaiting == nil || n.Awaiting.Name != "Retry-After a.test:80" || n.Waited <= 0 {
				t.Errorf("%s: %v awaiting %+v for %v; want waiting on the host's Retry-After", n.Name, n.State, n.Awaiting, n.Waited)
				continue
			}
			waiting++
		}
		if waiting != len(list) {
			t.Errorf("%d URL tasks waiting in the pause, want %d", waiting, len(list))
		}
	})
}
