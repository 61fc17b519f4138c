package fetch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
)

// sharedHeader is the header of every request that nothing adds to or
// takes from: the configured headers and the User-Agent. Built once and
// never written, it is shared by those requests, which spares each a map
// and the lookups that fill it, on the path of every URL. It is nil when
// the headers name a Host, which needs the request's own handling, or when
// the transport is not the engine's own: net/http's never writes a
// request's header, one given in Config might.
func sharedHeader(cfg Config) http.Header {
	if cfg.Transport != nil {
		return nil
	}
	h := make(http.Header, len(cfg.Header)+1)
	for k, vs := range cfg.Header {
		h[k] = vs
	}
	if h.Get("Host") != "" || len(h.Values("Host")) > 0 {
		return nil
	}
	if h.Get("User-Agent") == "" {
		h["User-Agent"] = []string{cfg.UserAgent}
	}
	return h
}

// plainRequest returns the request for a hop of in's chain that needs
// nothing of its own — no per-line options, no range, no credentials in
// the URL, no cookie jar, no Referer to add (AutoReferer off) — with the
// shared header, or nil. Nothing writes to such a request's header.
func (f *Fetcher) plainRequest(ctx context.Context, in *Input, method string, u *url.URL, body []byte, offset int64, user *url.Userinfo) *http.Request {
	if f.header == nil || in.Options != nil || offset > 0 || user != nil || u.User != nil || f.cfg.Jar != nil || f.cfg.AutoReferer {
		return nil
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
