package queue

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A partition's life in a worker: its lease taken (with the pauses its
// earlier holders recorded), its messages pulled and fed to the engine,
// handed off when it leaves the worker's share or the worker stops (what
// the engine has not started goes back), and its lease freed once every
// URL taken from it has its record. The lease loop (lease.go) decides
// when; this file is how.

// partition is a partition this worker holds the lease of.
type partition struct {
	p         int
	rev       uint64 // the lease's revision
	it        jetstream.MessagesContext
	inflight  atomic.Int64  // messages pulled and not yet acked or given back
	releasing bool          // no longer pulled; the lease goes once inflight is 0
	handoff   chan struct{} // closed when released: what the engine has not taken goes back
	pulling   chan struct{} // closed when the puller has returned
}

// takeLease takes partition p's lease, if it is free, and starts pulling its
// messages, having first paused the hosts its earlier holders recorded as
// paused; it returns nil if the lease is held or pulling failed.
func (r *workerRun) takeLease(ctx context.Context, p int, paused bool) *partition {
	rev, err := r.job.leases.Create(ctx, leaseKey(p), []byte(r.w.ID))
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) && ctx.Err() == nil {
			r.log.Warn("taking a partition's lease failed", "partition", p, "err", err)
		}
		return nil // still held by the worker it was the share of, or a dead one
	}
	if paused {
		r.inheritPauses(ctx, r.f, p)
	}
	part, err := r.startPulling(ctx, p, rev)
	if err != nil {
		r.log.Warn("pulling a partition failed", "partition", p, "err", err)
		r.job.leases.Delete(ctx, leaseKey(p), jetstream.LastRevision(rev))
		return nil
	}
	return part
}

// handOff stops pulling a partition: the messages pulled but not yet taken
// by the engine go back to the queue at once, for the partition's next
// holder; the lease is freed once the engine has finished the rest.
func (r *workerRun) handOff(part *partition) {
	part.releasing = true
	close(part.handoff)
	part.it.Drain()
}

// startPulling starts pulling partition p, whose lease this worker holds
// at revision rev.
func (r *workerRun) startPulling(ctx context.Context, p int, rev uint64) (*partition, error) {
	cons, err := r.job.work.Consumer(ctx, r.job.consumerName(p))
	if err != nil {
		return nil, err
	}
	batch := r.w.Batch
	if batch <= 0 {
		batch = max(r.w.Config.Concurrency, 32)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(batch), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return nil, err
	}
	return &partition{p: p, rev: rev, it: it, pulling: make(chan struct{}), handoff: make(chan struct{})}, nil
}

// pull delivers a partition's messages to the engine until its iterator is
// stopped or drained.
func (r *workerRun) pull(part *partition) {
	defer r.pullers.Done()
	defer close(part.pulling)
	for {
		msg, err := part.it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return
		}
		if err != nil {
			r.log.Debug("pull", "partition", part.p, "err", err)
			continue
		}
		h := r.decode(msg, part)
		r.mu.Lock()
		if _, dup := r.all[h.seq]; dup && h.seq != 0 {
			// Delivered again while this worker still holds it: its ack
			// wait ran out while it sat in the pull's buffer. The copy
			// held is the one that will be acknowledged.
			r.mu.Unlock()
			msg.InProgress()
			continue
		}
		part.inflight.Add(1)
		if h.seq != 0 {
			r.all[h.seq] = h
		}
		if h.bad == nil {
			r.byLine[h.in.Line] = append(r.byLine[h.in.Line], h)
		}
		r.mu.Unlock()
		if h.bad != nil {
			r.publish(h.bad, h)
			continue
		}
		select {
		case r.inputs <- h:
		case <-r.stopFeed:
			r.unindex(h)
			r.giveBack(h)
		case <-part.handoff:
			r.unindex(h)
			r.giveBack(h)
		}
	}
}

// free gives up a partition's lease, which its revision proves still ours.
func (r *workerRun) free(ctx context.Context, part *partition) {
	if part.rev == 0 {
		return
	}
	if err := r.job.leases.Delete(ctx, leaseKey(part.p), jetstream.LastRevision(part.rev)); err != nil {
		if ctx.Err() == nil {
			r.log.Warn("freeing a lease failed; it expires after the lease TTL", "partition", part.p, "err", err)
		}
		return
	}
	r.log.Info("freed the lease on a partition: every URL taken from it has its record", "partition", part.p)
}

// stopPullers ends every partition's pull; the messages they still had
// are given back to the queue.
func (r *workerRun) stopPullers() {
	for _, part := range r.parts {
		if !part.releasing {
			r.log.Info("handing a partition over: the worker is stopping", "partition", part.p)
			r.handOff(part)
		}
	}
}
