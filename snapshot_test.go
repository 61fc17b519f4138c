package async_test

import (
	"context"
	"encoding/json"
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
		}, async.WithSignals(nil), async.WithName("known"))
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestSnapshotJSON(t *testing.T) {
	withKnownTree(t, func(ctx context.Context, s *async.Scope) {
		b, err := json.Marshal(s.Snapshot())
		if err != nil {
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
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%v in\n%s", err, b)
		}
		if got.Scope != "known" || len(got.Nodes) != 5 {
			t.Fatalf("scope %q with %d nodes, want \"known\" with 5:\n%s", got.Scope, len(got.Nodes), b)
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
		if a.Kind != async.KindTask || a.State != "waiting" || a.Age != 2 || a.Parent != (async.Ref{Kind: async.KindGroup, ID: group.ID}) {
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
