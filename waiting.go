package async

import "time"

// The waiting state. Each of this package's blocking calls, when the task
// running it is tracked, records what it waits for (a waitRecord) before it
// blocks and removes the record when it returns; a Snapshot reports a
// running task with a record as Waiting, with the record's target and when
// the wait began. Untracked tasks record nothing and pay nothing.

// same reports whether r records the same wait as mine, whatever its start.
func (r waitRecord) same(mine waitRecord) bool {
	r.since = mine.since
	return r == mine
}

// waitSince returns when a recorded wait began, or the zero Time.
func (r waitRecord) waitSince() time.Time { return monoTime(r.since) }
