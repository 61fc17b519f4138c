package async

import "time"

// The task clock. A task records when it starts and ends as monotonic
// readings relative to epoch, which cost half of what time.Now does (no wall
// clock is read) on the path every task takes; the wall-clock times are
// worked out only when someone asks. Inside a testing/synctest bubble the
// readings follow the bubble's virtual clock, as time.Now does.
var epoch = time.Now()

// monoNow returns the time since epoch, plus one so that no reading is 0,
// which means "not yet".
func monoNow() int64 { return int64(time.Since(epoch)) + 1 }

// monoTime converts a monoNow reading back to a time.Time.
func monoTime(m int64) time.Time {
	if m == 0 {
		return time.Time{}
	}
	return time.Now().Add(time.Duration(m - monoNow()))
}
