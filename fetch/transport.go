package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// newTransport returns the engine's transport for cfg (defaults filled
// in). Its idle pool matches the limits: a pool smaller than the
// concurrency would close and redial connections all run long (net/http
// keeps only 2 idle connections per host by default).
func newTransport(cfg Config) *http.Transport {
	perHost := cfg.Concurrency
	if cfg.PerHost > 0 {
		perHost = cfg.PerHost
	}
	connect := cfg.ConnectTimeout
	if connect == 0 {
		connect = min(cfg.Timeout, 10*time.Second)
	}
	dialer := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	dial := dialer.DialContext
	if len(cfg.ConnectTo) > 0 {
		rules := cfg.ConnectTo
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialInTurn(ctx, dialer, network, rewriteAddrs(rules, addr))
		}
	}
	proxy := cfg.Proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	var tlsConfig *tls.Config
	if cfg.TLS != nil {
		tlsConfig = cfg.TLS.Clone()
	}
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           dial,
		TLSClientConfig:       tlsConfig,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          cfg.Concurrency,
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   connect,
		ExpectContinueTimeout: time.Second,
		// The engine asks for and decodes encodings itself (see
		// Config.Compressed and decode.go): the transport's own gzip would
		// hide which encoding came and cover only gzip.
		DisableCompression: true,
	}
}

// NoProxy is a [Config.Proxy] that sends every request directly, whatever
// the environment says (curl's --noproxy '*').
func NoProxy(*http.Request) (*url.URL, error) { return nil, nil }

// ProxyURL returns a [Config.Proxy] that sends every request through the
// proxy at raw, as curl's --proxy: "http://host:port" (the scheme may be
// left out), "https://…", "socks5://…" or "socks5h://…", with
// "user:password@" for a proxy that asks for it.
func ProxyURL(raw string) (func(*http.Request) (*url.URL, error), error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("proxy %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy %q: scheme %q (want http, https, socks5 or socks5h)", u.Redacted(), u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("proxy %q: no host", u.Redacted())
	}
	return http.ProxyURL(u), nil
}

// TLSFiles are curl's TLS options, read into a [Config.TLS] by
// [TLSFiles.Config].
type TLSFiles struct {
	// Insecure accepts any server certificate (curl -k): the connection
	// is encrypted but anyone on the way can read it.
	Insecure bool
	// CACert is a PEM file of the CAs to trust instead of the system's
	// (curl --cacert).
	CACert string
	// Cert and Key are the PEM files of a client certificate and its
	// private key (curl --cert and --key); with Key empty, the key is
	// looked for in Cert.
	Cert, Key string
}

// Config reads the files and returns the TLS configuration they make, or
// nil when f is the zero value (the system's defaults).
func (f TLSFiles) Config() (*tls.Config, error) {
	if f == (TLSFiles{}) {
		return nil, nil
	}
	cfg := &tls.Config{InsecureSkipVerify: f.Insecure}
	if f.CACert != "" {
		pem, err := os.ReadFile(f.CACert)
		if err != nil {
			return nil, fmt.Errorf("CA certificates: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA certificates: %s holds no PEM certificate", f.CACert)
		}
	}
	switch {
	case f.Cert != "":
		key := f.Key
		if key == "" {
			key = f.Cert
		}
		cert, err := tls.LoadX509KeyPair(f.Cert, key)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case f.Key != "":
		return nil, errors.New("client certificate: a key without a certificate")
	}
	return cfg, nil
}

// ConnectTo sends the connections for one host and port to another, as
// curl's --connect-to (and --resolve, which is the case of an IP address
// for ToHost). The request itself is unchanged: its Host header, TLS server
// name and certificate check still name the URL's host. An empty Host or
// Port matches any; an empty ToHost or ToPort keeps the one dialled. The
// rules apply to the address the transport dials, which is the proxy's
// when a proxy is used. ToHost may list addresses separated by commas, as
// [ParseResolve] makes of curl's --resolve HOST:PORT:A,B: they are dialled
// in order until one answers.
type ConnectTo struct {
	Host, Port     string
	ToHost, ToPort string
}

// ParseConnectTo parses curl's --connect-to HOST1:PORT1:HOST2:PORT2, where
// any part may be empty and an IPv6 address is written in brackets.
func ParseConnectTo(s string) (ConnectTo, error) {
	parts, err := splitColons(s, 4)
	if err != nil {
		return ConnectTo{}, fmt.Errorf("connect-to %q: %w (want HOST1:PORT1:HOST2:PORT2)", s, err)
	}
	for _, p := range []string{parts[1], parts[3]} {
		if err := checkPort(p, true); err != nil {
			return ConnectTo{}, fmt.Errorf("connect-to %q: %w", s, err)
		}
	}
	return ConnectTo{Host: parts[0], Port: parts[1], ToHost: parts[2], ToPort: parts[3]}, nil
}

// ParseResolve parses curl's --resolve HOST:PORT:ADDR[,ADDR]...:
// connections to HOST:PORT go to the addresses, tried in order until one
// answers (as curl does), with no DNS lookup. HOST may be "*" for any host.
// The addresses are kept in ToHost, separated by commas. curl's leading
// "+" (an entry that times out of its DNS cache) and "-" (removing an
// entry) are refused: a run keeps every entry from start to end.
func ParseResolve(s string) (ConnectTo, error) {
	switch {
	case strings.HasPrefix(s, "+"):
		return ConnectTo{}, fmt.Errorf("resolve %q: a leading + (curl's entry that times out of its DNS cache after a minute) is not supported: every -resolve holds for the whole run; leave the + out", s)
	case strings.HasPrefix(s, "-"):
		return ConnectTo{}, fmt.Errorf("resolve %q: a leading - (curl's removal of an entry) is not supported: give only the entries to use", s)
	}
	parts, err := splitColons(s, 3)
	if err == nil && (parts[0] == "" || parts[2] == "") {
		err = errors.New("empty host or address")
	}
	if err == nil {
		err = checkPort(parts[1], false)
	}
	if err != nil {
		return ConnectTo{}, fmt.Errorf("resolve %q: %w (want HOST:PORT:ADDRESS[,ADDRESS]...)", s, err)
	}
	var addrs []string
	for a := range strings.SplitSeq(parts[2], ",") {
		a = strings.TrimPrefix(strings.TrimSuffix(strings.TrimSpace(a), "]"), "[")
		if net.ParseIP(a) == nil {
			return ConnectTo{}, fmt.Errorf("resolve %q: %q is not an IP address", s, a)
		}
		addrs = append(addrs, a)
	}
	host := parts[0]
	if host == "*" {
		host = ""
	}
	return ConnectTo{Host: host, Port: parts[1], ToHost: strings.Join(addrs, ",")}, nil
}

// splitColons splits s into n parts at colons outside brackets; the last
// part takes the rest.
func splitColons(s string, n int) ([]string, error) {
	var parts []string
	depth, from := 0, 0
	for i := 0; i < len(s) && len(parts) < n-1; i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ':':
			if depth == 0 {
				parts = append(parts, s[from:i])
				from = i + 1
			}
		}
	}
	parts = append(parts, s[from:])
	if len(parts) != n {
		return nil, fmt.Errorf("%d parts, want %d", len(parts), n)
	}
	for i, p := range parts[:n-1] {
		parts[i] = strings.TrimPrefix(strings.TrimSuffix(p, "]"), "[")
	}
	if n == 4 {
		parts[3] = strings.TrimPrefix(strings.TrimSuffix(parts[3], "]"), "[")
	}
	return parts, nil
}

func checkPort(p string, emptyOK bool) error {
	if p == "" && emptyOK {
		return nil
	}
	n := 0
	for _, c := range []byte(p) {
		if c < '0' || c > '9' || n > 65535 {
			return fmt.Errorf("bad port %q", p)
		}
		n = n*10 + int(c-'0')
	}
	if p == "" || n == 0 || n > 65535 {
		return fmt.Errorf("bad port %q", p)
	}
	return nil
}

// rewriteAddr is the first of rewriteAddrs.
func rewriteAddr(rules []ConnectTo, addr string) string { return rewriteAddrs(rules, addr)[0] }

// rewriteAddrs applies the rules, in order, to the address about to be
// dialled, and returns the addresses to try in turn; each rule sees the
// addresses as the rules before it left them, so that a --connect-to
// followed by a --resolve of its target works as in curl. A ToHost that
// lists addresses (--resolve A,B) makes one address each.
func rewriteAddrs(rules []ConnectTo, addr string) []string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return []string{addr}
	}
	type hp struct{ host, port string }
	cur := []hp{{host, port}}
	for _, r := range rules {
		var next []hp
		for _, c := range cur {
			if (r.Host != "" && !strings.EqualFold(r.Host, c.host)) || (r.Port != "" && r.Port != c.port) {
				next = append(next, c)
				continue
			}
			p := c.port
			if r.ToPort != "" {
				p = r.ToPort
			}
			if r.ToHost == "" {
				next = append(next, hp{c.host, p})
				continue
			}
			for h := range strings.SplitSeq(r.ToHost, ",") {
				next = append(next, hp{h, p})
			}
		}
		cur = next
	}
	out := make([]string, len(cur))
	for i, c := range cur {
		out[i] = net.JoinHostPort(c.host, c.port)
	}
	return out
}

// dialInTurn dials the addresses in order until one answers, and returns
// the last error when none does; each dial has the dialer's timeout.
func dialInTurn(ctx context.Context, d *net.Dialer, network string, addrs []string) (net.Conn, error) {
	var err error
	for _, a := range addrs {
		var c net.Conn
		if c, err = d.DialContext(ctx, network, a); err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, err
}
