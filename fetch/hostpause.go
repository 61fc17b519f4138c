package fetch

import (
	"net/url"
	"time"
)

// HostKey returns the key under which the engine applies its per-host
// limits (PerHost, HostRate, a Retry-After pause) to u: the lower-case host
// name and the port, the scheme's default if none is written, so that
// http://a and http://a:80 share them. Code that spreads URLs by host, as
// package queue does, must key them the same way.
func HostKey(u *url.URL) string { return hostKey(u) }

// PauseHost keeps every request to the host whose key (from [HostKey]) is
// host from starting an attempt before until, as a Retry-After from that
// host would. A pause already running that ends later is kept. It is for a
// pause learnt elsewhere: package queue hands a host's pause from one
// worker to the next.
func (f *Fetcher) PauseHost(host string, until time.Time) {
	h := f.hosts.acquire(host)
	f.hosts.pause(h, until)
	f.hosts.release(h)
}

// NotifyPause makes the fetcher call fn each time a Retry-After pauses a
// host, with the host's key (as [HostKey] makes it) and the end of the
// pause, before any other request can go to the host. fn runs on the
// request's goroutine and should return quickly. Call it before Run.
func (f *Fetcher) NotifyPause(fn func(host string, until time.Time)) { f.onPause = fn }
