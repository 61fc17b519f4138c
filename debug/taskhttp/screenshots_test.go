package taskhttp_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/taskhttp"
	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/report"
)

// The screenshots that README.md and docs/taskpage.md show are made by
// TestScreenshots: run it with TASKHTTP_SCREENSHOTS=1 to write them into
// docs/images; without it, it makes them in a temporary directory and
// checks them the same way, and checks the committed ones.
//
//	TASKHTTP_SCREENSHOTS=1 go test -run TestScreenshots ./debug/taskhttp

// screenshot has Chromium render url at width×height into path.
func screenshot(t *testing.T, url, path string, width, height int) image.Image {
	t.Helper()
	browser := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, browser, append(headless(t.TempDir()),
		"--virtual-time-budget=3000", fmt.Sprintf("--window-size=%d,%d", width, height), "--screenshot="+path, url)...).CombinedOutput(); err != nil {
		t.Fatalf("chromium screenshot of %s: %v\n%s", url, err, out)
	}
	return checkPNG(t, path, width, height)
}

// checkPNG decodes the PNG at path and checks its size: as wide and high as
// asked, and between 10 kB and 1.5 MB on disk.
func checkPNG(t *testing.T, path string, width, height int) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height || len(data) < 10_000 || len(data) > 1_500_000 {
		t.Errorf("%s: %dx%d, %d bytes; want %dx%d, 10 kB to 1.5 MB", path, b.Dx(), b.Dy(), len(data), width, height)
	}
	return img
}

// Colours the pictures must hold, as the page's CSS gives them.
var (
	runningColour = []float64{0x0b, 0x5c, 0xad}
	waitingColour = []float64{0x82, 0x50, 0xdf}
	pausedColour  = []float64{0xf2, 0xd1, 0x6b} // the timeline's Retry-After band
)

// tenThousand runs a scope whose main waits for group "workers": 10,000
// tasks, 9,990 of them waiting at one gate, 10 working and reporting
// progress, until the test ends.
func tenThousand(t *testing.T) *async.Scope {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *async.Scope)
	done := make(chan error, 1)
	go func() {
		done <- async.Run(ctx, func(ctx context.Context) error {
			gate := async.NewFuture[int](ctx, async.WithName("gate"))
			defer gate.Cancel(nil)
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				for i := range 10 {
					g.Go(func(ctx context.Context) error {
						async.Report(ctx, int64(10+i*9), 100, "crunching")
						<-ctx.Done()
						return nil
					}, async.WithName(fmt.Sprintf("worker-%05d", i)))
				}
				for i := 10; i < 10_000; i++ {
					g.Go(func(ctx context.Context) error { _, err := gate.Await(ctx); return err }, async.WithName(fmt.Sprintf("worker-%05d", i)))
				}
				ready <- async.ScopeOf(ctx)
				return nil
			}, async.WithName("workers"))
		}, async.WithSignals(nil), async.WithName("ten-thousand"), async.WithProfileLabels())
	}()
	s := <-ready
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, s, 9_991, async.Waiting)
	return s
}

// timelinePage runs fetchall's engine over a fake host where a Retry-After
// pauses the host, and returns the timeline page of the run.
func timelinePage(t *testing.T) []byte {
	t.Helper()
	var mu sync.Mutex
	calls := map[string]int{}
	web := roundTripper(func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		calls[req.URL.Path]++
		n := calls[req.URL.Path]
		mu.Unlock()
		if req.URL.Path == "/busy/3" && n == 1 {
			return &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"1"}}, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
		}
		var delay time.Duration
		fmt.Sscanf(req.URL.Query().Get("ms"), "%d", &delay)
		select {
		case <-time.After(delay * time.Millisecond):
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(strings.Repeat("x", 2048))), Request: req}, nil
	})
	f, err := fetch.New(fetch.Config{Transport: web, Concurrency: 8, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var urls []string
	for i := range 40 {
		host := "api.test"
		if i%3 == 0 {
			host = "cdn.test"
		}
		urls = append(urls, fmt.Sprintf("http://%s/busy/%d?ms=%d", host, i, 40+r.IntN(260)))
	}
	var records []fetch.Record
	start := time.Now()
	if _, err := f.Run(context.Background(), fetch.Slice(urls), fetch.SinkFunc(func(rec *fetch.Record) error {
		records = append(records, *rec)
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.WriteTimeline(&b, "fetchall: 40 URLs, a Retry-After", records, time.Since(start)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestScreenshots renders, in Chromium, the page of a fetch that seems
// stuck (URL tasks waiting on a Retry-After, requests in flight), the page
// of a 10,000-task run (its workers folded into a row per kind), and the
// fetchall timeline, and checks each picture: its size, and the states it
// must show, by what the page says and by the colours of its badges.
func TestScreenshots(t *testing.T) {
	dir := t.TempDir()
	regenerate := os.Getenv("TASKHTTP_SCREENSHOTS") != ""
	if regenerate {
		dir = filepath.Join("..", "..", "docs", "images")
	}
	const w, h = 1200, 760
	share := func(img image.Image, c []float64) float64 { return colourShare(img, c) }

	// A stuck fetch: the URL tasks of a.test all waiting on its Retry-After.
	stuck := stuckFetch(t)
	srv := httptest.NewServer(taskhttp.HandlerFor(stuck))
	defer srv.Close()
	img := screenshot(t, srv.URL+"/debug/tasks?format=html&refresh=100000", filepath.Join(dir, "taskpage-stuck.png"), w, h)
	_, page := get(t, taskhttp.HandlerFor(stuck), "/debug/tasks?format=html", "")
	for _, want := range []string{`<span class="badge">waiting</span>`, `<span class="badge">running</span>`, "×40", "wakes in", "40 waiting"} {
		if !strings.Contains(page, want) && !strings.Contains(page, strings.ReplaceAll(want, "40 waiting", "42 waiting")) {
			t.Errorf("the stuck page lacks %q", want)
		}
	}
	if s, r := share(img, waitingColour), share(img, runningColour); s == 0 || r == 0 {
		t.Errorf("the stuck page's picture: %.3f%% waiting colour, %.3f%% running colour; want both", s*100, r*100)
	}

	// 10,000 tasks: the group opened, its workers in two rows.
	big := tenThousand(t)
	var group string
	for _, n := range big.Snapshot().Nodes {
		if n.Kind == async.KindGroup {
			group = fmt.Sprintf("group-%d", n.ID)
		}
	}
	bigSrv := httptest.NewServer(taskhttp.HandlerFor(big))
	defer bigSrv.Close()
	img = screenshot(t, bigSrv.URL+"/debug/tasks?format=html&refresh=100000&open="+group, filepath.Join(dir, "taskpage-10000.png"), w, h)
	_, page = get(t, taskhttp.HandlerFor(big), "/debug/tasks?format=fragment&open="+group, "")
	for _, want := range []string{"10,002 tasks in 1 group", "×9,990", "×10", "10 running", "9,991 waiting"} {
		if !strings.Contains(page, want) {
			t.Errorf("the 10,000-task page lacks %q", want)
		}
	}
	if n := strings.Count(page, `<li class="node`); n > 8 {
		t.Errorf("the 10,000-task page has %d rows, want a few", n)
	}
	if s, r := share(img, waitingColour), share(img, runningColour); s == 0 || r == 0 {
		t.Errorf("the 10,000-task picture: %.3f%% waiting colour, %.3f%% running colour; want both", s*100, r*100)
	}

	// The fetchall timeline, with its Retry-After band.
	tl := timelinePage(t)
	tlSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(tl)
	}))
	defer tlSrv.Close()
	img = screenshot(t, tlSrv.URL, filepath.Join(dir, "timeline.png"), w, h)
	if !bytes.Contains(tl, []byte("Retry-After")) {
		t.Error("the timeline does not mention the Retry-After")
	}
	if p := share(img, pausedColour); p == 0 {
		t.Errorf("the timeline's picture shows no Retry-After band (colour %v)", pausedColour)
	}

	// The committed pictures are there and the size they should be.
	if !regenerate {
		for _, name := range []string{"taskpage-stuck.png", "taskpage-10000.png", "timeline.png"} {
			checkPNG(t, filepath.Join("..", "..", "docs", "images", name), w, h)
		}
	}
}
