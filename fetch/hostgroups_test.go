package fetch

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// TestRunGroupsURLTasksByHostAndShowsPauses takes the task tree of a run
// over two hosts while a Retry-After pauses one of them: each host has a
// task in the run's group and a group of its own holding its URL tasks;
// the URL that got the Retry-After and the one read during the pause both
// await the host's pause, named and with its end; a host whose URLs came
// one after another kept its group (b's counts 2 done of 3).
func TestRunGroupsURLTasksByHostAndShowsPauses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if req.URL.Path == "/flaky" && n == 1 {
				wait(req, 10*time.Millisecond)
				return respond(503, "", "Retry-After", "1"), nil
			}
			wait(req, 500*time.Millisecond)
			return respond(200, "ok"), nil
		})
		// Three inputs pending at most: a/1 and b/3 are read when b/1 and
		// b/2 are done, at 500ms, while a.test is paused until 1.01s.
		f := mustNew(t, Config{Transport: web, Concurrency: 3, Backlog: -1, Retries: 1})
		list := []string{"http://a.test/flaky", "http://b.test/1", "http://b.test/2", "http://a.test/1", "http://b.test/3"}
		col := &collector{}
		var snap *async.Snapshot
		err := async.Run(context.Background(), func(ctx context.Context) error {
			async.Spawn(ctx, func(ctx context.Context) (int, error) {
				time.Sleep(700 * time.Millisecond)
				snap = async.ScopeOf(ctx).Snapshot()
				return 0, nil
			}, async.WithName("observer"))
			_, err := f.Run(ctx, Slice(list), col)
			return err
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(col.recs) != len(list) {
			t.Fatalf("%d records for %d inputs", len(col.recs), len(list))
		}
		for _, r := range col.recs {
			if r.Outcome != OK {
				t.Errorf("%s: %v %s", r.URL, r.Outcome, r.Error)
			}
		}

		byName := map[string]async.TaskInfo{}
		for _, n := range snap.Nodes {
			byName[n.Name] = n
		}
		ref := func(name string) async.Ref {
			n, ok := byName[name]
			if !ok {
				t.Fatalf("no node %q in the tree: %+v", name, snap.Nodes)
			}
			return async.Ref{Kind: n.Kind, ID: n.ID}
		}
		for _, host := range []string{"a.test:80", "b.test:80"} {
			if p := byName["host "+host].Parent; p != ref("fetch.Run") {
				t.Errorf("task %q is in %v, want the run's group", "host "+host, p)
			}
			if g := byName[host]; g.Kind != async.KindGroup || g.Parent != ref("host "+host) {
				t.Errorf("%q: %+v, want the group of task %q", host, g, "host "+host)
			}
		}
		if g := byName["b.test:80"]; g.Tasks != 1 || g.Progress == nil || g.Progress.Done != 2 || g.Progress.Total != 3 {
			t.Errorf("b.test's group: %d tasks, progress %+v; want 1 task, 2 of 3 done", g.Tasks, g.Progress)
		}
		if n := byName["http://b.test/3"]; n.Parent != ref("b.test:80") || n.Awaiting != nil {
			t.Errorf("b.test/3 in %v awaiting %+v; want in b.test's group, awaiting nothing", n.Parent, n.Awaiting)
		}
		pauseEnd := start.Add(10*time.Millisecond + time.Second)
		for _, u := range []string{"http://a.test/flaky", "http://a.test/1"} {
			n := byName[u]
			want := async.Awaiting{Name: "Retry-After a.test:80", Deadline: pauseEnd, Sleep: true}
			if n.Parent != ref("a.test:80") || n.Awaiting == nil || *n.Awaiting != want {
				t.Errorf("%s in %v awaiting %+v; want in a.test's group, awaiting %+v", u, n.Parent, n.Awaiting, want)
			}
		}
	})
}

// TestIdleHostGroupsAreClosed makes groups for many hosts whose URLs are
// done: past maxIdleHostGroups idle hosts the idle groups are closed, so
// that a long list of hosts does not keep a goroutine per host; closeAll
// lets the rest close, so the run's group ends.
func TestIdleHostGroupsAreClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := async.WithGroup(t.Context(), func(ctx context.Context, g *async.Group) error {
			hs := newHostGroups(g, nil)
			defer hs.closeAll()
			first, err := hs.get(ctx, "host-0")
			if err != nil {
				return err
			}
			hs.done(first)
			for i := 1; i < 3*maxIdleHostGroups; i++ {
				hg, err := hs.get(ctx, fmt.Sprint("host-", i))
				if err != nil {
					return err
				}
				hs.done(hg)
				if len(hs.m) > maxIdleHostGroups+2 {
					t.Fatalf("%d host groups open after %d hosts", len(hs.m), i+1)
				}
			}
			synctest.Wait()
			if n := g.Progress().Done; n < 2*maxIdleHostGroups {
				t.Errorf("%d host tasks ended of %d, want the idle ones", n, 3*maxIdleHostGroups)
			}
			again, err := hs.get(ctx, "host-0")
			if err != nil {
				return err
			}
			if again == first {
				t.Error("a closed host group was reused")
			}
			hs.done(again)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestURLTasksUseTheirHostGroupsEntry: while a run's host has a group, the
// fetcher's host table holds one reference to its entry, the host task's,
// however many of its URLs are in flight; once the run ends, none, and the
// entry is gone. Two hosts, two entries.
func TestURLTasksUseTheirHostGroupsEntry(t *testing.T) {
	var f *Fetcher
	var mu sync.Mutex
	refs := map[string][]int{}
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		key := req.URL.Host + ":80"
		f.hosts.mu.Lock()
		n := -1
		if h := f.hosts.m[key]; h != nil {
			n = h.refs
		}
		entries := len(f.hosts.m)
		f.hosts.mu.Unlock()
		mu.Lock()
		refs[key] = append(refs[key], n)
		mu.Unlock()
		if entries > 2 {
			t.Errorf("%d entries in the host table for two hosts", entries)
		}
		time.Sleep(time.Millisecond) // let others be in flight
		return respond(200, "ok"), nil
	})
	f = mustNew(t, Config{Transport: rt, Concurrency: 8})
	list := append(urls(100, "http://a.test/%d"), urls(100, "http://b.test/%d")...)
	c, _ := runAll(t, f, list)
	if len(c.recs) != len(list) {
		t.Fatalf("%d records for %d URLs", len(c.recs), len(list))
	}
	for key, ns := range refs {
		for _, n := range ns {
			if n != 1 {
				t.Fatalf("%s: %d references to its entry while a request was in flight, want 1 (the host task's): %v", key, n, ns)
			}
		}
	}
	if len(refs) != 2 {
		t.Errorf("requests to %d hosts, want 2", len(refs))
	}
	f.hosts.mu.Lock()
	defer f.hosts.mu.Unlock()
	if len(f.hosts.m) != 0 {
		t.Errorf("%d entries left in the host table after the run", len(f.hosts.m))
	}
}
