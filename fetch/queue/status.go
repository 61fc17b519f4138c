package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Each worker reports its counts under stats.<id> in the job's bucket at
// every lease round (a quarter of the lease TTL) and when it stops; the
// bucket has no TTL, so a dead worker's last report stays and counts.

func statsKey(id string) string { return "stats." + id }

// workerReport is what a worker reports of itself.
type workerReport struct {
	WorkerStats
	At time.Time `json:"at"`
}

func (r *workerRun) reportStats(ctx context.Context) {
	b, _ := json.Marshal(workerReport{r.w.Stats(), time.Now().UTC()})
	if _, err := r.job.meta.Put(ctx, statsKey(r.w.ID), b); err != nil && ctx.Err() == nil {
		r.log.Debug("reporting the worker's counts failed", "err", err)
	}
}

// Status is a job's state, as [Job.Status] reads it from the server.
type Status struct {
	// Total is the job's number of lines, known once enqueue has finished
	// (Enqueued false until then).
	Total    int64
	Enqueued bool
	// Queued is how many URLs wait in the work queue, not yet handed to a
	// worker; InFlight how many are held by workers, unacknowledged.
	Queued, InFlight uint64
	// Recorded is how many records the results stream holds (records
	// dropped by collect as duplicates or rejected included, which are
	// rare); Failed how many URLs the workers failed to fetch, as of their
	// last reports.
	Recorded uint64
	Failed   int64
	// Partitions, in order.
	Partitions []PartitionStatus
	// Workers are those whose heartbeat is alive, sorted by id, with their
	// last report.
	Workers []WorkerStatus
	// Rate is records stored per second, from the first record to the
	// last; ETA how long the rest would take at that rate (0 when unknown).
	Rate float64
	ETA  time.Duration
}

// PartitionStatus is one partition's state.
type PartitionStatus struct {
	Partition int
	// Holder is the worker holding its lease ("" for none).
	Holder string
	// Queued and InFlight as in Status, for this partition.
	Queued, InFlight uint64
	// Paused are the hosts under a Retry-After pause, with its end.
	Paused map[string]time.Time
}

// WorkerStatus is a live worker and its last report.
type WorkerStatus struct {
	ID string
	WorkerStats
	// Reported is when the counts were reported (zero if never).
	Reported time.Time
}

// Status reads the job's state from the server: a few calls per
// partition, none per URL.
func (j *Job) Status(ctx context.Context) (*Status, error) {
	st := &Status{}
	info, ok, err := j.Info(ctx)
	if err != nil {
		return nil, err
	}
	st.Total, st.Enqueued = info.Total, ok
	for p := range j.Partitions {
		ps := PartitionStatus{Partition: p}
		c, err := j.work.Consumer(ctx, j.consumerName(p))
		if err != nil {
			return nil, fmt.Errorf("queue: partition %d: %w", p, err)
		}
		ci := c.CachedInfo()
		ps.Queued, ps.InFlight = ci.NumPending, uint64(ci.NumAckPending)
		st.Queued += ps.Queued
		st.InFlight += ps.InFlight
		if e, err := j.leases.Get(ctx, leaseKey(p)); err == nil {
			ps.Holder = string(e.Value())
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("queue: partition %d's lease: %w", p, err)
		}
		if ps.Paused, err = j.Pauses(ctx, p); err != nil {
			return nil, err
		}
		st.Partitions = append(st.Partitions, ps)
	}
	results, err := j.js.Stream(ctx, j.resultsStream())
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	rs := results.CachedInfo().State
	st.Recorded = rs.Msgs
	if span := rs.LastTime.Sub(rs.FirstTime).Seconds(); rs.Msgs > 1 && span > 0 {
		st.Rate = float64(rs.Msgs-1) / span
		if left := st.Total - int64(rs.Msgs); st.Enqueued && left > 0 {
			st.ETA = time.Duration(float64(left) / st.Rate * float64(time.Second))
		}
	}
	reports := map[string]workerReport{}
	if keys, err := j.meta.ListKeysFiltered(ctx, "stats.*"); err == nil {
		for k := range keys.Keys() {
			if e, err := j.meta.Get(ctx, k); err == nil {
				var r workerReport
				if json.Unmarshal(e.Value(), &r) == nil {
					reports[strings.TrimPrefix(k, "stats.")] = r
					st.Failed += r.Failed
				}
			}
		}
	} else if !errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, fmt.Errorf("queue: reading the workers' reports: %w", err)
	}
	if keys, err := j.leases.ListKeysFiltered(ctx, "worker.*"); err == nil {
		for k := range keys.Keys() {
			id := strings.TrimPrefix(k, "worker.")
			r := reports[id]
			st.Workers = append(st.Workers, WorkerStatus{ID: id, WorkerStats: r.WorkerStats, Reported: r.At})
		}
	} else if !errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, fmt.Errorf("queue: reading the workers' heartbeats: %w", err)
	}
	slices.SortFunc(st.Workers, func(a, b WorkerStatus) int { return strings.Compare(a.ID, b.ID) })
	return st, nil
}
