package tasktree_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/tasktree"
)

// withKnownTree runs, in virtual time, a scope holding main → group
// "fetchers" → "fetch a" (3/10, awaiting "slow" with a 5s timeout), "fetch b"
// (pending behind the group's limit) and "slow", and calls look 2s in.
func withKnownTree(t *testing.T, look func(ctx context.Context, s *async.Scope)) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		err := async.Run(t.Context(), func(ctx context.Context) error {
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				slow := async.Go(g, func(ctx context.Context) (int, error) {
					<-release
					return 1, nil
				}, async.WithName("slow"))
				g.Go(func(ctx context.Context) error {
					async.Report(ctx, 3, 10, "reading")
					_, err := async.WaitFor(ctx, 5*time.Second, slow)
					return err
				}, async.WithName("fetch a"))
				g.Go(func(ctx context.Context) error { return nil }, async.WithName("fetch b"))
				time.Sleep(2 * time.Second)
				look(ctx, async.ScopeOf(ctx))
				close(release)
				return nil
			}, async.WithName("fetchers"), async.WithLimit(2))
		}, async.WithSignals(nil), async.WithName("known"))
		if err != nil {
			t.Fatal(err)
		}
	})
}

var ids = regexp.MustCompile(`(task|group) \d+`)

func TestWriteTree(t *testing.T) {
	withKnownTree(t, func(ctx context.Context, s *async.Scope) {
		var b bytes.Buffer
		if err := tasktree.Dump(ctx, &b); err != nil {
			t.Fatal(err)
		}
		got := ids.ReplaceAllString(b.String(), "$1 N")
		want := `scope "known": 4 tasks, 1 group
└─ task N "main" running 2s
   └─ group N "fetchers" 3 tasks [0/3 0%]
      ├─ task N "slow" running 2s
      ├─ task N "fetch a" waiting 2s [3/10 30% reading], awaiting task N "slow" for 2s (times out in 3s)
      └─ task N "fetch b" pending
`
		if got != want {
			t.Errorf("tree:\n%s\nwant:\n%s", got, want)
		}
	})
}

func TestWriteTable(t *testing.T) {
	withKnownTree(t, func(ctx context.Context, s *async.Scope) {
		var b bytes.Buffer
		if err := tasktree.WriteTable(&b, s.Snapshot()); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		if len(lines) != 6 {
			t.Fatalf("table has %d lines, want a header and 5 nodes:\n%s", len(lines), b.String())
		}
		header := strings.Fields(lines[0])
		if want := "KIND ID PARENT STATE AGE PROGRESS AWAITING NAME ORIGIN"; strings.Join(header, " ") != want {
			t.Errorf("header = %q, want %q", lines[0], want)
		}
		var fetchA string
		for _, l := range lines {
			if strings.Contains(l, `"fetch a"`) {
				fetchA = l
			}
		}
		for _, want := range []string{"waiting", "2s", "3/10 30% reading", `"slow" for 2s`, "tasktree_test.go:"} {
			if !strings.Contains(fetchA, want) {
				t.Errorf("row %q lacks %q", fetchA, want)
			}
		}
		// Columns line up: every row's NAME starts where the header's does.
		col := strings.Index(lines[0], "NAME")
		for _, l := range lines[1:] {
			if len(l) <= col || l[col] != '"' {
				t.Errorf("row %q: NAME column not at %d", l, col)
			}
		}
	})
}

func TestFormatProgress(t *testing.T) {
	for _, c := range []struct {
		p    async.Progress
		want string
	}{
		{async.Progress{Done: 3, Total: 10, Message: "x"}, "3/10 30% x"},
		{async.Progress{Done: 7}, "7"},
		{async.Progress{Done: 12, Total: 10}, "12/10 100%"},
	} {
		if got := tasktree.FormatProgress(c.p); got != c.want {
			t.Errorf("FormatProgress(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
}

// A stuck program's tasks, in one call.
func ExampleDump() {
	err := async.Run(context.Background(), func(ctx context.Context) error {
		return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
			reported, release := make(chan struct{}), make(chan struct{})
			g.Go(func(ctx context.Context) error {
				async.Report(ctx, 1, 4, "step 1")
				close(reported)
				<-release
				return nil
			}, async.WithName("worker"))
			<-reported
			defer close(release)
			var b bytes.Buffer
			if err := tasktree.Dump(ctx, &b); err != nil {
				return err
			}
			// Ages and IDs vary from run to run; show the shape.
			out := regexp.MustCompile(` \d+(\.\d+)?[mµn]?s\b`).ReplaceAllString(b.String(), "")
			fmt.Print(ids.ReplaceAllString(out, "$1 N"))
			return nil
		}, async.WithName("jobs"))
	}, async.WithName("example"))
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// scope "example": 2 tasks, 1 group
	// └─ task N "main" running
	//    └─ group N "jobs" 1 task [0/1 0%]
	//       └─ task N "worker" running [1/4 25% step 1]
}

func TestDumpOutsideRun(t *testing.T) {
	if err := tasktree.Dump(context.Background(), nil); !errors.Is(err, tasktree.ErrNoScope) {
		t.Errorf("Dump outside Run = %v, want ErrNoScope", err)
	}
}

// A node whose parent has finished is a top-level node, marked as an orphan,
// after the scope's own children.
func TestTreeOrphan(t *testing.T) {
	snap := &async.Snapshot{Scope: "s", Nodes: []async.TaskInfo{
		{Kind: async.KindTask, ID: 1, Name: "main"},
		{Kind: async.KindTask, ID: 3, Name: "orphan", Parent: async.Ref{Kind: async.KindTask, ID: 2}},
		{Kind: async.KindTask, ID: 4, Name: "child", Parent: async.Ref{Kind: async.KindTask, ID: 1}},
	}}
	roots := tasktree.Tree(snap)
	if len(roots) != 2 || roots[0].Name != "main" || roots[1].Name != "orphan" {
		t.Fatalf("roots = %v, want main then orphan", roots)
	}
	if roots[0].Orphan || !roots[1].Orphan {
		t.Errorf("orphan flags: main %v, orphan %v", roots[0].Orphan, roots[1].Orphan)
	}
	if len(roots[0].Children) != 1 || roots[0].Children[0].Name != "child" {
		t.Errorf("main's children = %v, want child", roots[0].Children)
	}
	var b strings.Builder
	if err := tasktree.WriteTree(&b, snap); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `task 3 "orphan" pending (parent task 2 has finished)`) {
		t.Errorf("tree does not mark the orphan:\n%s", b.String())
	}
}

func TestFormatAge(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{1234567 * time.Nanosecond, "1ms"},
		{1540 * time.Millisecond, "1.5s"},
		{-2 * time.Second, "-2s"},
		{90*time.Second + 400*time.Millisecond, "1m30s"},
	} {
		if got := tasktree.FormatAge(c.d); got != c.want {
			t.Errorf("FormatAge(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

// TestNamedSleep renders a task in async.SleepNamed: awaiting the sleep by
// its name, with when it wakes rather than a timeout, in the tree and the
// table.
func TestNamedSleep(t *testing.T) {
	taken := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	snap := &async.Snapshot{Scope: "s", Taken: taken, Nodes: []async.TaskInfo{{
		Kind: async.KindTask, ID: 1, Name: "fetch", State: async.Running,
		Awaiting: &async.Awaiting{Name: "Retry-After a.test:80", Deadline: taken.Add(800 * time.Millisecond), Sleep: true},
	}}}
	var tree, table bytes.Buffer
	if err := tasktree.WriteTree(&tree, snap); err != nil {
		t.Fatal(err)
	}
	if want := "└─ task 1 \"fetch\" running, awaiting sleep \"Retry-After a.test:80\" (wakes in 800ms)\n"; !strings.HasSuffix(tree.String(), want) {
		t.Errorf("tree:\n%s\nwant it to end with:\n%s", tree.String(), want)
	}
	if err := tasktree.WriteTable(&table, snap); err != nil {
		t.Fatal(err)
	}
	if want := `sleep "Retry-After a.test:80" (wakes in 800ms)`; !strings.Contains(table.String(), want) {
		t.Errorf("table:\n%s\nlacks %s", table.String(), want)
	}
}

// TestTimeoutBlock renders a task running a block under async.Timeout: the
// block's name and when it expires.
func TestTimeoutBlock(t *testing.T) {
	taken := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	snap := &async.Snapshot{Scope: "s", Taken: taken, Nodes: []async.TaskInfo{{
		Kind: async.KindTask, ID: 1, Name: "load", State: async.Running,
		Awaiting: &async.Awaiting{Name: "load config", Deadline: taken.Add(2 * time.Second), Timeout: true},
	}}}
	var tree bytes.Buffer
	if err := tasktree.WriteTree(&tree, snap); err != nil {
		t.Fatal(err)
	}
	if want := "└─ task 1 \"load\" running, awaiting timeout \"load config\" (expires in 2s)\n"; !strings.HasSuffix(tree.String(), want) {
		t.Errorf("tree:\n%s\nwant it to end with:\n%s", tree.String(), want)
	}
}
