package main

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/asyncgo/async"
)

// TestPasswordsInURLsAreRedactedEverywhere runs a list whose URLs carry
// user:password@ and looks for the password in everything fetchall prints
// or serves: the records (JSON Lines and CSV), the summary and its slowest
// list, the sorted listing, the timeline, error messages, and the task
// tree at /debug/tasks as HTML and JSON while a request is in flight. The
// request itself still sends the password.
func TestPasswordsInURLsAreRedactedEverywhere(t *testing.T) {
	const secret = "s3cr3tPW"
	var (
		mu    sync.Mutex
		auths []string
		hang  atomic.Int32
	)
	h := demo(t).Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.URL.Path == "/hang" {
			hang.Add(1)
			defer hang.Add(-1)
		}
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()
	withUser := func(user string) string {
		return strings.Replace(ts.URL, "http://", "http://"+user+":"+secret+"@", 1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://dave:" + secret + "@" + ln.Addr().String() + "/"
	ln.Close()
	list := strings.Join([]string{
		withUser("alice") + "/item?i=1",
		withUser("alice") + "/redirect?n=1",
		withUser("bob") + "/hang",
		refused,
		withUser("carol") + "/item out=a/b",
		`{"url":"` + withUser("erin") + `/item","bogus":1}`,
		"ftp://frank:" + secret + "@example.com/",
	}, "\n") + "\n"
	dir := t.TempDir()
	in := filepath.Join(dir, "list.txt")
	os.WriteFile(in, []byte(list), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	tl := filepath.Join(dir, "timeline.html")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, []string{"-debug-addr", "127.0.0.1:0", "-sorted", "-timeline", tl, "-retries", "0",
			"-i", in, "-o", out}, nil, &stdout, &stderr, async.WithSignals(nil))
	}()
	waitFor(t, "the hanging request", func() bool { return hang.Load() == 1 })
	m := regexp.MustCompile(`task tree at (http://\S+/debug/tasks)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no task tree URL; stderr:\n%s", stderr.String())
	}
	var served []string
	for _, accept := range []string{"text/html", "application/json"} {
		u := m[1]
		if accept == "application/json" {
			u += "?format=json"
		}
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "bob:xxxxx@") {
			t.Errorf("/debug/tasks (%s) does not show the redacted URL in flight:\n%.2000s", accept, body)
		}
		served = append(served, string(body))
	}
	cancel()
	if code := <-done; code != exitInterrupted {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, stderr.String())
	}
	recs, _ := os.ReadFile(out)
	timeline, _ := os.ReadFile(tl)
	csv := cli(t, context.Background(), "", "-f", "csv", "-retries", "0", refused, withUser("alice")+"/item")

	for what, text := range map[string]string{
		"records": string(recs), "stdout": stdout.String(), "stderr (summary, sorted)": stderr.String(),
		"timeline": string(timeline), "task tree HTML": served[0], "task tree JSON": served[1],
		"CSV records": csv.stdout, "CSV run's stderr": csv.stderr,
	} {
		if strings.Contains(text, secret) {
			i := strings.Index(text, secret)
			t.Errorf("%s shows the password: …%s…", what, text[max(0, i-80):min(len(text), i+40)])
		}
	}
	for _, want := range []string{"alice:xxxxx@", "bob:xxxxx@", "carol:xxxxx@", "dave:xxxxx@", "erin:xxxxx@", "frank:xxxxx@"} {
		if !strings.Contains(string(recs), want) {
			t.Errorf("records lack %s:\n%s", want, recs)
		}
	}
	if !strings.Contains(stderr.String(), "alice:xxxxx@") {
		t.Errorf("the summary's slowest list or the listing lacks the redacted URL:\n%s", stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+secret))
	found := false
	for _, a := range auths {
		found = found || a == want
	}
	if !found {
		t.Errorf("the request did not send the password: Authorization headers %q", auths)
	}
}

// TestDebugAddrWithoutHostIsLoopback: -debug-addr :PORT listens on the
// loopback interface only, and -h says so.
func TestDebugAddrWithoutHostIsLoopback(t *testing.T) {
	for addr, want := range map[string]string{":0": "127.0.0.1", "127.0.0.1:0": "127.0.0.1", "localhost:0": "localhost", "[::1]:0": "::1"} {
		if got := listenAddr(addr); !strings.HasPrefix(got, want) && !strings.HasPrefix(got, "["+want) {
			t.Errorf("listenAddr(%q) = %q, want %s", addr, got, want)
		}
	}
	var errb strings.Builder
	stop, err := serveTasks(":0", &errb)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.Contains(errb.String(), "http://127.0.0.1:") {
		t.Errorf("serveTasks(:0) says %q, want a loopback URL", errb.String())
	}
	help := cli(t, context.Background(), "", "-h").stderr
	if !regexp.MustCompile(`-debug-addr ADDR\n.*\n?.*loopback`).MatchString(help) || strings.Contains(help, "(like :6060)") {
		t.Errorf("-h does not say that a port alone means loopback:\n%s", help)
	}
}
