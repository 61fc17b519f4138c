package main

import (
	"encoding/base64"
	"flag"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/asyncgo/async/fetch"
)

// transportFlags are the connection options curl users reach for, under
// curl's names where the flag package allows them.
type transportFlags struct {
	tls            fetch.TLSFiles
	connectTo      []fetch.ConnectTo
	resolve        []fetch.ConnectTo
	proxy          *string // nil: the environment's
	compressed     bool
	user           string
	cookies        string
	connectTimeout time.Duration
	resume         bool
	trusted        bool
	post           [3]bool // -post301, -post302, -post303
	referer        string
	digest, any    bool
}

// addTransportFlags registers the flags on fs; apply puts what they say
// into the config once fs is parsed.
func addTransportFlags(fs *flag.FlagSet) *transportFlags {
	t := &transportFlags{}
	fs.BoolVar(&t.tls.Insecure, "k", false, "accept any server certificate (curl -k): encrypted, but not safe from anyone on the way")
	fs.BoolVar(&t.tls.Insecure, "insecure", false, "the same as -k")
	fs.StringVar(&t.tls.CACert, "cacert", "", "trust the CA certificates in the PEM `FILE` instead of the system's")
	fs.StringVar(&t.tls.Cert, "cert", "", "send the client certificate in the PEM `FILE` (with its key, unless -key)")
	fs.StringVar(&t.tls.Key, "key", "", "the private key of -cert, a PEM `FILE`")
	fs.Func("resolve", "connect to ADDR for HOST:PORT, without DNS: `HOST:PORT:ADDR[,ADDR...]`, the addresses tried in order until one answers (repeatable; HOST * for any; curl's leading + or - is refused)", func(v string) error {
		c, err := fetch.ParseResolve(v)
		t.resolve = append(t.resolve, c)
		return err
	})
	fs.Func("connect-to", "connect to HOST2:PORT2 for HOST1:PORT1: `HOST1:PORT1:HOST2:PORT2`; an empty part matches any or keeps (repeatable)", func(v string) error {
		c, err := fetch.ParseConnectTo(v)
		t.connectTo = append(t.connectTo, c)
		return err
	})
	fs.Func("proxy", "send requests through the proxy at `URL` (http://, https://, socks5://; \"\" for none); default: HTTP_PROXY, HTTPS_PROXY, NO_PROXY", func(v string) error {
		t.proxy = &v
		return nil
	})
	fs.BoolVar(&t.compressed, "compressed", false, "ask for a body in deflate, gzip, br or zstd and decode it: bytes, -sha256 and -save are of the decoded body; one that does not decode fails (bad_content_encoding, not retried)")
	fs.StringVar(&t.user, "u", "", "send `USER:PASSWORD` by HTTP basic authentication")
	fs.StringVar(&t.cookies, "b", "", "send cookies from `FILE` in the Netscape format curl -c writes (or \"NAME=VALUE; ...\" as given) and keep those set")
	fs.DurationVar(&t.connectTimeout, "connect-timeout", 0, "give up connecting (TLS handshake included) after `D` (0: the smaller of -timeout and 10s)")
	fs.BoolVar(&t.digest, "digest", false, "send -u by Digest authentication (RFC 7616, MD5 or SHA-256; curl --digest), in answer to a 401, not unasked")
	fs.BoolVar(&t.any, "anyauth", false, "send -u by whichever of Digest or Basic a 401 offers (curl --anyauth), never unasked")
	fs.BoolVar(&t.trusted, "location-trusted", false, "send -u, an Authorization or Cookie header and a URL's password on redirects to other hosts too (curl --location-trusted); without it they go only to the scheme, host and port of the URL given")
	for i, code := range []string{"301", "302", "303"} {
		fs.BoolVar(&t.post[i], "post"+code, false, "keep a POST a POST, with its body, after a "+code+" (curl --post"+code+"); by default it becomes a GET, as RFC 9110 allows (other methods keep theirs on 301 and 302)")
	}
	fs.StringVar(&t.referer, "e", "", "send `URL` as the Referer (curl -e); URL;auto or ;auto also sends one on each redirect: the previous URL to the same origin, only its origin to another, none from https to http (default: no Referer)")
	fs.BoolVar(&t.resume, "continue", false, "with -save or out=, continue a partial file with a Range request (aria2 -c); a server that cannot is fetched whole")
	return t
}

// apply sets cfg from the parsed flags; every problem is a usage error.
func (t *transportFlags) apply(cfg *fetch.Config) error {
	var err error
	if cfg.TLS, err = t.tls.Config(); err != nil {
		return usagef("%v", err)
	}
	// curl applies --connect-to before --resolve, whatever the order given.
	cfg.ConnectTo = append(t.connectTo, t.resolve...)
	if t.proxy != nil {
		if *t.proxy == "" {
			cfg.Proxy = fetch.NoProxy
		} else if cfg.Proxy, err = fetch.ProxyURL(*t.proxy); err != nil {
			return usagef("-%v", err)
		}
	}
	cfg.Compressed = t.compressed
	if t.connectTimeout < 0 {
		return usagef("-connect-timeout must not be negative")
	}
	cfg.ConnectTimeout = t.connectTimeout
	cfg.Continue = t.resume
	cfg.LocationTrusted = t.trusted
	for i, code := range []int{301, 302, 303} {
		if t.post[i] {
			cfg.KeepPost = append(cfg.KeepPost, code)
		}
	}
	if ref, auto := strings.CutSuffix(t.referer, ";auto"); ref != "" || auto {
		cfg.AutoReferer = auto
		if ref != "" {
			setHeader(cfg, "Referer", ref)
		}
	}
	if t.user != "" {
		if !strings.Contains(t.user, ":") {
			return usagef("-u %q: want USER:PASSWORD", t.user)
		}
		name, pw, _ := strings.Cut(t.user, ":")
		switch {
		case t.digest && t.any:
			return usagef("-digest and -anyauth: give one")
		case t.digest:
			cfg.User, cfg.Auth = url.UserPassword(name, pw), fetch.AuthDigest
		case t.any:
			cfg.User, cfg.Auth = url.UserPassword(name, pw), fetch.AuthAny
		default:
			setHeader(cfg, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(t.user)))
		}
	} else if t.digest || t.any {
		return usagef("-digest and -anyauth send the -u USER:PASSWORD: give it")
	}
	switch {
	case t.cookies == "":
	case strings.Contains(t.cookies, "="):
		setHeader(cfg, "Cookie", t.cookies)
	default:
		f, err := os.Open(t.cookies)
		if err != nil {
			return usagef("-b: %v", unwrapPath(err))
		}
		defer f.Close()
		if cfg.Jar, err = fetch.ReadCookieFile(f); err != nil {
			return usagef("-b %s: %v", t.cookies, err)
		}
	}
	return nil
}

// setHeader sets a header unless -H already did: what is written out in
// full wins.
func setHeader(cfg *fetch.Config, name, value string) {
	if cfg.Header == nil {
		cfg.Header = http.Header{}
	}
	if cfg.Header.Get(name) == "" {
		cfg.Header.Set(name, value)
	}
}
