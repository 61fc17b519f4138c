package queue

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/queue/embedded"
	"github.com/nats-io/nats.go"
)

// Enqueueing a list again adds nothing, after a server restart, past the
// duplicate window, and once the lines are fetched and recorded: the job's
// own record of what is queued decides, not only the server's memory of
// message ids.
func TestEnqueueTwiceAfterRestartAndWindow(t *testing.T) {
	dir := t.TempDir()
	srv, err := embedded.Start(embedded.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	current := srv
	t.Cleanup(func() { current.Shutdown() })
	opts := testOptions
	opts.DuplicateWindow = time.Second
	job := openJob(t, connect(t, srv.URL), opts)
	s := newSite(t, time.Millisecond)
	urls := s.list(30, "a.test", "b.test")
	if res := enqueue(t, job, urls); res.New != 60 {
		t.Fatalf("first enqueue: %+v; want 60 new", res)
	}
	srv.Shutdown()
	if current, err = embedded.Start(embedded.Options{Dir: dir, Port: srv.Port}); err != nil {
		t.Fatal(err)
	}
	if res := enqueue(t, job, urls); res.New != 0 || res.Duplicates != 60 {
		t.Errorf("enqueue after a server restart: %+v; want 0 new, 60 already queued", res)
	}
	time.Sleep(1500 * time.Millisecond) // past the duplicate window
	if res := enqueue(t, job, urls); res.New != 0 || res.Duplicates != 60 {
		t.Errorf("enqueue past the duplicate window: %+v; want 0 new, 60 already queued", res)
	}
	if n, err := job.Pending(context.Background()); err != nil || n != 60 {
		t.Errorf("%d URLs queued (%v); want 60", n, err)
	}
	ws := newWorkers(t, current.URL, s.config(8))
	ws.start("w1")
	_, recs := collect(t, job, 30*time.Second, CollectOptions{})
	checkExactlyOnce(t, urls, recs)
	ws.stopAll()
	if res := enqueue(t, job, urls); res.New != 0 || res.Duplicates != 60 {
		t.Errorf("enqueue once every line is recorded: %+v; want 0 new", res)
	}
	if n, err := job.Pending(context.Background()); err != nil || n != 0 {
		t.Errorf("%d URLs queued (%v) after the list was fetched and enqueued again; want 0", n, err)
	}
}

// A forged message cannot finish a job early or take a real line's place:
// a work message for a line the job does not have, a record that does not
// parse, a record of another URL under a real line number, all are
// rejected, reported, and leave the lines to their real records; a
// message on a partition that does not exist is refused.
func TestForgedMessagesAreRejected(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	js := connect(t, srv.URL)
	job := openJob(t, js, testOptions)
	s := newSite(t, time.Millisecond)
	urls := s.list(7, "a.test", "b.test", "c.test")
	enqueue(t, job, urls)
	ctx := context.Background()

	forged := nats.NewMsg(job.workSubject(partitionOf(urls[0], job.Partitions)))
	forged.Data = []byte("http://a.test/forged")
	forged.Header.Set(hdrLine, "999999")
	if _, err := js.PublishMsg(ctx, forged); err != nil {
		t.Fatal(err)
	}
	garbage := nats.NewMsg(job.resultsSubject())
	garbage.Data = []byte("not a record")
	garbage.Header.Set(hdrLine, "4")
	if _, err := js.PublishMsg(ctx, garbage); err != nil {
		t.Fatal(err)
	}
	other := nats.NewMsg(job.resultsSubject())
	rec := fetch.Record{Line: 5, URL: "http://evil.test/", Outcome: fetch.OK, Status: 200}
	other.Data, _ = rec.MarshalJSON()
	if _, err := js.PublishMsg(ctx, other); err != nil {
		t.Fatal(err)
	}
	beyond := nats.NewMsg(job.resultsSubject())
	rec = fetch.Record{Line: 999999, URL: "http://a.test/forged", Outcome: fetch.OK, Status: 200}
	beyond.Data, _ = rec.MarshalJSON()
	if _, err := js.PublishMsg(ctx, beyond); err != nil {
		t.Fatal(err)
	}
	nowhere := nats.NewMsg("fetchall.test.work.99")
	nowhere.Data = []byte(urls[0])
	nowhere.Header.Set(hdrLine, "1")
	if _, err := js.PublishMsg(ctx, nowhere); err == nil {
		t.Error("a message on partition 99 of 8 was stored")
	}
	if n, err := job.Pending(ctx); err != nil || n != int64ToU(len(urls)+1) {
		t.Errorf("%d messages queued (%v); want the %d lines and the forged one", n, err, len(urls))
	}

	ws := newWorkers(t, srv.URL, s.config(4))
	ws.start("w1")
	var reported []string
	c, recs := collect(t, job, 30*time.Second, CollectOptions{BadMessage: func(r *fetch.Record) { reported = append(reported, r.Error) }})
	checkExactlyOnce(t, urls, recs)
	if c.Done != int64(len(urls)) || c.Total != int64(len(urls)) {
		t.Errorf("collect: %d of %d lines done; want %d of %d", c.Done, c.Total, len(urls), len(urls))
	}
	// The records published before the workers started come first, and
	// must have been rejected; the forged work message's own record (line
	// 999999 too) may come after the last real one, which collect has no
	// need to wait for.
	all := strings.Join(reported, "\n")
	for _, want := range []string{"rejected a record for line 4", "its URL is not line 5's", "line 999999 is not a line of the job"} {
		if !strings.Contains(all, want) {
			t.Errorf("rejected: %q; want %q", reported, want)
		}
	}
	if c.Rejected < 3 {
		t.Errorf("%d rejected; want at least 3", c.Rejected)
	}
}

func int64ToU(n int) uint64 { return uint64(n) }

// Collect -ordered writes records in line order whatever order they are
// stored in; with its window full, it stops waiting for a missing line and
// writes that line's record when it comes.
func TestCollectOrdered(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	js := connect(t, srv.URL)
	job := openJob(t, js, testOptions)
	var urls []string
	for i := range 6 {
		urls = append(urls, "http://a.test/"+string(rune('a'+i)))
	}
	enqueue(t, job, urls)
	for _, line := range []int{2, 3, 4, 5, 6, 1} {
		rec := fetch.Record{Line: line, URL: urls[line-1], Outcome: fetch.OK, Status: 200}
		msg := nats.NewMsg(job.resultsSubject())
		msg.Data, _ = rec.MarshalJSON()
		if _, err := js.PublishMsg(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	order := func(recs []fetch.Record) (lines []int) {
		for _, r := range recs {
			lines = append(lines, r.Line)
		}
		return lines
	}
	c, recs := collect(t, job, 10*time.Second, CollectOptions{Ordered: true})
	if got := order(recs); !slices.Equal(got, []int{1, 2, 3, 4, 5, 6}) || c.OutOfOrder != 0 {
		t.Errorf("ordered: lines %v, %d out of order; want 1…6", got, c.OutOfOrder)
	}
	c, recs = collect(t, job, 10*time.Second, CollectOptions{Ordered: true, OrderWindow: 2})
	if got := order(recs); !slices.Equal(got, []int{2, 3, 4, 5, 6, 1}) || c.OutOfOrder != 1 {
		t.Errorf("ordered, window 2: lines %v, %d out of order; want 2…6 then 1, late", got, c.OutOfOrder)
	}
	_, recs = collect(t, job, 10*time.Second, CollectOptions{})
	if got := order(recs); !slices.Equal(got, []int{2, 3, 4, 5, 6, 1}) {
		t.Errorf("not ordered: lines %v; want the order stored", got)
	}
}
