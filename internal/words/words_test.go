package words

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int64
		noun string
		want string
	}{
		{0, "task", "0 tasks"},
		{1, "task", "1 task"},
		{2, "URL", "2 URLs"},
		{1, "retry", "1 retry"},
		{3, "retry", "3 retries"},
		{2, "day", "2 days"},
		{2, "torn record", "2 torn records"},
		{-1, "task", "-1 tasks"},
	} {
		if got := Count(c.n, c.noun); got != c.want {
			t.Errorf("Count(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}

func TestNoun(t *testing.T) {
	if got := Noun(1, "group"); got != "group" {
		t.Errorf("Noun(1, group) = %q", got)
	}
	if got := Noun(10000, "group"); got != "groups" {
		t.Errorf("Noun(10000, group) = %q", got)
	}
}
