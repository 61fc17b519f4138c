package fetch

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// callWriter records each Write call; the first one waits for release.
type callWriter struct {
	mu      sync.Mutex
	calls   []string
	release chan struct{}
	started chan struct{}
	syncs   int
	fail    error
}

func (c *callWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	first := len(c.calls) == 0
	c.calls = append(c.calls, string(p))
	c.mu.Unlock()
	if first && c.release != nil {
		close(c.started)
		<-c.release
	}
	return len(p), c.fail
}

func (c *callWriter) Sync() error {
	c.mu.Lock()
	c.syncs++
	c.mu.Unlock()
	return nil
}

func TestGroupWriterBatchesWhatCompletesDuringAWrite(t *testing.T) {
	cw := &callWriter{release: make(chan struct{}), started: make(chan struct{})}
	g := NewGroupWriter(cw, 0)
	j := NewJSONLWriter(g)
	j.Write(&Record{Line: 1, URL: "http://a.test/1"})
	<-cw.started // the first record is being written
	for i := 2; i <= 50; i++ {
		j.Write(&Record{Line: i, URL: "http://a.test/x"})
	}
	close(cw.release)
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if len(cw.calls) != 2 {
		t.Fatalf("%d writes for 50 records; want 2: the first, then the 49 queued during it", len(cw.calls))
	}
	for _, c := range cw.calls {
		if !strings.HasSuffix(c, "\n") || strings.Count(c, "{") != strings.Count(c, "\n") {
			t.Errorf("a write that is not whole records: %q", c)
		}
	}
	if n := strings.Count(cw.calls[1], "\n"); n != 49 {
		t.Errorf("second write has %d records, want 49", n)
	}
}

func TestGroupWriterFlushWritesEverythingAndErrorsStick(t *testing.T) {
	var b bytes.Buffer
	g := NewGroupWriter(&b, 0)
	for range 1000 {
		g.Write([]byte("r\n"))
	}
	if err := g.Flush(); err != nil || b.Len() != 2000 {
		t.Fatalf("after Flush %d bytes, %v", b.Len(), err)
	}
	g.Close()
	if _, err := g.Write([]byte("late\n")); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("Write after Close: %v", err)
	}

	boom := errors.New("disk full")
	cw := &callWriter{fail: boom}
	g = NewGroupWriter(cw, 0)
	g.Write([]byte("a\n"))
	if err := g.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush: %v", err)
	}
	if _, err := g.Write([]byte("b\n")); !errors.Is(err, boom) {
		t.Errorf("Write after a failed write: %v", err)
	}
	if err := g.Close(); !errors.Is(err, boom) {
		t.Errorf("Close: %v", err)
	}
}

func TestGroupWriterSyncsAtMostEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cw := &callWriter{}
		g := NewGroupWriter(cw, time.Second)
		// A record every 100ms from 0 to 2.9s, and one at 3.05s: synced
		// at 1s, 2s and 3s, and not again until 4s.
		for range 30 {
			g.Write([]byte("r\n"))
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		g.Write([]byte("r\n"))
		synctest.Wait()
		cw.mu.Lock()
		during := cw.syncs
		cw.mu.Unlock()
		if during != 3 {
			t.Errorf("%d syncs in 3s with a 1s interval", during)
		}
		// Idle: the last records are synced when the interval is up.
		time.Sleep(time.Second)
		synctest.Wait()
		cw.mu.Lock()
		idle := cw.syncs
		cw.mu.Unlock()
		if idle != during+1 {
			t.Errorf("%d syncs after an idle second, want %d", idle, during+1)
		}
		g.Write([]byte("r\n"))
		g.Close()
		if cw.syncs != idle+1 {
			t.Errorf("Close did not sync: %d syncs", cw.syncs)
		}
	})
}

// TestGroupWriterCountsTheWritesThatReachedTheFile: Written counts the
// Writes whose bytes were written, not those of a batch whose write
// failed, nor those queued after it.
func TestGroupWriterCountsTheWritesThatReachedTheFile(t *testing.T) {
	cw := &callWriter{}
	g := NewGroupWriter(cw, 0)
	for range 3 {
		g.Write([]byte("r\n"))
	}
	if err := g.Flush(); err != nil || g.Written() != 3 {
		t.Fatalf("Written %d after 3 writes, err %v", g.Written(), err)
	}
	cw.mu.Lock()
	cw.fail = errors.New("no space left on device")
	cw.mu.Unlock()
	g.Write([]byte("r\n"))
	g.Flush()
	g.Write([]byte("r\n"))
	if err := g.Close(); err == nil || g.Written() != 3 {
		t.Errorf("Written %d after a failed write, err %v; want 3", g.Written(), err)
	}
}

// TestJSONLinesThroughAGroupWriterAreTheWritersOwn: a JSONLWriter over a
// GroupWriter encodes each record straight into the group's queue; the
// file gets the same lines as from a JSONLWriter of its own, with or
// without -fields, each a Write that Written counts, and a Write after
// Close fails as the group's Write does.
func TestJSONLinesThroughAGroupWriterAreTheWritersOwn(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	for _, fields := range [][]string{nil, {"url", "attempt_times", "status"}} {
		var want, got bytes.Buffer
		direct := NewJSONLWriter(&want)
		g := NewGroupWriter(&got, 0)
		grouped := NewJSONLWriter(g)
		if fields != nil {
			if err := direct.SetFields(fields); err != nil {
				t.Fatal(err)
			}
			if err := grouped.SetFields(fields); err != nil {
				t.Fatal(err)
			}
		}
		const n = 2000
		for range n {
			rec := randomRecord(rnd)
			if err := direct.Write(rec); err != nil {
				t.Fatal(err)
			}
			if err := grouped.Write(rec); err != nil {
				t.Fatal(err)
			}
		}
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("fields %v: the group's file differs from the writer's own:\n got %.300s\nwant %.300s", fields, got.Bytes(), want.Bytes())
		}
		if w := g.Written(); w != n {
			t.Fatalf("fields %v: Written() = %d, want %d", fields, w, n)
		}
		if err := grouped.Write(&Record{}); !errors.Is(err, ErrWriterClosed) {
			t.Fatalf("a record after Close: %v, want ErrWriterClosed", err)
		}
	}
}
