package async_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
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
		}, async.WithSignals(nil), async.WithRunName("known"))
		if err != nil {
			t.Fatal(err)
		}
	})
}

var ids = regexp.MustCompile(`(task|group) \d+`)

func TestWriteTree(t *testing.T) {
	withKnownTree(t, func(ctx context.Context, s *async.Scope) {
		var b bytes.Buffer
		if err := async.Dump(ctx, &b); err != nil {
			t.Fatal(err)
		}
		got := ids.ReplaceAllString(b.String(), "$1 N")
		want := `scope "known": 4 tasks, 1 group
└─ task N "main" running 2s
   └─ group N "fetchers" 3 tasks
      ├─ task N "slow" running 2s
      ├─ task N "fetch a" running 2s [3/10 30% reading], awaiting task N "slow" (times out in 3s)
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
		if err := s.Snapshot().WriteTable(&b); err != nil {
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
		for _, want := range []string{"running", "2s", "3/10 30% reading", `"slow"`, "snapshot_test.go:"} {
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

func TestWriteJSON(t *testing.T) {
	withKnownTree(t, func(ctx context.Context, s *async.Scope) {
		var b bytes.Buffer
		if err := s.Snapshot().WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Scope string `json:"scope"`
			Nodes []struct {
				Kind     async.Kind `json:"kind"`
				ID       uint64     `json:"id"`
				Name     string     `json:"name"`
				State    string     `json:"state"`
				Parent   async.Ref  `json:"parent"`
				Age      float64    `json:"age_seconds"`
				Origin   string     `json:"origin"`
				Tasks    int        `json:"tasks"`
				Progress *struct {
					Done     int64   `json:"done"`
					Total    int64   `json:"total"`
					Fraction float64 `json:"fraction"`
					Message  string  `json:"message"`
				} `json:"progress"`
				Awaiting *async.Awaiting `json:"awaiting"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatalf("%v in\n%s", err, b.String())
		}
		if got.Scope != "known" || len(got.Nodes) != 5 {
			t.Fatalf("scope %q with %d nodes, want \"known\" with 5:\n%s", got.Scope, len(got.Nodes), b.String())
		}
		byName := map[string]int{}
		for i, n := range got.Nodes {
			byName[n.Name] = i
		}
		group := got.Nodes[byName["fetchers"]]
		a := got.Nodes[byName["fetch a"]]
		if group.Kind != async.KindGroup || group.Tasks != 3 {
			t.Errorf("group = %+v", group)
		}
		if a.Kind != async.KindTask || a.State != "running" || a.Age != 2 || a.Parent != (async.Ref{Kind: async.KindGroup, ID: group.ID}) {
			t.Errorf("fetch a = %+v", a)
		}
		if p := a.Progress; p == nil || p.Done != 3 || p.Total != 10 || p.Fraction != 0.3 || p.Message != "reading" {
			t.Errorf("fetch a progress = %+v", p)
		}
		if w := a.Awaiting; w == nil || w.Name != "slow" || w.Deadline.IsZero() {
			t.Errorf("fetch a awaiting = %+v", w)
		}
		if b := got.Nodes[byName["fetch b"]]; b.State != "pending" || b.Age != 0 {
			t.Errorf("fetch b = %+v, want pending", b)
		}
	})
}

func TestKindText(t *testing.T) {
	for _, k := range []async.Kind{0, async.KindTask, async.KindGroup} {
		b, _ := k.MarshalText()
		var back async.Kind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("%v → %q → %v, %v", k, b, back, err)
		}
	}
	var k async.Kind
	if err := k.UnmarshalText([]byte("goroutine")); err == nil {
		t.Error("UnmarshalText accepted an unknown kind")
	}
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
		if got := async.FormatProgress(c.p); got != c.want {
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
			if err := async.Dump(ctx, &b); err != nil {
				return err
			}
			// Ages and IDs vary from run to run; show the shape.
			out := regexp.MustCompile(` \d+(\.\d+)?[mµn]?s\b`).ReplaceAllString(b.String(), "")
			fmt.Print(ids.ReplaceAllString(out, "$1 N"))
			return nil
		}, async.WithName("jobs"))
	}, async.WithRunName("example"))
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// scope "example": 2 tasks, 1 group
	// └─ task N "main" running
	//    └─ group N "jobs" 1 task
	//       └─ task N "worker" running [1/4 25% step 1]
}
