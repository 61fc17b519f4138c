package fetch

import (
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"
)

func TestHostKeyIsTheEnginesKey(t *testing.T) {
	for raw, want := range map[string]string{
		"http://A.example/x":      "a.example:80",
		"https://a.example/":      "a.example:443",
		"http://a.example:8080/":  "a.example:8080",
		"http://[::1]/":           "[::1]:80",
		"HTTPS://B.example:443/y": "b.example:443",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := HostKey(u); got != want {
			t.Errorf("HostKey(%s) = %q; want %q", raw, got, want)
		}
	}
}

// NotifyPause reports a Retry-After's pause with the host's key and its
// end; PauseHost holds a host's requests until the pause given ends.
func TestNotifyPauseAndPauseHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if req.URL.Path == "/busy" && n == 1 {
				return respond(503, "", "Retry-After", "2"), nil
			}
			return respond(200, "ok"), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 2, Retries: 1})
		start := time.Now()
		type pause struct {
			host  string
			until time.Time
		}
		var got []pause
		f.NotifyPause(func(host string, until time.Time) { got = append(got, pause{host, until}) })
		runAll(t, f, []string{"http://A.test/busy"})
		if len(got) != 1 || got[0].host != "a.test:80" || !got[0].until.Equal(start.Add(2*time.Second)) {
			t.Errorf("pauses reported: %+v; want one on a.test:80 until 2s after the start", got)
		}

		f = mustNew(t, Config{Transport: web, Concurrency: 2})
		start = time.Now()
		f.PauseHost("b.test:80", start.Add(3*time.Second))
		runAll(t, f, []string{"http://b.test/x", "http://c.test/y"})
		web.mu.Lock()
		defer web.mu.Unlock()
		if at := web.times["http://b.test/x"]; len(at) != 1 || at[0].Before(start.Add(3*time.Second)) {
			t.Errorf("b.test was asked at %v; want once, after its 3s pause", at)
		}
		if at := web.times["http://c.test/y"]; len(at) != 1 || !at[0].Equal(start) {
			t.Errorf("c.test was asked at %v; want at once: the pause is b.test's alone", at)
		}
	})
}
