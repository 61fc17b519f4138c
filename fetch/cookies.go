package fetch

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ReadCookieFile reads cookies in the Netscape cookie-file format that curl
// -b and -c, wget and browsers' export tools use, into a new cookie jar for
// [Config.Jar]. Each line is seven fields separated by tabs:
//
//	domain  include-subdomains  path  secure  expires  name  value
//
// with TRUE or FALSE for the flags and expires in Unix seconds (0: a session
// cookie). A "#HttpOnly_" prefix on the domain marks an HttpOnly cookie;
// other lines starting with '#', and blank lines, are comments. Expired
// cookies are left out. A line that is not a cookie is an error naming it:
// a jar silently missing a login cookie would fail every URL.
func ReadCookieFile(r io.Reader) (http.CookieJar, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	now := time.Now()
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		httpOnly := false
		if rest, ok := strings.CutPrefix(line, "#HttpOnly_"); ok {
			line, httpOnly = rest, true
		}
		if strings.TrimSpace(line) == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) == 6 { // an empty value loses its tab in some writers
			f = append(f, "")
		}
		if len(f) != 7 {
			return nil, fmt.Errorf("cookie file line %d: %d tab-separated fields, want 7", n, len(f))
		}
		domain, sub, path, secure, expires, name, value := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
		exp, err := strconv.ParseInt(expires, 10, 64)
		if err != nil || domain == "" || name == "" || !isBool(sub) || !isBool(secure) {
			return nil, fmt.Errorf("cookie file line %d: not a cookie (want domain, TRUE/FALSE, path, TRUE/FALSE, expiry, name, value)", n)
		}
		c := &http.Cookie{Name: name, Value: value, Path: path, Secure: secure == "TRUE", HttpOnly: httpOnly}
		if exp != 0 {
			c.Expires = time.Unix(exp, 0)
			if c.Expires.Before(now) {
				continue
			}
		}
		host := strings.TrimPrefix(domain, ".")
		if sub == "TRUE" {
			c.Domain = host
		}
		if path == "" {
			path = "/"
		}
		scheme := "http"
		if c.Secure {
			scheme = "https"
		}
		jar.SetCookies(&url.URL{Scheme: scheme, Host: host, Path: path}, []*http.Cookie{c})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cookie file: %w", err)
	}
	return jar, nil
}

func isBool(s string) bool { return s == "TRUE" || s == "FALSE" }
