package queue

import (
	"cmp"
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/asyncgo/async/fetch"
)

// partitionOf returns the partition of a URL: a hash of its host[:port],
// lower-cased as the engine keys its per-host limits, so that every URL of
// one host lands in the same partition. A URL without a recognisable host
// still gets a partition; the worker turns it into an invalid record.
func partitionOf(rawURL string, partitions int) int {
	return partitionOfHost(hostKey(rawURL), partitions)
}

// partitionOfHost returns the partition of the host whose key is host.
func partitionOfHost(host string, partitions int) int {
	h := fnv.New32a()
	h.Write([]byte(host))
	return int(h.Sum32() % uint32(partitions))
}

// hostKey returns the key under which the engine applies its per-host
// limits ([fetch.HostKey]), or "" for a URL the engine will not fetch.
// Cluster politeness depends on the two being the same key: one function.
func hostKey(raw string) string {
	u, err := fetch.ParseURL(raw)
	if err != nil {
		return ""
	}
	return fetch.HostKey(u)
}

// assign returns the owner of each partition among the live workers: each
// partition goes to the worker that scores highest for it (rendezvous
// hashing, so that a worker joining or leaving moves few partitions), but
// no worker takes more than its fair share, ceil(partitions/workers): with
// few partitions, hashing alone leaves some workers idle.
func assign(partitions int, workers []string) []string {
	owners := make([]string, partitions)
	if len(workers) == 0 {
		return owners
	}
	capacity := (partitions + len(workers) - 1) / len(workers)
	taken := make(map[string]int, len(workers))
	ranked := slices.Clone(workers)
	for p := range owners {
		slices.SortFunc(ranked, func(a, b string) int {
			return cmp.Or(cmp.Compare(score(b, p), score(a, p)), cmp.Compare(a, b))
		})
		for _, w := range ranked {
			if taken[w] < capacity {
				owners[p] = w
				taken[w]++
				break
			}
		}
	}
	return owners
}

func score(worker string, p int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(worker))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(p)))
	return h.Sum64()
}
