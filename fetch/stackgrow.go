package fetch

// growStack makes sure, in one step at the top of a URL's task, that the
// goroutine's stack is as large as the runtime's usual starting size.
// Each URL's task is a goroutine of its own, which starts with the
// runtime's starting stack: 4 kB on a throughput-bound list (the runtime
// sizes it from the stacks it scans), sometimes 2 kB. A fetch's deepest
// call (net/http's getConn and persistConn.roundTrip under the engine's
// frames) fits in 4 kB, as the floor's goroutine does: do and the frames
// under it are kept small for that (see sleepBeforeRetry and
// TestRequestPathIsShallow), so that a task's stack is never grown, copied
// and freed. On a 2 kB stack this frame grows it to 4 kB where there is
// almost nothing to copy, rather than deep in net/http; on a 4 kB stack it
// costs the zeroing of the frame.
//
//go:noinline
func growStack() byte {
	var pad [stackWanted]byte
	return touch(&pad)
}

// stackWanted is the frame growStack asks for: with what the task has used
// by then (about 0.4 kB) and the runtime's guard (0.9 kB), more than a
// 2 kB stack holds and less than a 4 kB one does.
//
// It was 4 kB, which grew every task to 8 kB at its top, when a fetch
// needed more than 4 kB: profile of fetchall on 200,000 URLs of list (b)
// (-c 64), runtime.newstack 0.33 s of 8.92 s, all under growStack (the
// allocation of the 8 kB stack and the free of both). At 1.5 kB with the
// smaller frames, on 60,000 URLs: newstack 0.08 s of 2.63 s, half of it
// under growStack (the times the starting size was 2 kB), the rest from
// rare deeper calls (a malloc's slow path, a GC start).
const stackWanted = 1536

//go:noinline
func touch(b *[stackWanted]byte) byte { return b[len(b)-1] }
