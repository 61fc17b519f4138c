package fetch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// sharedHeader is the header of every request that nothing adds to or
// takes from, made once by fillHeader's rules for such a request: the
// configured headers, the User-Agent, Accept-Encoding when Compressed.
// Never written, it is shared by those requests, which spares each a map
// and the lookups that fill it, on the path of every URL. It is nil when
// the headers name a Host, which needs the request's own handling, or when
// the transport is not the engine's own: net/http's never writes a
// request's header, one given in Config might.
func (f *Fetcher) sharedHeader() http.Header {
	if f.cfg.Transport != nil {
		return nil
	}
	u := &url.URL{}
	req := &http.Request{URL: u, Header: make(http.Header, len(f.cfg.Header)+2)}
	f.fillHeader(req, &Input{}, u, false, 0, true, nil)
	if req.Host != "" {
		return nil
	}
	return req.Header
}

// plainRequest returns the request for a hop of in's chain that needs
// nothing of its own — no per-line options, no range, no credentials in
// the URL or Config.User, no cookie jar, no Referer to add (AutoReferer
// off) — with the
// shared header, or nil. Nothing writes to such a request's header.
func (f *Fetcher) plainRequest(ctx context.Context, in *Input, method string, u *url.URL, body []byte, offset int64, user *url.Userinfo) *http.Request {
	if f.header == nil || in.Options != nil || offset > 0 || user != nil || u.User != nil || f.cfg.Jar != nil || f.cfg.AutoReferer || f.cfg.User != nil {
		return nil
	}
	if body == nil && (method == http.MethodGet || method == http.MethodHead) {
		// What NewRequestWithContext makes of a request with no body and
		// a valid method, without the URL it would parse and the header
		// map it would make, both replaced at once (0.4 kB a URL).
		r := http.Request{Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: f.header, Host: u.Host}
		return r.WithContext(ctx)
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "/", r)
	if err != nil {
		return nil
	}
	req.URL, req.Host, req.Header = u, u.Host, f.header
	return req
}

// canonicalURL reports whether raw, once parsed, prints back as itself:
// a lower-case http or https scheme, a host of letters, digits, dots,
// hyphens and a port, a path of characters url.URL never escapes, any
// query and no fragment. The final URL of a request that was not
// redirected is then the input's own string, with no url.URL.String on
// the path of every URL (0.16 s of 5.89 s in the profile of list (b)).
func canonicalURL(raw string) bool {
	rest, ok := strings.CutPrefix(raw, "http://")
	if !ok {
		if rest, ok = strings.CutPrefix(raw, "https://"); !ok {
			return false
		}
	}
	i := 0
	for ; i < len(rest) && urlChars[rest[i]]&inHost != 0; i++ {
	}
	if i == 0 || i < len(rest) && rest[i] != '/' && rest[i] != '?' {
		return false // no host, or userinfo, an IPv6 literal, an escape
	}
	for ; i < len(rest) && urlChars[rest[i]]&inPath != 0; i++ {
	}
	if i < len(rest) && rest[i] != '?' {
		return false
	}
	for ; i < len(rest); i++ {
		if urlChars[rest[i]]&inQuery == 0 {
			return false
		}
	}
	return true
}

// parseURL is url.Parse, with the URL of a canonical input (see
// canonicalURL) made by cutting it at its host and query instead: every
// input is parsed on the reader's path, and url.Parse's general case was
// 0.17 s of 9.65 s in a profile of 200,000 URLs of list (b). The URL made
// is the one url.Parse returns, field for field (TestParseURLIsURLParse);
// what the cut would not tell apart from url.Parse's case — a host with
// more than one colon, or anything but digits after its colon; an empty
// query after a '?' — goes to url.Parse.
func parseURL(raw string) (*url.URL, error) {
	if !canonicalURL(raw) {
		return url.Parse(raw)
	}
	scheme, rest := "http", raw[len("http://"):]
	if raw[4] == 's' {
		scheme, rest = "https", raw[len("https://"):]
	}
	var query string
	hasQuery := false
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, query, hasQuery = rest[:i], rest[i+1:], true
	}
	host, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if hasQuery && query == "" {
		return url.Parse(raw) // ForceQuery, or a '?' in the query
	}
	if i := strings.IndexByte(host, ':'); i >= 0 {
		for _, c := range []byte(host[i+1:]) {
			if c < '0' || c > '9' {
				return url.Parse(raw)
			}
		}
	}
	return &url.URL{Scheme: scheme, Host: host, Path: path, RawQuery: query}, nil
}

// urlChars says where canonicalURL accepts each byte.
var urlChars = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if alnum || c == '.' || c == '-' || c == ':' {
			t[c] |= inHost
		}
		if alnum || strings.IndexByte("-._~$&+,/:;=@", byte(c)) >= 0 {
			t[c] |= inPath
		}
		if c > ' ' && c < 0x7f && c != '#' {
			t[c] |= inQuery
		}
	}
	return t
}()

const (
	inHost = 1 << iota
	inPath
	inQuery
)
