package async

// taskQueue is a group's first-in first-out queue of tasks waiting for a
// running slot. Its memory follows the tasks waiting now, not every task
// that ever waited: the slice is compacted once most of it is spent.
//
// A task cancelled while it waits leaves the queue at once in the sense
// that counts (it ends, and Group.Len no longer includes it); its slot is
// only marked (its state is no longer queued) and skipped by pop, so that
// cancelling every queued task one by one costs O(n), not O(n²). The marked
// slots are compacted away too once they are the majority.
type taskQueue struct {
	items   []runner
	head    int // items[:head] are spent
	removed int // marked slots in items[head:]
}

// minCompact is the queue length below which compacting is not worth it.
const minCompact = 64

// maxSpare is the most room the queue keeps for live waiting tasks: more
// than that is given back at the next compaction. The slack (16× and 1024
// slots) keeps a queue that drains and refills at the same pace from
// reallocating at every turn.
func maxSpare(live int) int { return 16*live + 1024 }

func (q *taskQueue) push(r runner) {
	q.items = append(q.items, r)
}

// pop returns the oldest task still waiting, or nil.
func (q *taskQueue) pop() runner {
	for q.head < len(q.items) {
		r := q.items[q.head]
		q.items[q.head] = nil
		q.head++
		if !r.core().state.queued() {
			q.removed--
			continue
		}
		if q.head == len(q.items) { // empty: start again at the front
			q.items, q.head, q.removed = q.items[:0], 0, 0
		} else {
			q.shrink()
		}
		return r
	}
	q.items, q.head, q.removed = q.items[:0], 0, 0
	return nil
}

// markRemoved accounts for a task taken out of the queue by Cancel, which
// has already moved it out of the queued phase.
func (q *taskQueue) markRemoved() {
	q.removed++
	q.shrink()
}

// shrink drops the spent head and the marked slots once they make up most
// of the slice, and lets a slice that is mostly empty capacity go.
func (q *taskQueue) shrink() {
	n := len(q.items)
	if n < minCompact || (q.head+q.removed)*2 < n {
		return
	}
	live := n - q.head - q.removed
	items := q.items
	if cap(items) > maxSpare(live) {
		items = make([]runner, 0, max(4*live, minCompact))
	} else {
		items = items[:0]
	}
	for _, r := range q.items[q.head:] {
		if r.core().state.queued() {
			items = append(items, r)
		}
	}
	clear(q.items[len(items):n])
	q.items, q.head, q.removed = items, 0, 0
}
