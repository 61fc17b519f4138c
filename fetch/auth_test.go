package fetch

import (
	"net/url"
	"strings"
	"testing"
)

// TestDigestAuth: with AuthDigest the engine answers a 401's Digest
// challenge (RFC 7616, MD5 and SHA-256, qop=auth) as curl --digest does,
// against go-httpbin's /digest-auth; a wrong password ends at the 401.
// AuthAny answers Digest or Basic, whichever the 401 offers (curl
// --anyauth). Neither sends the password before the server asks, nor to
// another origin a redirect leads to.
func TestDigestAuth(t *testing.T) {
	ts, rc := startHTTPBin(t)
	other, _ := startHTTPBin(t)
	alice := url.UserPassword("alice", "s3cret")
	cases := []struct {
		auth   AuthScheme
		user   *url.Userinfo
		path   string
		status int
	}{
		{AuthDigest, alice, "/digest-auth/auth/alice/s3cret/MD5", 200},
		{AuthDigest, alice, "/digest-auth/auth/alice/s3cret/SHA-256", 200},
		{AuthDigest, url.UserPassword("alice", "wrong"), "/digest-auth/auth/alice/s3cret/MD5", 401},
		{AuthDigest, alice, "/basic-auth/alice/s3cret", 401}, // Basic offered, Digest asked for
		{AuthAny, alice, "/digest-auth/auth/alice/s3cret/SHA-256", 200},
		{AuthAny, alice, "/basic-auth/alice/s3cret", 200},
		{AuthBasic, alice, "/basic-auth/alice/s3cret", 200},
		{AuthDigest, alice, "/redirect-to?url=" + url.QueryEscape("/digest-auth/auth/alice/s3cret/MD5"), 200},
		{AuthDigest, alice, "/redirect-to?url=" + url.QueryEscape(other.URL+"/digest-auth/auth/alice/s3cret/MD5"), 401},
		{AuthAny, alice, "/redirect-to?url=" + url.QueryEscape(other.URL+"/basic-auth/alice/s3cret"), 401},
	}
	for _, c := range cases {
		r := fetchOne(t, Config{Timeout: 5e9, Retries: -1, User: c.user, Auth: c.auth}, ts.URL+c.path)
		if r.Status != c.status {
			t.Errorf("%v %s: %s %d %q, want %d", c.auth, c.path, r.Outcome, r.Status, r.Error, c.status)
		}
	}
	// The first request of each carries no password: it waits to be asked.
	before := len(rc.all())
	fetchOne(t, Config{Timeout: 5e9, Retries: -1, User: alice, Auth: AuthAny}, ts.URL+"/basic-auth/alice/s3cret")
	seen := rc.all()[before:]
	if len(seen) != 2 || seen[0].Header.Get("Authorization") != "" || !strings.HasPrefix(seen[1].Header.Get("Authorization"), "Basic ") {
		t.Errorf("AuthAny: the server saw %d requests; Authorization %v", len(seen), headersOf(seen, "Authorization"))
	}
}

func headersOf(reqs []seenRequest, name string) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Header.Get(name))
	}
	return out
}
