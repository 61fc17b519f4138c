package fetch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The engine follows redirects itself rather than through http.Client,
// whose rules differ from curl's and RFC 9110's in ways a user sees: it
// turns PUT, PATCH and DELETE into GET on 301 and 302, sends credentials
// to another port or from https to http, adds a full Referer, and fails a
// Location that does not parse before the caller can record the response.

// roundTrip sends the request for in, asking for the bytes from offset on
// when offset > 0, and follows its redirects: up to MaxRedirects of them,
// none when MaxRedirects is negative. res learns how many were followed
// and, when the chain ends at a redirect it does not follow, the status
// and URL of that response and where it pointed.
func (f *Fetcher) roundTrip(ctx context.Context, in *Input, u *url.URL, offset int64, res *attemptResult) (*http.Response, error) {
	c := chain{method: f.method(in), body: f.cfg.Body, cur: u}
	if in.Options != nil && in.Options.Body != nil {
		c.body = in.Options.Body
	}
	res.redirects, res.redirectURL = 0, ""
	for {
		resp, err := f.hop(ctx, in, u, offset, &c)
		if err != nil {
			return nil, err
		}
		loc := resp.Header.Get("Location")
		if !isRedirect(resp.StatusCode) || loc == "" {
			if c.cur == u && canonicalURL(in.URL) {
				res.finalURL = in.URL // what cur.String() would return
			} else {
				res.finalURL = c.cur.String()
			}
			return resp, nil
		}
		if follow, err := f.redirect(resp, loc, &c, res); !follow {
			if err != nil {
				return nil, err
			}
			return resp, nil
		}
	}
}

// chain is where a chain of redirects is: the request to make next, and
// the Referer to send with it. roundTrip's steps are methods apart, each
// with its own frame, so that what a redirect or a 401 needs is not in the
// frames under every request (see sleepBeforeRetry).
type chain struct {
	method  string
	body    []byte
	cur     *url.URL
	referer string
	dropped bool // the body was dropped by a redirect
}

// hop sends the chain's next request, and answers a 401 when it may.
func (f *Fetcher) hop(ctx context.Context, in *Input, u *url.URL, offset int64, c *chain) (*http.Response, error) {
	creds := f.cfg.LocationTrusted || c.cur == u || sameOrigin(u, c.cur)
	req, err := f.hopRequest(ctx, in, u, offset, c, creds)
	if err != nil {
		return nil, err
	}
	resp, err := f.send1(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized && creds {
		return f.challenged(ctx, in, u, offset, c, resp, req)
	}
	return resp, nil
}

// hopRequest makes the chain's next request.
func (f *Fetcher) hopRequest(ctx context.Context, in *Input, u *url.URL, offset int64, c *chain, creds bool) (*http.Request, error) {
	req, err := f.newRequest(ctx, in, c.method, c.cur, c.body, c.dropped, offset, creds, u.User)
	if err == nil && c.referer != "" {
		req.Header.Set("Referer", c.referer)
	}
	return req, err
}

// challenged answers the 401 of req, if it may (see answerChallenge).
//
//go:noinline
func (f *Fetcher) challenged(ctx context.Context, in *Input, u *url.URL, offset int64, c *chain, resp *http.Response, req *http.Request) (*http.Response, error) {
	return f.answerChallenge(resp, req, func() (*http.Request, error) {
		return f.hopRequest(ctx, in, u, offset, c, true)
	})
}

// redirect takes the redirect of resp to loc: it moves c to the next
// request and reports true, or reports false when the chain ends here,
// with the error that ends it if any (else resp is the chain's result).
//
//go:noinline
func (f *Fetcher) redirect(resp *http.Response, loc string, c *chain, res *attemptResult) (bool, error) {
	cur := c.cur
	next, perr := cur.Parse(loc)
	if f.cfg.MaxRedirects < 0 {
		res.finalURL, res.redirectURL = cur.String(), loc
		if perr == nil {
			res.redirectURL = next.Redacted()
		}
		return false, nil
	}
	// The 3xx is not the result: read a little of its body, so that
	// the connection may be reused, and close it.
	io.CopyN(io.Discard, resp.Body, 2<<10)
	resp.Body.Close()
	// A chain that ends here keeps the status and URL of this response.
	stop := func(where string) { res.status, res.finalURL, res.redirectURL = resp.StatusCode, cur.String(), where }
	switch {
	case perr != nil:
		stop(loc)
		return false, fmt.Errorf("%w: Location %q is not a URL: %w", errBadRedirect, loc, perr)
	case next.Scheme != "http" && next.Scheme != "https":
		stop(next.Redacted())
		return false, fmt.Errorf("%w: to %s, which is not http or https", errBadRedirect, next.Redacted())
	case res.redirects >= f.cfg.MaxRedirects:
		stop(next.Redacted())
		return false, fmt.Errorf("%w: stopped after %d; the last pointed to %s", errTooManyRedirects, res.redirects, next.Redacted())
	}
	var keep bool
	c.method, keep = f.redirectMethod(resp.StatusCode, c.method)
	if !keep && c.body != nil {
		c.body, c.dropped = nil, true
	}
	if f.cfg.AutoReferer {
		c.referer = refererFor(cur, next)
	}
	c.cur = next
	res.redirects++
	return true, nil
}

// send1 sends one request of a chain, with the cookies of the jar for its
// URL and the password of its URL, and keeps the cookies the response
// sets, as http.Client does for each request it sends. Its errors name
// the method and URL as http.Client's do.
func (f *Fetcher) send1(req *http.Request) (*http.Response, error) {
	if jar := f.cfg.Jar; jar != nil {
		for _, c := range jar.Cookies(req.URL) {
			req.AddCookie(c)
		}
	}
	if u := req.URL.User; u != nil && req.Header.Get("Authorization") == "" {
		pw, _ := u.Password()
		req.SetBasicAuth(u.Username(), pw)
	}
	resp, err := f.rt.RoundTrip(req)
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		op := req.Method[:1] + strings.ToLower(req.Method[1:])
		return nil, &url.Error{Op: op, URL: req.URL.Redacted(), Err: err}
	}
	if jar := f.cfg.Jar; jar != nil {
		if rc := resp.Cookies(); len(rc) > 0 {
			jar.SetCookies(req.URL, rc)
		}
	}
	return resp, nil
}

// newRequest makes one request of the chain for in. The credentials of the
// input (Authorization and Cookie headers, the password of its URL) and a
// Host header of its own are sent only when creds is true. A body dropped
// by a redirect takes the headers that describe it along.
func (f *Fetcher) newRequest(ctx context.Context, in *Input, method string, u *url.URL, body []byte, dropped bool, offset int64, creds bool, user *url.Userinfo) (*http.Request, error) {
	if !dropped && creds {
		if req := f.plainRequest(ctx, in, method, u, body, offset, user); req != nil {
			return req, nil
		}
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	// A request of our own on the parsed URL: NewRequest would parse it again.
	req, err := http.NewRequestWithContext(ctx, method, "/", r)
	if err != nil {
		return nil, err
	}
	req.URL, req.Host = u, u.Host
	f.fillHeader(req, in, u, dropped, offset, creds, user)
	return req, nil
}

// fillHeader sets the header of a request of in's chain to u (see
// newRequest), and its Host when the header names one. Its rules apply to
// plain requests through the header built from them once (sharedHeader).
func (f *Fetcher) fillHeader(req *http.Request, in *Input, u *url.URL, dropped bool, offset int64, creds bool, user *url.Userinfo) {
	for k, vs := range f.cfg.Header {
		req.Header[k] = vs
	}
	if in.Options != nil {
		for k, vs := range in.Options.Header {
			req.Header[k] = vs
		}
	}
	if f.cfg.UserAgent != "" && req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", f.cfg.UserAgent)
	}
	if host := req.Header.Get("Host"); host != "" && creds {
		req.Host = host
	}
	req.Header.Del("Host")
	if !creds {
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
	} else if f.cfg.User != nil && f.cfg.Auth == AuthBasic && req.Header.Get("Authorization") == "" {
		pw, _ := f.cfg.User.Password()
		req.SetBasicAuth(f.cfg.User.Username(), pw)
	} else if user != nil && u.User == nil && req.Header.Get("Authorization") == "" {
		// The URL the chain started from had the password; this one,
		// where it may go, has none of its own.
		pw, _ := user.Password()
		req.SetBasicAuth(user.Username(), pw)
	}
	if dropped {
		for _, h := range []string{"Content-Type", "Content-Length", "Content-Encoding", "Content-Language", "Content-Location"} {
			req.Header.Del(h)
		}
	}
	if f.cfg.Compressed && offset == 0 && req.Header.Get("Accept-Encoding") == "" {
		// Not with a Range: the bytes on disk are decoded ones, and a
		// range of an encoded body would not continue them.
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
}

// isRedirect reports whether a response with the status is followed when
// it has a Location, as curl -L does: 304 (not modified), 305 and 306 are
// not redirects.
func isRedirect(code int) bool {
	switch code {
	case 300, 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// redirectMethod returns the method of the request that follows a redirect
// with the status, and whether it keeps the body: RFC 9110 lets a POST
// become a GET on 301 and 302 (and curl does, unless --post301/302),
// every other method stays; a 303 asks for a GET, except of a HEAD.
func (f *Fetcher) redirectMethod(code int, method string) (string, bool) {
	switch code {
	case 301, 302:
		if method == http.MethodPost && !slices.Contains(f.cfg.KeepPost, code) {
			return http.MethodGet, false
		}
	case 303:
		switch {
		case method == http.MethodHead:
			return method, false
		case method == http.MethodPost && slices.Contains(f.cfg.KeepPost, code):
		default:
			return http.MethodGet, false
		}
	}
	return method, true
}

// sameOrigin reports whether a and b have the same scheme, host and port
// (the scheme's default port made explicit): curl's test for sending
// credentials on.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && hostKey(a) == hostKey(b)
}

// refererFor is the Referer of a request to to after a redirect from from,
// under the strict-origin-when-cross-origin policy (the default of
// browsers): the whole URL, less fragment and userinfo, within an origin;
// only the origin across origins; nothing from https to http.
func refererFor(from, to *url.URL) string {
	if strings.EqualFold(from.Scheme, "https") && !strings.EqualFold(to.Scheme, "https") {
		return ""
	}
	if sameOrigin(from, to) {
		r := *from
		r.User, r.Fragment, r.RawFragment = nil, "", ""
		return r.String()
	}
	return (&url.URL{Scheme: from.Scheme, Host: from.Host, Path: "/"}).String()
}
