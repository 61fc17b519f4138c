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

func TestFileGzipEchoAndTLS(t *testing.T) {
	s, c := start(t)
	get := func(url string, header ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, err.Error()
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return resp, "read error: " + err.Error()
		}
		return resp, string(b)
	}
	whole := string(Content(1000))
	if resp, body := get(s.URL+"/file?size=1000", "Range", "bytes=400-"); resp.StatusCode != 206 ||
		resp.Header.Get("Content-Range") != "bytes 400-999/1000" || body != whole[400:] {
		t.Errorf("/file Range: %d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
	}
	if resp, _ := get(s.URL+"/file?size=1000", "Range", "bytes=1000-"); resp.StatusCode != 416 || resp.Header.Get("Content-Range") != "bytes */1000" {
		t.Errorf("/file past the end: %d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
	}
	if resp, body := get(s.URL+"/file?size=1000&range=ignore", "Range", "bytes=400-"); resp.StatusCode != 200 || body != whole {
		t.Errorf("/file range=ignore: %d, %d bytes", resp.StatusCode, len(body))
	}
	if resp, body := get(s.URL+"/file?size=1000&range=wrong", "Range", "bytes=400-"); resp.StatusCode != 206 ||
		resp.Header.Get("Content-Range") != "bytes 0-999/1000" || body != whole {
		t.Errorf("/file range=wrong: %d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
	}
	if _, body := get(s.URL + "/file?size=1000&cut=300"); !strings.HasPrefix(body, "read error") {
		t.Errorf("/file cut: %q, want a read error", body)
	}
	if resp, body := get(s.URL+"/gzip?size=5000", "Accept-Encoding", "gzip"); resp.Header.Get("Content-Encoding") != "gzip" || len(body) >= 5000 {
		t.Errorf("/gzip: %q, %d bytes on the wire", resp.Header.Get("Content-Encoding"), len(body))
	}
	if _, body := get(s.URL+"/echo", "X-A", "1"); !strings.Contains(body, `"X-A":["1"]`) || !strings.Contains(body, `"method":"GET"`) {
		t.Errorf("/echo: %s", body)
	}

	ts, err := StartTLS()
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	if _, err := c.Get(ts.URL + "/echo"); err == nil {
		t.Error("the TLS server's certificate was trusted without its CA")
	}
	if s.CACertPEM() != nil || len(ts.CACertPEM()) == 0 || !strings.HasPrefix(ts.URL, "https://127.0.0.1:") {
		t.Errorf("CACertPEM: plain %d bytes, TLS %d bytes; URL %s", len(s.CACertPEM()), len(ts.CACertPEM()), ts.URL)
	}
	if _, _, err := s.ClientCert("x"); err == nil {
		t.Error("ClientCert on a plain server")
	}
}
