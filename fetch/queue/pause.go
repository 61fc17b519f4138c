package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/nats-io/nats.go/jetstream"
)

// A Retry-After pauses its host in the engine that got it. A partition
// changes hands (its worker killed, stopped, or the partition moved to a
// worker that joined), and the pause must go with it: the holder writes
// each pause, with its end, under pause.<p> in the job's bucket as soon as
// the engine sets it, and the next holder reads it, and pauses the host in
// its own engine, before it pulls the partition's first message.
//
// Not in the lease's own entry: that expires with a killed holder (after
// the lease TTL, usually shorter than the pause), which is exactly when the
// next holder needs it. The job's bucket has no TTL; a pause whose end has
// passed is ignored and dropped at the next write.

func pauseKey(p int) string { return "pause." + strconv.Itoa(p) }

// Pauses returns the Retry-After pauses recorded for partition p, by host
// key, with their end; those already over are left out.
func (j *Job) Pauses(ctx context.Context, p int) (map[string]time.Time, error) {
	e, err := j.meta.Get(ctx, pauseKey(p))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: reading partition %d's pauses: %w", p, err)
	}
	var m map[string]time.Time
	if err := json.Unmarshal(e.Value(), &m); err != nil {
		return nil, fmt.Errorf("queue: partition %d's pauses are unreadable: %w", p, err)
	}
	now := time.Now()
	maps.DeleteFunc(m, func(_ string, until time.Time) bool { return !until.After(now) })
	return m, nil
}

func (j *Job) setPauses(ctx context.Context, p int, m map[string]time.Time) error {
	b, _ := json.Marshal(m)
	if _, err := j.meta.Put(ctx, pauseKey(p), b); err != nil {
		return fmt.Errorf("queue: recording partition %d's pauses: %w", p, err)
	}
	return nil
}

// pauses are the Retry-After pauses of the partitions a worker holds.
type pauses struct {
	mu sync.Mutex // held while a pause is written, so that writes do not cross
	m  map[int]map[string]time.Time
}

// pauseWriteTimeout bounds the write of a pause, which the engine's request
// waits for.
const pauseWriteTimeout = 5 * time.Second

// onPause is the engine's NotifyPause: it records the pause of a host
// under its partition before the request that got the Retry-After ends.
func (r *workerRun) onPause(host string, until time.Time) {
	p := partitionOfHost(host, r.job.Partitions)
	r.pauses.mu.Lock()
	defer r.pauses.mu.Unlock()
	m := r.pauses.m[p]
	if m == nil {
		m = map[string]time.Time{}
		r.pauses.m[p] = m
	}
	now := time.Now()
	maps.DeleteFunc(m, func(_ string, u time.Time) bool { return !u.After(now) })
	if until.After(m[host]) {
		m[host] = until
	}
	ctx, cancel := context.WithTimeout(context.Background(), pauseWriteTimeout)
	defer cancel()
	if err := r.job.setPauses(ctx, p, m); err != nil {
		r.log.Warn("a Retry-After pause could not be recorded: the partition's next holder will not know it", "partition", p, "host", host, "err", err)
		return
	}
	r.log.Info("recorded a Retry-After pause for the partition's next holder", "partition", p, "host", host, "until", until.UTC().Format(time.RFC3339Nano))
}

// pausedPartitions returns the partitions with a pause recorded (over or
// not): one listing per round of takes rather than one read per partition
// taken, since renewals wait for the takes and pauses are rare. Listing
// fails: every partition is read (true for all).
func (r *workerRun) pausedPartitions(ctx context.Context) map[int]bool {
	all := func() map[int]bool {
		m := map[int]bool{}
		for p := range r.job.Partitions {
			m[p] = true
		}
		return m
	}
	keys, err := r.job.meta.ListKeysFiltered(ctx, "pause.*")
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil
	}
	if err != nil {
		return all()
	}
	m := map[int]bool{}
	for k := range keys.Keys() {
		if p, err := strconv.Atoi(strings.TrimPrefix(k, "pause.")); err == nil {
			m[p] = true
		}
	}
	return m
}

// inheritPauses pauses, in this worker's engine, the hosts of partition p
// that its earlier holders recorded as paused. It runs once the lease is
// taken and before the partition is pulled.
func (r *workerRun) inheritPauses(ctx context.Context, f *fetch.Fetcher, p int) {
	m, err := r.job.Pauses(ctx, p)
	if err != nil {
		r.log.Warn("the partition's Retry-After pauses could not be read", "partition", p, "err", err)
		return
	}
	if len(m) == 0 {
		return
	}
	r.pauses.mu.Lock()
	defer r.pauses.mu.Unlock()
	own := r.pauses.m[p]
	if own == nil {
		own = map[string]time.Time{}
		r.pauses.m[p] = own
	}
	for host, until := range m {
		f.PauseHost(host, until)
		if until.After(own[host]) {
			own[host] = until
		}
		r.log.Info("inherited a Retry-After pause", "partition", p, "host", host, "until", until.UTC().Format(time.RFC3339Nano))
	}
}
