package fetch

import (
	"errors"
	"io"
	"sync"
	"time"
)

// GroupWriter writes records to a file by group commit: Write only queues
// its bytes, and one goroutine writes everything queued with a single
// write as soon as the previous write is done. Under load, records that
// complete while a write is in progress share the next one, so a run costs
// one system call per batch instead of one per record; when records are
// few, each is written at once.
//
// The checkpoint promise holds: each Write must be whole records (as
// [JSONLWriter] and [CSVWriter] do: one Write per record), and a batch is
// written in one call, so a file killed at any moment holds
// whole records, at most the last one torn by a write cut short (which
// resuming repairs). Records still queued when a process is killed are
// lost, as they would be in any buffer: a run resumed from its output
// fetches them again.
//
// With a sync interval, the file is also synced (fsync) at most that long
// after a write, for durability against power loss, at the cost of
// throughput; without one, durability is left to the operating system.
type GroupWriter struct {
	w     io.Writer
	sync  func() error // nil: never sync
	every time.Duration

	mu      sync.Mutex
	written *sync.Cond // broadcast after each batch
	pending []byte
	queued  int64 // Writes whose bytes are in pending
	done    int64 // Writes whose bytes reached w
	writing bool
	err     error
	closed  bool
	kick    chan struct{}
	stopped chan struct{}
}

// maxPending is how many queued bytes make Write wait for the writer: the
// backpressure that keeps a slow disk from growing memory without bound.
const maxPending = 4 << 20

// ErrWriterClosed is returned by a Write after Close.
var ErrWriterClosed = errors.New("fetch: write after close")

// NewGroupWriter returns a GroupWriter writing to w. If w has a Sync
// method (as *os.File has) and syncEvery is positive, the data written is
// synced at most syncEvery after it is written, and on Close. The caller
// must Close it.
func NewGroupWriter(w io.Writer, syncEvery time.Duration) *GroupWriter {
	g := &GroupWriter{w: w, kick: make(chan struct{}, 1), stopped: make(chan struct{})}
	g.written = sync.NewCond(&g.mu)
	if s, ok := w.(interface{ Sync() error }); ok && syncEvery > 0 {
		g.sync, g.every = s.Sync, syncEvery
	}
	go g.loop()
	return g
}

// Write queues p, which must be whole records, to be written with the
// records queued meanwhile. It returns the first error of an earlier
// write, if any: once a write has failed, nothing more is written.
func (g *GroupWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.waitRoom(); err != nil {
		return 0, err
	}
	g.pending = append(g.pending, p...)
	g.queued++
	g.kickLocked()
	return len(p), nil
}

// writeRecordJSON queues rec as the JSON line a [JSONLWriter] with fields
// writes, encoded straight into the queue instead of into the writer's
// buffer and copied: a Write of its own, as the writer's would be.
func (g *GroupWriter) writeRecordJSON(rec *Record, fields []int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.waitRoom(); err != nil {
		return err
	}
	g.pending = append(appendRecordJSON(g.pending, rec, fields), '\n')
	g.queued++
	g.kickLocked()
	return nil
}

// waitRoom waits, with mu held, until the queue has room for a Write, and
// returns the error the Write is to return instead, if any.
func (g *GroupWriter) waitRoom() error {
	for g.err == nil && !g.closed && len(g.pending) >= maxPending {
		g.written.Wait()
	}
	switch {
	case g.err != nil:
		return g.err
	case g.closed:
		return ErrWriterClosed
	}
	return nil
}

// kickLocked wakes the writing goroutine, with mu held.
func (g *GroupWriter) kickLocked() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// Flush waits until everything queued is written, and returns the first
// write error.
func (g *GroupWriter) Flush() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.err == nil && (len(g.pending) > 0 || g.writing) {
		g.written.Wait()
	}
	return g.err
}

// Close writes everything queued, syncs if a sync interval was given, and
// stops the writer. It does not close the underlying writer. Calling it
// again returns the same error.
func (g *GroupWriter) Close() error {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		g.written.Broadcast() // a Write waiting for room returns
		select {
		case g.kick <- struct{}{}:
		default:
		}
	}
	g.mu.Unlock()
	<-g.stopped
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Written returns how many Writes have reached the underlying writer
// whole: after a write error, the records that are in the file (a batch
// whose write failed counts for none of its Writes).
func (g *GroupWriter) Written() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.done
}

func (g *GroupWriter) loop() {
	defer close(g.stopped)
	var (
		spare    []byte
		dirty    bool // written since the last sync
		lastSync = time.Now()
		timer    *time.Timer
		timerC   <-chan time.Time
	)
	for {
		select {
		case <-g.kick:
		case <-timerC:
			timerC = nil
		}
		g.mu.Lock()
		batch, n := g.pending, g.queued
		g.pending, g.queued = spare[:0], 0
		g.writing = len(batch) > 0
		closed, failed := g.closed, g.err != nil
		g.mu.Unlock()

		var err error
		wrote := false
		if len(batch) > 0 && !failed {
			_, err = g.w.Write(batch)
			dirty, wrote = true, err == nil
		}
		if err == nil && !failed && dirty && g.sync != nil && (closed || time.Since(lastSync) >= g.every) {
			err = g.sync()
			dirty, lastSync = false, time.Now()
		}

		g.mu.Lock()
		g.writing = false
		if wrote {
			g.done += n
		}
		if err != nil && g.err == nil {
			g.err = err
		}
		spare = batch
		more := len(g.pending) > 0 && g.err == nil
		g.written.Broadcast()
		g.mu.Unlock()

		switch {
		case more:
			select {
			case g.kick <- struct{}{}:
			default:
			}
		case closed:
			if timer != nil {
				timer.Stop()
			}
			return
		case dirty && g.sync != nil && timerC == nil:
			// Nothing else to write: sync once the interval is up.
			d := g.every - time.Since(lastSync)
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			timerC = timer.C
		}
	}
}
