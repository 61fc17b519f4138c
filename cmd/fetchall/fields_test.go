package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestFieldsChoosesTheColumns(t *testing.T) {
	s := demo(t)
	ctx := context.Background()
	r := cli(t, ctx, "", "-q", "-fields", "url,status,duration_ms", s.URL+"/item", s.URL+"/status?code=404")
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var m map[string]any
		json.Unmarshal([]byte(l), &m)
		if !strings.HasPrefix(l, `{"url":"`+s.URL) || !strings.Contains(l, `,"status":`) || !strings.Contains(l, `,"duration_ms":`) || len(m) != 3 {
			t.Errorf("jsonl line %q; want url, status and duration_ms only", l)
		}
	}
	r = cli(t, ctx, "", "-q", "-f", "csv", "-fields", "status,url", s.URL+"/item")
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) != 2 || strings.Join(rows[0], ",") != "status,url" || rows[1][0] != "200" || rows[1][1] != s.URL+"/item" {
		t.Errorf("csv %q, %v", rows, err)
	}
	out := filepath.Join(t.TempDir(), "o.jsonl")
	for _, args := range [][]string{
		{"-fields", "url,nope"},
		{"-f", "table", "-fields", "url"},
		{"-fields", "url,status", "-o", out, "-resume", out},
	} {
		if r := cli(t, ctx, "", append(args, s.URL+"/item")...); r.code != exitUsage {
			t.Errorf("%q: exit %d %q; want a usage error", args, r.code, r.stderr)
		}
	}
}

func TestOrderedWritesInInputOrder(t *testing.T) {
	s := demo(t)
	var list strings.Builder
	for i := range 20 {
		fmt.Fprintf(&list, "%s/item?delay=%dms\n", s.URL, (20-i)*5) // later lines answer sooner
	}
	r := cli(t, context.Background(), list.String(), "-q", "-i", "-", "-c", "20", "-ordered", "-order-window", "32")
	recs := records(t, r.stdout)
	if r.code != exitOK || len(recs) != 20 {
		t.Fatalf("exit %d, %d records", r.code, len(recs))
	}
	for i, rec := range recs {
		if rec.Line != i+1 {
			t.Fatalf("record %d is line %d: not in input order", i, rec.Line)
		}
	}
	if r := cli(t, context.Background(), "", "-ordered", "-order-window", "0", s.URL); r.code != exitUsage {
		t.Errorf("-order-window 0: exit %d", r.code)
	}
}

// TestFieldsNamedTwiceAreRefused: -fields url,url would write a JSON
// object with the key twice; it is refused, for CSV too, naming the field.
func TestFieldsNamedTwiceAreRefused(t *testing.T) {
	for _, format := range []string{"jsonl", "csv"} {
		r := cli(t, context.Background(), "", "-f", format, "-fields", "url,status,url", "http://127.0.0.1:1/")
		if r.code != exitUsage || !strings.Contains(r.stderr, "url named twice") || r.stdout != "" {
			t.Errorf("-f %s -fields url,status,url: exit %d, stdout %q, stderr %q; want a usage error", format, r.code, r.stdout, r.stderr)
		}
	}
}
