package demoserver

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T) (*Server, *http.Client) {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		s.Close()
	})
	return s, &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, string, error) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestEndpoints(t *testing.T) {
	s, c := start(t)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %q", s.URL)
	}
	resp, body, err := get(t, c, s.URL+"/item?size=1500&delay=1ms")
	if err != nil || resp.StatusCode != 200 || len(body) != 1500 {
		t.Errorf("/item: %v %d bytes", err, len(body))
	}
	if resp, _, _ := get(t, c, s.URL+"/status?code=418"); resp.StatusCode != 418 {
		t.Errorf("/status: %d", resp.StatusCode)
	}
	resp, _, _ = get(t, c, s.URL+"/flaky?id=x&code=429&after=3")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("/flaky first: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, _, _ = get(t, c, s.URL+"/flaky?id=x&code=429&after=3"); resp.StatusCode != 200 {
		t.Errorf("/flaky second: %d", resp.StatusCode)
	}
	if resp, _, _ = get(t, c, s.URL+"/redirect?n=2"); resp.StatusCode != 302 || resp.Header.Get("Location") != "/redirect?n=1" {
		t.Errorf("/redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _, _ = get(t, c, s.URL+"/loop"); resp.Header.Get("Location") != "/loop" {
		t.Errorf("/loop: %q", resp.Header.Get("Location"))
	}
	if _, body, err = get(t, c, s.URL+"/slow?size=3000&every=1ms"); err != nil || len(body) != 3000 {
		t.Errorf("/slow: %v, %d bytes", err, len(body))
	}
	if _, body, err = get(t, c, s.URL+"/huge?size=100000"); err != nil || len(body) != 100000 {
		t.Errorf("/huge: %v, %d bytes", err, len(body))
	}
	if _, _, err = get(t, c, s.URL+"/reset"); err == nil {
		t.Error("/reset: no error")
	}
	if _, _, err = get(t, c, s.URL+"/truncated?size=100"); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("/truncated: %v, want unexpected EOF", err)
	}
}

func TestHangEndsWithTheClientOrTheServer(t *testing.T) {
	s, c := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/hang", nil)
	if _, err := c.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("/hang: %v", err)
	}
	// Close returns although a request hangs (goleak checks its handler ended).
	done := make(chan error, 1)
	go func() {
		_, _, err := get(t, c, s.URL+"/hang")
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the request reach the handler; Close works either way
	s.Close()
	if err := <-done; err == nil {
		t.Error("hanging request succeeded after Close")
	}
}

func TestListIsReproducibleAndMixed(t *testing.T) {
	s, _ := start(t)
	a, b := s.List(300), s.List(300)
	if len(a) != 300 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatal("List is not reproducible")
	}
	count := map[string]int{}
	for _, u := range a {
		if !strings.HasPrefix(u, s.URL+"/") {
			t.Fatalf("foreign URL %q", u)
		}
		path, _, _ := strings.Cut(strings.TrimPrefix(u, s.URL), "?")
		count[path]++
	}
	for path, want := range map[string]int{"/hang": 3, "/reset": 3, "/flaky": 6, "/redirect": 6, "/slow": 3} {
		if count[path] != want {
			t.Errorf("%d %s in 300, want %d", count[path], path, want)
		}
	}
	if count["/item"] < 250 {
		t.Errorf("only %d /item URLs", count["/item"])
	}
}
