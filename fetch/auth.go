package fetch

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/icholy/digest"
)

// AuthScheme says how [Config.User] is sent.
type AuthScheme int

// The schemes.
const (
	// AuthBasic sends Basic authentication with every request, unasked
	// (curl -u).
	AuthBasic AuthScheme = iota
	// AuthDigest answers a 401's Digest challenge (RFC 7616: MD5 or
	// SHA-256, qop auth or none; curl --digest).
	AuthDigest
	// AuthAny answers a 401 with what it offers, Digest before Basic
	// (curl --anyauth).
	AuthAny
)

// answerChallenge answers a 401 to req with Config.User, once, when Auth
// is Digest or Any and the response offers a scheme it may use, and
// returns the response to the answer; otherwise it returns resp as it
// is. build makes the request again.
func (f *Fetcher) answerChallenge(resp *http.Response, req *http.Request, build func() (*http.Request, error)) (*http.Response, error) {
	user := f.cfg.User
	if user == nil || f.cfg.Auth == AuthBasic || req.Header.Get("Authorization") != "" {
		return resp, nil
	}
	pw, _ := user.Password()
	var auth string
	if chal, err := digest.FindChallenge(resp.Header); err == nil {
		cred, err := digest.Digest(chal, digest.Options{
			Method: req.Method, URI: req.URL.RequestURI(), Count: 1,
			Username: user.Username(), Password: pw,
			GetBody: func() (io.ReadCloser, error) {
				if req.GetBody == nil {
					return http.NoBody, nil
				}
				return req.GetBody()
			},
		})
		if err != nil {
			return resp, nil // a challenge it cannot answer: the 401 is the result
		}
		auth = cred.String()
	} else if f.cfg.Auth == AuthAny && offersBasic(resp.Header) {
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth(user.Username(), pw)
		auth = r.Header.Get("Authorization")
	}
	if auth == "" {
		return resp, nil
	}
	io.CopyN(io.Discard, resp.Body, 2<<10)
	resp.Body.Close()
	again, err := build()
	if err != nil {
		return nil, fmt.Errorf("answering the 401: %w", err)
	}
	again.Header = again.Header.Clone() // never a shared header
	again.Header.Set("Authorization", auth)
	return f.send1(again)
}

// offersBasic reports whether a 401 offers Basic authentication.
func offersBasic(h http.Header) bool {
	for _, v := range h.Values("WWW-Authenticate") {
		if len(v) >= 5 && strings.EqualFold(v[:5], "basic") {
			return true
		}
	}
	return false
}
