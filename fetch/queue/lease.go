package queue

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/asyncgo/async"
)

// Partitions are shared out by leases in the job's lease bucket, whose
// entries expire after the job's LeaseTTL unless renewed:
//
//	worker.<id>  a live worker's heartbeat
//	part.<p>     the lease on partition p, held by the worker named in it
//
// Every worker computes, from the heartbeats, which partitions are its
// share (rendezvous hashing) and tries to take their leases; a lease is
// taken only when free, so a partition is never pulled by two workers at
// once. A worker that sees a partition is no longer its share stops pulling
// it, waits until every URL it took from it has its record, and only then
// frees the lease. A killed worker's leases expire after LeaseTTL.

func leaseKey(p int) string         { return "part." + strconv.Itoa(p) }
func heartbeatKey(id string) string { return "worker." + id }

// leaseLoop keeps the heartbeat and leases fresh and rebalances, every
// quarter of the lease TTL, until ctx ends. Its first round only announces
// the worker, so that workers started together see each other before
// taking partitions, rather than the first taking all and handing them
// over again.
func (r *workerRun) leaseLoop(ctx context.Context) {
	t := time.NewTicker(r.job.LeaseTTL / 4)
	defer t.Stop()
	for round := 0; ; round++ {
		r.rebalance(ctx, round > 0)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *workerRun) rebalance(ctx context.Context, acquire bool) {
	kv := r.job.leases
	stopping := r.stopping.Load()
	if !stopping {
		if _, err := kv.Put(ctx, heartbeatKey(r.w.ID), []byte(time.Now().UTC().Format(time.RFC3339))); err != nil && ctx.Err() == nil {
			r.log.Warn("heartbeat failed", "err", err)
		}
		r.reportStats(ctx)
	}
	owners := assign(r.job.Partitions, r.liveWorkers(ctx))
	var held []*partition
	for p, part := range r.parts {
		if part.rev == 0 { // lost: wait for the engine to finish, then forget it
			if part.inflight.Load() == 0 && isClosed(part.pulling) {
				delete(r.parts, p)
			}
			continue
		}
		held = append(held, part)
	}
	revs := make([]uint64, len(held))
	errs := make([]error, len(held))
	concurrently(ctx, "renew leases", len(held), func(ctx context.Context, i int) {
		revs[i], errs[i] = kv.Update(ctx, leaseKey(held[i].p), []byte(r.w.ID), held[i].rev)
	})
	for i, part := range held {
		p := part.p
		if err := errs[i]; err != nil {
			if ctx.Err() != nil {
				return
			}
			// Lost (expired while cut off from the server, most likely):
			// someone else may pull the partition now, so stop at once.
			r.log.Warn("lost the lease on a partition; stopped pulling it", "partition", p, "err", err)
			part.it.Stop()
			if !part.releasing {
				part.releasing = true
				close(part.handoff)
			}
			part.rev = 0
			continue
		}
		part.rev = revs[i]
		if !part.releasing && (stopping || owners[p] != r.w.ID) {
			if stopping {
				r.log.Info("handing a partition over: the worker is stopping", "partition", p)
			} else {
				r.log.Info("handing a partition over to its new owner", "partition", p, "to", owners[p])
			}
			r.handOff(part)
		}
		if part.releasing && part.inflight.Load() == 0 && isClosed(part.pulling) {
			r.free(ctx, part)
			delete(r.parts, p)
		}
	}
	defer func() { r.leasesHeld.Store(int64(len(r.parts))) }()
	if stopping || !acquire {
		return
	}
	var free []int
	for p := range r.job.Partitions {
		if _, ok := r.parts[p]; !ok && owners[p] == r.w.ID {
			free = append(free, p)
		}
	}
	var paused map[int]bool
	if len(free) > 0 {
		paused = r.pausedPartitions(ctx)
	}
	taken := make([]*partition, len(free))
	concurrently(ctx, "take leases", len(free), func(ctx context.Context, i int) {
		taken[i] = r.takeLease(ctx, free[i], paused[free[i]])
	})
	for _, part := range taken {
		if part != nil {
			r.log.Info("took the lease on a partition", "partition", part.p)
			r.parts[part.p] = part
			r.pullers.Add(1)
			r.group.Go(func(context.Context) error {
				r.pull(part)
				return nil
			}, async.WithName("pull partition "+strconv.Itoa(part.p)))
		}
	}
}

// leaseCalls bounds the lease bucket calls a worker makes at once. Made
// one after another, the renewals of many partitions can outlast the lease
// TTL (64 at 25ms each outlast a 1s TTL), and the worker loses them.
const leaseCalls = 32

// concurrently calls fn(ctx, i) for every i below n, leaseCalls at a time,
// as the tasks of a group named name (so that they show in the task tree
// while they run), and returns when all calls have returned.
func concurrently(ctx context.Context, name string, n int, fn func(ctx context.Context, i int)) {
	if n == 0 {
		return
	}
	_ = async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
		for i := range n {
			g.Go(func(ctx context.Context) error {
				fn(ctx, i)
				return nil
			})
		}
		return nil
	}, async.WithLimit(leaseCalls), async.WithName(name))
}

// liveWorkers returns the ids of the workers whose heartbeat has not
// expired, this one included.
func (r *workerRun) liveWorkers(ctx context.Context) []string {
	live := []string{r.w.ID}
	keys, err := r.job.leases.ListKeysFiltered(ctx, "worker.*")
	if err != nil {
		return live
	}
	for k := range keys.Keys() {
		if id, ok := strings.CutPrefix(k, "worker."); ok && id != r.w.ID {
			live = append(live, id)
		}
	}
	slices.Sort(live)
	return live
}

// releaseAll frees every lease and the heartbeat once the worker holds no
// message any more, so that other workers take its partitions at once
// rather than after the lease TTL.
func (r *workerRun) releaseAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for p, part := range r.parts {
		r.free(ctx, part)
		delete(r.parts, p)
	}
	r.job.leases.Delete(ctx, heartbeatKey(r.w.ID))
	r.leasesHeld.Store(0)
	r.reportStats(ctx)
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
