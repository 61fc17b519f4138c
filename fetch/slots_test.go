package fetch

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// TestInputsInLineForASlotHaveNoTask takes the task tree while every
// request slot is busy and the backlog is full: the inputs waiting for a
// slot are read (the backlog still reads ahead) but have no task, so that
// a URL costs no goroutine, no stack and no park before it can be sent.
// It fails if inputs wait for a slot as tasks.
func TestInputsInLineForASlotHaveNoTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			if err := wait(req, time.Second); err != nil {
				return nil, err
			}
			return respond(200, "ok"), nil
		})
		const conc, backlog = 4, 12
		f := mustNew(t, Config{Transport: web, Concurrency: conc, Backlog: backlog})
		var read atomic.Int64
		var snap *async.Snapshot
		var readThen int64
		c := &collector{}
		err := async.Run(context.Background(), func(ctx context.Context) error {
			async.Spawn(ctx, func(ctx context.Context) (int, error) {
				time.Sleep(500 * time.Millisecond)
				snap = async.ScopeOf(ctx).Snapshot()
				readThen = read.Load()
				return 0, nil
			}, async.WithName("observer"))
			_, err := f.Run(ctx, countingSource(40, &read), c)
			return err
		}, async.WithSignals(nil))
		if err != nil {
			t.Fatal(err)
		}
		tasks := 0
		for _, n := range snap.Nodes {
			if strings.HasPrefix(n.Name, "http://") {
				tasks++
			}
		}
		// conc in flight, backlog in line, and one read that waits for a
		// place in the backlog.
		if tasks != conc || readThen != conc+backlog+1 {
			t.Errorf("%d URL tasks with %d inputs read; want %d and %d", tasks, readThen, conc, conc+backlog+1)
		}
		if len(c.recs) != 40 || web.maxInflight != conc {
			t.Errorf("%d records, %d in flight at most; want 40 and %d", len(c.recs), web.maxInflight, conc)
		}
		// Start+Queued is still when the first attempt began: an input in
		// line counts its wait from when it was read.
		for _, r := range c.recs {
			if r.Line > conc && r.Line <= conc+backlog && r.Queued < time.Second {
				t.Errorf("line %d queued %v, want ≥ 1s (it waited in line for a slot)", r.Line, r.Queued)
			}
		}
	})
}

// TestRequestSlotsServeInLine: a slot given back goes to the first in line,
// an input (whose task then starts) or a goroutine alike; a goroutine that
// stops waiting leaves the line, and settle hands back the inputs left in
// line when the run has ended.
func TestRequestSlotsServeInLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var started []int64
		s := newRequestSlots(1, func(p *pending) {
			if !p.tk.holdsSlot {
				t.Errorf("input %d started without its slot", p.seq)
			}
			started = append(started, p.seq)
		})
		in := func(seq int64) *pending { return &pending{seq: seq} }
		s.submit(in(1)) // the free slot: started at once
		if len(started) != 1 {
			t.Fatalf("started %v, want [1]", started)
		}
		s.submit(in(2))
		woken := make(chan struct{})
		go func() {
			if err := s.acquire(context.Background()); err != nil {
				t.Error(err)
			}
			close(woken)
		}()
		synctest.Wait()
		s.submit(in(3))
		gone, stop := context.WithCancelCause(context.Background())
		quit := make(chan error)
		go func() { quit <- s.acquire(gone) }()
		synctest.Wait()
		s.submit(in(4))

		s.release() // to 2
		if len(started) != 2 || started[1] != 2 {
			t.Fatalf("started %v, want [1 2]", started)
		}
		s.release() // to the first goroutine
		<-woken
		stop(errors.New("gone"))
		if err := <-quit; err == nil || err.Error() != "gone" {
			t.Errorf("acquire after its context ended: %v", err)
		}
		s.release() // to 3, past the goroutine that left
		if len(started) != 3 || started[2] != 3 {
			t.Fatalf("started %v, want [1 2 3]", started)
		}

		ended, cancel := context.WithCancel(context.Background())
		cancel()
		left := s.settle(ended)
		if len(left) != 1 || left[0].seq != 4 {
			t.Fatalf("settle after the end gave back %v, want input 4", left)
		}
		s.release() // input 3's: the slot is free again

		if s.free != 1 || s.line.len() != 0 {
			t.Errorf("%d free, %d in line; want 1 and 0", s.free, s.line.len())
		}
	})
}

// TestSettleWaitsForTheInputsInLine: when the reader stops with inputs in
// line, settle returns once they have started, and gives back none.
func TestSettleWaitsForTheInputsInLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var started atomic.Int64
		s := newRequestSlots(2, func(p *pending) { started.Add(1) })
		for i := range 5 {
			s.submit(&pending{seq: int64(i)})
		}
		go func() {
			for range 3 {
				time.Sleep(time.Second)
				s.release()
			}
		}()
		begin := time.Now()
		if left := s.settle(context.Background()); len(left) != 0 {
			t.Errorf("settle gave back %d inputs", len(left))
		}
		if started.Load() != 5 || time.Since(begin) != 3*time.Second {
			t.Errorf("%d started after %v; want 5 after 3s", started.Load(), time.Since(begin))
		}
	})
}

// TestHeldRecordsAreNotReused: a pending input, with its record, is used
// again for a later input once its record is written (see newPending).
// Under Ordered, the records that finish early are held until the earlier
// ones are written, as copies: it fails if a held record points into a
// pending input that is used again (the held records would read as later
// inputs').
func TestHeldRecordsAreNotReused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
			d := time.Millisecond
			if strings.HasSuffix(req.URL.Path, "/0") {
				d = time.Second // holds every record after it
			}
			if err := wait(req, d); err != nil {
				return nil, err
			}
			return respond(200, req.URL.Path), nil
		})
		f := mustNew(t, Config{Transport: web, Concurrency: 8, Ordered: true})
		var list []string
		for i := range 300 {
			list = append(list, "http://a.test/"+strconv.Itoa(i))
		}
		c := &collector{}
		if _, err := f.Run(context.Background(), Slice(list), c); err != nil {
			t.Fatal(err)
		}
		if len(c.recs) != len(list) {
			t.Fatalf("%d records, want %d", len(c.recs), len(list))
		}
		for i, r := range c.recs {
			if r.Line != i+1 || r.URL != list[i] || r.Bytes != int64(len("/"+strconv.Itoa(i))) {
				t.Fatalf("record %d: line %d, %s, %d bytes; want line %d, %s", i, r.Line, r.URL, r.Bytes, i+1, list[i])
			}
		}
	})
}
