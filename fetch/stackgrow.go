package fetch

// growStack makes the calling goroutine's stack big enough, in one step,
// for what a fetch needs. Each URL's task is a goroutine of its own, which
// starts with the runtime's small starting stack; net/http's client calls
// grow it, doubling more than once, each time while the stack is deep, and
// copying a deep stack is costly (runtime.copystack was 16% of the CPU a
// throughput-bound list took). A frame of this size grows it once, at the
// top of the task, where there is almost nothing to copy.
//
//go:noinline
func growStack() byte {
	var pad [stackWanted]byte
	return touch(&pad)
}

// stackWanted is the frame growStack asks for: enough, with what the task
// has used by then, to take the runtime's starting stack to the size a
// fetch's deepest call needs, and no more. A larger stack costs twice:
// the frame is zeroed on every call, and a task that waits with little of
// a large stack in use (for its host or a request slot) has it shrunk by
// the garbage collector, a copy of its own. Profile of fetchall on 60,000
// URLs of list (b) (bench/fetch, -c 64): at 7 kB, growStack 0.25 s and
// runtime.shrinkstack 0.12 s of 5.44 s; at 4 kB, growStack 0.14 s and no
// shrinkstack, and still no stack growth anywhere else (runtime.newstack
// is called from growStack alone). At 5 kB: 0.16 s.
const stackWanted = 4 << 10

//go:noinline
func touch(b *[stackWanted]byte) byte { return b[len(b)-1] }
