package fetch

import (
	"context"
	"sync"

	"github.com/asyncgo/async"
)

// hostGroups gives each host of a run an async group of its own, so that the
// task tree shows the run's URL tasks by host: in the run's group, a task
// per host ("host example.com:443") whose body is the host's group
// ("example.com:443"), to which the URL tasks of the host are added.
//
// A host's group stays open while the run has inputs of the host pending,
// and, once it has none, for as long as few hosts are idle, so that a host
// whose URLs come one at a time keeps its group rather than making one per
// URL. What it costs is a goroutine per host, not per URL.
//
// Only the goroutine reading the inputs calls get and closeAll; the done
// callbacks of URL tasks call done.
type hostGroups struct {
	run   *async.Group // the run's group, where the host tasks run
	table *hostTable   // the fetcher's, whose entry each host's task holds; nil for none

	mu   sync.Mutex
	m    map[string]*hostGroup
	idle int // entries of m with nothing pending
}

// maxIdleHostGroups is how many hosts with nothing pending keep their group
// before the idle ones are closed.
const maxIdleHostGroups = 64

// hostGroup is the group of one host's URL tasks.
type hostGroup struct {
	g   *async.Group
	end chan struct{} // closed to let the group's body return
	// host is the host's entry of the fetcher's table, which the host's
	// task holds a reference to until its group has ended: the URL tasks
	// of the group use it without a reference of their own, which took
	// the table's lock, a map lookup and the clock twice a URL. Nil
	// without a table.
	host    *host
	pending int // URL tasks added and not done; guarded by hostGroups.mu
}

func newHostGroups(run *async.Group, table *hostTable) *hostGroups {
	return &hostGroups{run: run, table: table, m: make(map[string]*hostGroup)}
}

// get returns the group to add a URL task of host key to, counting the task
// as pending until done is called. It starts the host's task if the host
// has no group, and returns an error (the cause of ctx, the run's context)
// only when that task could not start because the run is ending.
func (hs *hostGroups) get(ctx context.Context, key string) (*hostGroup, error) {
	hs.mu.Lock()
	if hg := hs.m[key]; hg != nil {
		if hg.pending == 0 {
			hs.idle--
		}
		hg.pending++
		hs.mu.Unlock()
		return hg, nil
	}
	if hs.idle > maxIdleHostGroups {
		hs.closeIdleLocked()
	}
	hs.mu.Unlock()

	hg := &hostGroup{end: make(chan struct{}), pending: 1}
	ready := make(chan *async.Group, 1)
	t := async.Go(hs.run, func(ctx context.Context) (struct{}, error) {
		// The reference is taken and given back by the task itself, which
		// ends after every task of its group: a host task that never
		// starts takes none.
		var h *host
		if hs.table != nil {
			h = hs.table.acquire(key)
			defer hs.table.release(h)
		}
		return struct{}{}, async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
			hg.host = h // before ready: get returns hg once it has it
			ready <- g
			select {
			case <-hg.end:
			case <-ctx.Done():
			}
			return nil
		}, async.WithName(key))
	}, async.WithName("host "+key))
	select {
	case hg.g = <-ready:
	case <-t.Done():
		select {
		case hg.g = <-ready: // the body ran, and already returned
		default: // the run was cancelled before the task started
			if err := context.Cause(ctx); err != nil {
				return nil, err
			}
			return nil, context.Canceled
		}
	}
	hs.mu.Lock()
	hs.m[key] = hg
	hs.mu.Unlock()
	return hg, nil
}

// done counts a URL task of hg as finished.
func (hs *hostGroups) done(hg *hostGroup) {
	hs.mu.Lock()
	if hg.pending--; hg.pending == 0 && hs.m != nil {
		hs.idle++
	}
	hs.mu.Unlock()
}

// closeIdleLocked closes the groups of the hosts with nothing pending.
func (hs *hostGroups) closeIdleLocked() {
	for key, hg := range hs.m {
		if hg.pending == 0 {
			close(hg.end)
			delete(hs.m, key)
		}
	}
	hs.idle = 0
}

// closeAll lets every host's group close once its tasks are done: the run
// adds no more tasks.
func (hs *hostGroups) closeAll() {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	for _, hg := range hs.m {
		close(hg.end)
	}
	hs.m, hs.idle = nil, 0
}
