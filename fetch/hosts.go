package fetch

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncgo/async"
	"golang.org/x/time/rate"
)

// host is the per-host state: a slot semaphore, a rate limiter and a pause
// set by Retry-After. Entries live while requests use them, so the table
// stays as small as the set of hosts in flight.
type host struct {
	key   string
	refs  int           // requests holding the entry; guarded by hostTable.mu
	slots chan struct{} // nil when there is no per-host cap
	lim   *rate.Limiter // nil when there is no per-host rate
	until time.Time     // paused until then; guarded by hostTable.mu
	// everPaused is set, with until, by the host's first pause: until
	// then the checks on every request skip the lock and the clock.
	everPaused atomic.Bool
}

type hostTable struct {
	mu       sync.Mutex
	m        map[string]*host
	perHost  int
	hostRate float64
}

func newHostTable(perHost int, hostRate float64) *hostTable {
	return &hostTable{m: make(map[string]*host), perHost: perHost, hostRate: hostRate}
}

// hostKey is the lower-case host:port of u, with the scheme's default port
// made explicit so that http://a and http://a:80 share limits.
func hostKey(u *url.URL) string {
	// The common case, a host with its port in lower case, is the key as
	// it is: no allocation on the path of every URL.
	if plainHostPort(u.Host) {
		return u.Host
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// plainHostPort reports whether hostport is host:port (or [v6]:port) with
// a port and no upper case or escape, as net.JoinHostPort would write it.
func plainHostPort(hostport string) bool {
	i := strings.LastIndexByte(hostport, ':')
	if i <= 0 || i == len(hostport)-1 || hostport[i-1] != ']' && strings.IndexByte(hostport[:i], ':') >= 0 {
		return false // no port, or a bare IPv6 address
	}
	for j := 0; j < len(hostport); j++ {
		if c := hostport[j]; 'A' <= c && c <= 'Z' || c == '%' || j > i && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func (t *hostTable) acquire(key string) *host {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.m[key]
	if h == nil {
		h = &host{key: key}
		if t.perHost > 0 {
			h.slots = make(chan struct{}, t.perHost)
		}
		if t.hostRate > 0 {
			h.lim = rate.NewLimiter(rate.Limit(t.hostRate), 1)
		}
		t.m[key] = h
	}
	h.refs++
	return h
}

// release drops a reference. An unused entry is forgotten unless it still
// carries state a new request must respect: a pause, or a rate limiter that
// has not refilled. Such idle entries are swept once they have expired.
func (t *hostTable) release(h *host) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h.refs--
	now := time.Now()
	if h.refs == 0 && h.idle(now) {
		delete(t.m, h.key)
	}
	if len(t.m) > 4096 {
		for k, e := range t.m {
			if e.refs == 0 && e.idle(now) {
				delete(t.m, k)
			}
		}
	}
}

func (h *host) idle(now time.Time) bool {
	return !now.Before(h.until) && (h.lim == nil || h.lim.TokensAt(now) >= 1)
}

// pause keeps every request to the host from starting an attempt before
// until (a Retry-After applies to the host, not just to one URL).
func (t *hostTable) pause(h *host, until time.Time) {
	t.mu.Lock()
	if until.After(h.until) {
		h.until = until
	}
	h.everPaused.Store(true)
	t.mu.Unlock()
}

// paused reports whether the host is paused at now.
func (t *hostTable) paused(h *host, now time.Time) bool {
	if !h.everPaused.Load() {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return now.Before(h.until)
}

// waitTurn waits until the host may be sent another attempt: its pause is
// over and its rate limiter has a token. The pause is slept with self, the
// context of the task fetching (which ends with ctx), so that the task tree
// shows the task awaiting the host's Retry-After.
func (t *hostTable) waitTurn(ctx, self context.Context, h *host) error {
	for h.everPaused.Load() {
		t.mu.Lock()
		until := h.until
		t.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			break
		}
		if err := async.SleepNamed(self, d, "Retry-After "+h.key); err != nil {
			return err
		}
	}
	if h.lim != nil {
		return h.lim.Wait(ctx)
	}
	return nil
}
