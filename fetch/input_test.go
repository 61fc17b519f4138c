package fetch

import (
	"errors"
	"io"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseLine(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"https://a.example/x", "https://a.example/x", true},
		{"  https://a.example/x \t", "https://a.example/x", true},
		{"https://a.example/x\r", "https://a.example/x", true},
		{"\uFEFFhttps://a.example/", "https://a.example/", true},
		{"", "", false},
		{"   \t", "", false},
		{"# a comment", "", false},
		{"   # indented comment", "", false},
		{"https://a.example/#fragment", "https://a.example/#fragment", true},
		{"not a url", "not a url", true}, // kept: ParseURL rejects it, so it gets an error record
	}
	for _, c := range cases {
		got, ok := ParseLine(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseLine(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseURL(t *testing.T) {
	good := []string{"http://a.example", "https://a.example:8443/p?q=1#f", "HTTP://A.EXAMPLE/", "http://127.0.0.1:80/", "http://[::1]:8080/"}
	for _, s := range good {
		if _, err := ParseURL(s); err != nil {
			t.Errorf("ParseURL(%q): %v", s, err)
		}
	}
	bad := map[string]error{
		"ftp://a.example/f":    ErrUnsupportedScheme,
		"a.example/path":       ErrUnsupportedScheme,
		"mailto:x@a.example":   ErrUnsupportedScheme,
		"http://":              ErrInvalidURL,
		"http:///path":         ErrInvalidURL,
		"http://a b.example/":  ErrInvalidURL,
		"http://a.example/%zz": ErrInvalidURL,
		"http://[::1/":         ErrInvalidURL,
		"http://:80/":          ErrInvalidURL,
	}
	for s, want := range bad {
		_, err := ParseURL(s)
		var ue *URLError
		if !errors.Is(err, want) || !errors.As(err, &ue) || ue.URL != s {
			t.Errorf("ParseURL(%q) = %v; want a *URLError wrapping %v", s, err, want)
		}
	}
}

func collect(t *testing.T, r io.Reader) []Input {
	t.Helper()
	var out []Input
	for in, err := range Lines(r) {
		if err != nil {
			t.Fatalf("Lines: %v", err)
		}
		out = append(out, in)
	}
	return out
}

func TestLinesNumbersAndSkips(t *testing.T) {
	text := "# list\nhttp://a.example/1\n\n  \r\nhttp://a.example/2\r\n# done\nhttp://a.example/3"
	got := collect(t, strings.NewReader(text))
	want := []Input{{Line: 2, URL: "http://a.example/1"}, {Line: 5, URL: "http://a.example/2"}, {Line: 7, URL: "http://a.example/3"}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestLinesTooLongLineIsAnInvalidInput(t *testing.T) {
	long := "http://a.example/" + strings.Repeat("x", MaxLineLength+10)
	text := "http://a.example/1\n" + long + "\nhttp://a.example/3\n"
	got := collect(t, strings.NewReader(text))
	if len(got) != 3 {
		t.Fatalf("got %d inputs, want 3: %+v", len(got), got)
	}
	if !errors.Is(got[1].Err, ErrLineTooLong) || got[1].Line != 2 || len(got[1].URL) > 256 {
		t.Errorf("long line: %+v", got[1])
	}
	if got[2] != (Input{Line: 3, URL: "http://a.example/3"}) {
		t.Errorf("line after the long one: %+v", got[2])
	}
}

type failingReader struct{ data io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.data.Read(p)
	if err == io.EOF {
		return n, errors.New("disk on fire")
	}
	return n, err
}

func TestLinesReadErrorEndsTheSequence(t *testing.T) {
	var urls []string
	var last error
	for in, err := range Lines(&failingReader{strings.NewReader("http://a.example/1\nhttp://a.example/2\n")}) {
		if err != nil {
			last = err
			continue
		}
		urls = append(urls, in.URL)
	}
	if len(urls) != 2 || last == nil || last.Error() != "disk on fire" {
		t.Fatalf("urls %v, err %v", urls, last)
	}
}

func TestLinesStopsReadingWhenTheConsumerStops(t *testing.T) {
	r := strings.NewReader(strings.Repeat("http://a.example/\n", 100000))
	for range Lines(r) {
		break
	}
	if r.Len() == 0 {
		t.Fatal("Lines read the whole input for one URL")
	}
}

// FuzzParseLine checks that the line parser and URL validation never panic
// and keep their promises on any input. The seeds run in every go test.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"", "#", " # c", "http://a.example/", "https://a.example:1/p?q#f", "\uFEFFhttp://x",
		"ftp://x", "http://", "http://[::1", "http://a b", "\r\n", "http://%zz", "\x00http://x", "javascript:alert(1)",
		"http://user:pass@host/", "HTTPS://HOST", "http://a.example/" + strings.Repeat("é", 50),
		"http://a.example/f out=f.txt", "http://a.example/f\tout=../x", "http://a.example/ out=", "http://a out=b c",
		`{"url":"http://a.example/","method":"post","headers":{"X-A":"1","X-B":["2","3"]},"body":"{}","out":"o.json"}`,
		`{"url":1}`, `{"url":"http://a/"} {}`, `{"url":"http://a/","headers":{"X":"a\r\nB: c"}}`, `{"url":"http://a/","extra":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		u, ok := ParseLine(line)
		if !ok {
			return
		}
		jsonLine := strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(line, "\uFEFF")), "{")
		if u == "" || u != strings.TrimSpace(u) || u[0] == '#' && !jsonLine {
			t.Fatalf("ParseLine(%q) = %q", line, u)
		}
		parsed, err := ParseURL(u)
		if err != nil {
			var ue *URLError
			if !errors.As(err, &ue) || (!errors.Is(err, ErrInvalidURL) && !errors.Is(err, ErrUnsupportedScheme)) {
				t.Fatalf("ParseURL(%q): unexpected error type %T: %v", u, err, err)
			}
			return
		}
		if s := strings.ToLower(parsed.Scheme); s != "http" && s != "https" || parsed.Hostname() == "" {
			t.Fatalf("ParseURL(%q) accepted %#v", u, parsed)
		}
		// What Lines yields for the same text must agree with ParseLine.
		if !strings.ContainsAny(line, "\n") && utf8.ValidString(line) {
			var got []Input
			for in, err := range Lines(strings.NewReader(line)) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, in)
			}
			if len(got) != 1 || got[0].URL != u {
				t.Fatalf("Lines(%q) = %+v, want %q", line, got, u)
			}
		}
		_ = SafeName(1, u)
		checkInputLine(t, line)
	})
}

// checkInputLine checks the promises of ParseInputLine on any line: an
// input with options is valid or carries an ErrBadLine, an out= name is
// a plain file name, headers cannot smuggle a line break, and Lines yields
// the same input.
func checkInputLine(t *testing.T, line string) {
	in, ok := ParseInputLine(line)
	if !ok {
		return
	}
	if in.Err != nil && !errors.Is(in.Err, ErrBadLine) {
		t.Fatalf("ParseInputLine(%q): error %v is not an ErrBadLine", line, in.Err)
	}
	if o := in.Options; o != nil {
		if in.Err != nil {
			t.Fatalf("ParseInputLine(%q): options and an error", line)
		}
		if o.Out != "" && (filepath.Base(o.Out) != o.Out || o.Out == ".." || o.Out == "." || strings.ContainsAny(o.Out, "/\\\x00")) {
			t.Fatalf("ParseInputLine(%q): out=%q escapes the directory", line, o.Out)
		}
		for name, vs := range o.Header {
			for _, v := range vs {
				if strings.ContainsAny(name+v, "\r\n") {
					t.Fatalf("ParseInputLine(%q): header %q: %q", line, name, v)
				}
			}
		}
		if line[0] != '{' && strings.ContainsAny(in.URL, " \t") {
			t.Fatalf("ParseInputLine(%q): URL %q holds white space", line, in.URL)
		}
	}
	if !strings.ContainsAny(line, "\n") && utf8.ValidString(line) {
		for got := range Lines(strings.NewReader(line)) {
			got.Line = 0
			if got.URL != in.URL || got.Options != nil != (in.Options != nil) || (got.Err == nil) != (in.Err == nil) {
				t.Fatalf("Lines(%q) = %+v, ParseInputLine = %+v", line, got, in)
			}
		}
	}
}

func TestParseInputLine(t *testing.T) {
	in, ok := ParseInputLine("  https://a.example/f.iso \t out=f.iso ")
	if !ok || in.URL != "https://a.example/f.iso" || in.Err != nil || in.Options == nil || in.Options.Out != "f.iso" {
		t.Errorf("out=: %+v", in)
	}
	in, _ = ParseInputLine(`{"url":"https://a.example/","method":"post","headers":{"x-a":"1","X-B":["2","3"]},"body":""}`)
	if o := in.Options; in.Err != nil || o == nil || o.Method != "POST" || o.Body == nil || len(o.Body) != 0 ||
		o.Header.Get("X-A") != "1" || len(o.Header["X-B"]) != 2 {
		t.Errorf("JSON line: %+v %+v", in, in.Options)
	}
	if in, _ = ParseInputLine(`{"url":"https://a.example/"}`); in.Options != nil || in.Err != nil {
		t.Errorf("a JSON line with only a url: %+v", in)
	}
	for _, bad := range []string{
		"http://a.example/ out=../etc/passwd", "http://a.example/ out=a/b", "http://a.example/ out=..",
		`{"url":"http://a/","bogus":1}`, `{"method":"GET"}`, `{"url":"http://a/"`, `{"url":"http://a/","method":"G T"}`,
		`{"url":"http://a/","headers":{"X":"a\nB: c"}}`, `{"url":"http://a/","headers":{"X":3}}`, `{"url":"http://a/","out":"/abs"}`, "http://a.example/ out=000007_a.example",
	} {
		in, ok := ParseInputLine(bad)
		if !ok || !errors.Is(in.Err, ErrBadLine) || in.Options != nil || in.URL != bad {
			t.Errorf("ParseInputLine(%q) = %+v, want an ErrBadLine with the line as URL", bad, in)
		}
	}
	// White space not followed by out= keeps the old meaning: an invalid URL.
	if in, _ := ParseInputLine("http://a b"); in.URL != "http://a b" || in.Err != nil || in.Options != nil {
		t.Errorf("http://a b: %+v", in)
	}
}

func TestSafeName(t *testing.T) {
	cases := map[string]string{
		"https://a.example/x/y.html?q=1":    "000007_a.example_x_y.html_q_1",
		"http://a.example/../../etc/passwd": "000007_a.example_.._.._etc_passwd",
		"http://a.example/":                 "000007_a.example",
		"http://a.example/%2F..%2F":         "000007_a.example_2F.._2F",
		// No password (nor user) in a file name anyone may list.
		"https://alice:pw@a.example/x?u=b@c": "000007_a.example_x_u_b_c",
	}
	for in, want := range cases {
		if got := SafeName(7, in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
	if n := SafeName(1, "http://a.example/"+strings.Repeat("a", 1000)); len(n) > 130 {
		t.Errorf("name not cut: %d bytes", len(n))
	}
}

// TestParseURLIsURLParse: parseURL's cut of a canonical URL is the URL
// url.Parse makes, field for field, and any other input gets url.Parse's
// own answer; checked on URLs made of the characters where the two could
// part: ports and colons, queries and question marks, escapes, userinfo,
// brackets, fragments, upper case, and the other characters of a path.
func TestParseURLIsURLParse(t *testing.T) {
	fixed := []string{
		"http://127.0.0.1:46613/b/1000", "https://example.com", "http://example.com?", "http://example.com/?",
		"http://example.com/p??", "http://example.com/p?a?", "http://h:", "http://h:80:90/", "http://h:8a/",
		"http://h::80/", "http://:80/", "http://h/p?q#f", "http://u@h/", "http://[::1]:80/", "http://h/%41",
		"http://H.Example.COM:0443/A/b;c=d,e+f$g&h@i:j~k", "http://h?a=1&b=2", "http://h/p?x=%zz", "HTTP://h/",
		"http://h/ p", "http://h/\x7f", "https://h:65536/", "http://h.-/", "http://h/p/../q", "https:///p",
	}
	fast := 0
	for _, raw := range fixed {
		checkParseURL(t, raw)
	}
	const alphabet = "abcXYZ019.-:/?#@%[]+~$&,;=_ !*'()"
	rng := rand.New(rand.NewPCG(21, 4))
	for range 200_000 {
		var b strings.Builder
		b.WriteString([]string{"http://", "https://", "http://", "https://", "Http://", "http:/", "ftp://", ""}[rng.IntN(8)])
		for n := rng.IntN(24); n > 0; n-- {
			if rng.IntN(3) == 0 {
				b.WriteByte(alphabet[rng.IntN(len(alphabet))])
			} else {
				b.WriteByte("abc019./"[rng.IntN(8)])
			}
		}
		raw := b.String()
		if canonicalURL(raw) {
			fast++
		}
		checkParseURL(t, raw)
	}
	if fast < 10_000 {
		t.Errorf("only %d of the random URLs were canonical: the cut was hardly tested", fast)
	}
}

// FuzzParseURLIsURLParse: for any input, parseURL gives url.Parse's URL
// field for field, or url.Parse's error. The cut is taken only for what
// canonicalURL accepts, so the fuzzer is seeded with canonical URLs and
// the near misses where the cut and url.Parse could part.
func FuzzParseURLIsURLParse(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:46613/b/1000", "https://example.com", "http://example.com?", "http://h:80:90/",
		"http://h:8a/", "http://:80/", "http://h/p?q#f", "http://h?a=1&b=2", "https://h:65536/", "http://h/p/../q",
		"http://h.example/a;b=c,d+e$f&g@h:i~j?k=l&m", "https://x:/", "http://h/p?a?b", "http://h/%41",
	} {
		f.Add(s)
	}
	f.Fuzz(checkParseURL)
}

// checkParseURL fails t unless parseURL gives url.Parse's URL for raw,
// field for field, or url.Parse's error.
func checkParseURL(t *testing.T, raw string) {
	t.Helper()
	got, gerr := parseURL(raw)
	want, werr := url.Parse(raw)
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("%q: error %v, url.Parse's %v", raw, gerr, werr)
	}
	if gerr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: %#v, url.Parse's %#v", raw, got, want)
	}
}
