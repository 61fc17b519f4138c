package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"syscall"
)

// Errors of the client's redirect check.
var (
	errTooManyRedirects = errors.New("too many redirects")
	errBadRedirect      = errors.New("bad redirect")
)

// classify returns the error kind of a failed attempt and whether another
// attempt might succeed. Order matters: a timeout can wrap a network error.
func classify(err error) (kind string, retryable bool) {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		unkAuth x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
		opErr   *net.OpError
		netErr  net.Error
	)
	switch {
	case errors.Is(err, errTooManyRedirects):
		return KindRedirects, false
	case errors.Is(err, errBadRedirect):
		return KindBadRedirect, false
	case errors.Is(err, errSave):
		return KindSave, false
	case errors.Is(err, errDecode):
		return KindDecode, false
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout, true
	case errors.As(err, &dnsErr):
		return KindDNS, dnsErr.IsTemporary || dnsErr.IsTimeout
	case errors.As(err, &certErr), errors.Is(err, http.ErrSchemeMismatch), errors.As(err, &unkAuth), errors.As(err, &hostErr),
		errors.As(err, &invErr), errors.As(err, &recErr), errors.As(err, &opErr) && opErr.Op == "remote error":
		// "remote error" is a TLS alert from the server, such as its
		// rejection of the client's certificate: the same certificate
		// would be rejected again.
		return KindTLS, false
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused, true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return KindReset, true
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return KindConnect, true
	}
	return KindNetwork, true
}

// retryableStatus reports whether a response status is worth another
// attempt: those of Config.RetryOn or, by default, 408, 429 and the server
// errors that are usually transient.
func (f *Fetcher) retryableStatus(code int) bool {
	if f.cfg.RetryOn != nil {
		return slices.Contains(f.cfg.RetryOn, code)
	}
	return code == 429 || code == 408 || (code >= 500 && code <= 599 && code != 501 && code != 505)
}

// idempotent reports whether a request with the method may be sent twice
// with the effect of once (RFC 9110, section 9.2.2).
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// neverSent reports whether an attempt that failed with an error of this
// kind cannot have reached the server, so that repeating it is safe
// whatever the method.
func neverSent(kind string) bool { return kind == KindRefused || kind == KindDNS }
