package fetch

import (
	"net/url"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://a.example/x?y=1", "https://a.example/x?y=1"},
		{"https://alice@a.example/", "https://alice@a.example/"},
		{"https://alice:pw@a.example/p?q=u:v@w", "https://alice:xxxxx@a.example/p?q=u:v@w"},
		{"https://alice:@a.example/", "https://alice:xxxxx@a.example/"},
		{"http://a:b:c@h:8080", "http://a:xxxxx@h:8080"},
		{"https://alice:p@ss@a.example/", "https://alice:xxxxx@a.example/"},
		{"https://alice:xxxxx@a.example/", "https://alice:xxxxx@a.example/"},
		// Not URLs, or not only: lines that did not parse, messages.
		{"http://u:pw@h/x out=a/b", "http://u:xxxxx@h/x out=a/b"},
		{`{"url":"http://u:pw@h/x","bogus":1}`, `{"url":"http://u:xxxxx@h/x","bogus":1}`},
		{`Get "http://u:pw@h:1/": refused, then http://v:pw2@g/`, `Get "http://u:xxxxx@h:1/": refused, then http://v:xxxxx@g/`},
		{"ftp://u:pw@h", "ftp://u:xxxxx@h"},
		{"mail me@example.com", "mail me@example.com"},
	} {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Whatever url.URL.Redacted makes of a valid URL.
	for _, s := range []string{"https://alice:pw@a.example:8443/p/q?x=1#f", "http://u:p%40ss@h/", "https://u@h/"} {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := RedactURL(s), u.Redacted(); got != want {
			t.Errorf("RedactURL(%q) = %q, url.Redacted %q", s, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { RedactURL("https://a.example/x?y=1") }); n != 0 {
		t.Errorf("%v allocations for a URL without userinfo, want 0", n)
	}
}
