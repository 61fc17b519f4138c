package fetch

import (
	"context"
	"sync"
)

// reorder releases records in input order for [Config.Ordered]: a record
// that finishes before those of earlier inputs is held until they are
// released. Inputs are numbered in the order they are read (seq, from 0).
// The reader may be at most window inputs ahead of the oldest record not
// yet released, which bounds what is held.
type reorder struct {
	window   int64
	next     int64 // seq of the next record to release
	held     map[int64]Record
	advanced chan struct{} // a token when next moves, for the waiting reader
}

func newReorder(window int) *reorder {
	return &reorder{window: int64(window), held: map[int64]Record{}, advanced: make(chan struct{}, 1)}
}

// put takes the record of input seq and calls release with every record
// that is now next in order. The caller holds the run's lock.
func (o *reorder) put(seq int64, rec *Record, release func(*Record)) {
	if seq != o.next {
		o.held[seq] = *rec // rec belongs to the caller
		return
	}
	release(rec)
	o.next++
	for {
		r, ok := o.held[o.next]
		if !ok {
			break
		}
		delete(o.held, o.next)
		release(&r)
		o.next++
	}
	select {
	case o.advanced <- struct{}{}:
	default:
	}
}

// waitRoom waits until input seq is within the window of the oldest record
// not yet released, or ctx ends. mu is the run's lock, which guards next.
func (o *reorder) waitRoom(ctx context.Context, mu *sync.Mutex, seq int64) error {
	for {
		mu.Lock()
		room := seq-o.next < o.window
		mu.Unlock()
		if room {
			return nil
		}
		select {
		case <-o.advanced:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}
