package async

import (
	"testing"
	"unsafe"
)

// The task's size budget (see taskCore): a taskCore is 80 bytes on 64-bit
// platforms and a Task[int] 96, a size class, so that a task costs
// little more than its goroutine. A field added to either fails this test:
// put it in taskExtra, taskMore or taskRare instead, or change the budget on purpose.
func TestTaskSizeBudget(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the budget is for 64-bit platforms")
	}
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"taskCore", unsafe.Sizeof(taskCore{}), 80},
		{"Task[int]", unsafe.Sizeof(Task[int]{}), 96},           // a size class
		{"Task[struct{}]", unsafe.Sizeof(Task[struct{}]{}), 88}, // no zero-size last field to pad
		{"errTask", unsafe.Sizeof(errTask{}), 96},               // a size class
		{"tracked errTask", unsafe.Sizeof(struct {
			task  errTask
			extra taskExtra
		}{}), 144}, // as newErrTask makes it: a size class
		{"named errTask", unsafe.Sizeof(struct {
			task  errTask
			extra taskExtra
			name  string
		}{}), 160},
		{"taskExtra", unsafe.Sizeof(taskExtra{}), 48},                      // with a Task[int]: 144, a size class
		{"withExtra[int]", unsafe.Sizeof(withExtra[int]{}), 144},           // a tracked Task[int]
		{"withNamedExtra[int]", unsafe.Sizeof(withNamedExtra[int]{}), 160}, // a named Task[int], tracked or not
		{"taskMore", unsafe.Sizeof(taskMore{}), 64},                        // a done callback's price for a task with its extra part
	} {
		if c.got > c.want {
			t.Errorf("%s is %d bytes; the budget is %d", c.name, c.got, c.want)
		}
	}
}

// TestTaskIDCounterIsAloneOnItsCacheLine: every Spawn writes lastTaskID, so
// no other variable may share its 64-byte line, whatever the linker puts
// beside it.
func TestTaskIDCounterIsAloneOnItsCacheLine(t *testing.T) {
	const line = 64
	counter := unsafe.Offsetof(lastTaskID.Uint64)
	after := unsafe.Sizeof(lastTaskID) - counter - unsafe.Sizeof(lastTaskID.Uint64)
	// The variable is at least 8-byte aligned, so its line starts at most
	// line-8 bytes before the counter and ends at most line-8 bytes after it.
	if counter < line-8 || after < line-8 {
		t.Errorf("lastTaskID has %d bytes before its counter and %d after; want at least %d each", counter, after, line-8)
	}
}
