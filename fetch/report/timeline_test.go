package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/asyncgo/async/fetch"
)

func TestTimelineHTML(t *testing.T) {
	recs := []fetch.Record{
		{Line: 1, URL: "http://a.test/<script>", Outcome: fetch.OK, Status: 200, Attempts: 1, Start: 0, Duration: 100 * time.Millisecond},
		{Line: 2, URL: "http://a.test/2", Outcome: fetch.Failed, Attempts: 2, Start: 10 * time.Millisecond, Duration: 50 * time.Millisecond, Error: "reset"},
		{Line: 3, URL: "http://a.test/3", Outcome: fetch.HTTPError, Status: 500, Attempts: 1, Start: 120 * time.Millisecond, Queued: 5 * time.Millisecond, Duration: 10 * time.Millisecond},
		{Line: 4, URL: "bad", Outcome: fetch.Invalid},
	}
	var b bytes.Buffer
	if err := WriteTimeline(&b, "t", recs, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<script>") || strings.Contains(page, "src=") || strings.Contains(page, "href=") {
		t.Error("page is not self-contained or not escaped")
	}
	if n := strings.Count(page, "<title>"); n != 4 { // the page's and one per drawn request
		t.Errorf("%d <title>s, want 4", n)
	}
	for _, want := range []string{"<svg", "#2e9d4a", "#d1342f", "#e08a00", "2 lanes", "4 records, 3 requests drawn", "invalid 1"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	bars := []tlBar{{rec: &recs[0], tries: triesOf(&recs[0])}, {rec: &recs[1], tries: triesOf(&recs[1])}, {rec: &recs[2], tries: triesOf(&recs[2])}}
	if got := assignLanes(bars); got[0] != 0 || got[1] != 1 || got[2] != 0 {
		t.Errorf("lanes %v, want [0 1 0]", got)
	}
}

func TestFitLabelFitsItsBar(t *testing.T) {
	for _, width := range []float64{0, 30, 40, 62, 99, 150, 400} {
		label := fitLabel("200 /b/10000?delay=50ms&page=12345", width)
		if n := utf8.RuneCountInString(label); float64(n)*6.2 > width {
			t.Errorf("fitLabel(%v px) = %q: %d characters do not fit", width, label, n)
		}
	}
}

// TestTimelineLanesFollowConcurrency: 640 requests of 100ms at -c 64, with
// a backlog of queued inputs, are drawn in 64 lanes: the queue does not
// hold a lane.
func TestTimelineLanesFollowConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := mustNew(t, fetch.Config{Transport: slowWeb(100 * time.Millisecond), Concurrency: 64})
		list := make([]string, 640)
		for i := range list {
			list[i] = fmt.Sprintf("http://h%d.test/", i)
		}
		c, sum := runAll(t, f, list)
		var page strings.Builder
		if err := WriteTimeline(&page, "t", c.recs, sum.Wall); err != nil {
			t.Fatal(err)
		}
		if got := regexp.MustCompile(`\d+ lanes`).FindString(page.String()); got != "64 lanes" {
			t.Errorf("%s, want 64", got)
		}
		if n := strings.Count(page.String(), `class="p-queue"`); n < 500 {
			t.Errorf("%d queue whiskers, want one for each of the queued requests", n)
		}
	})
}
