package async

import "sync/atomic"

// taskState is a task's state as the task keeps it: the public [State],
// refined by two phases that only the task and its group see, so that a
// task needs no field of its own for them:
//   - returned, between the function's return and the final state: the
//     task reads as Running, but Cancel can no longer take effect;
//   - queued, while the task waits in its group's queue (entered and left
//     under the group's mutex): it reads as Pending.
//
// It is one atomic word: what each reader needs is one load.
type taskState struct{ v atomic.Int32 }

// phase is the value a taskState holds: a State, or one of the phases
// below, which are never States.
type phase int32

const (
	phaseReturned phase = -1
	phaseQueued   phase = -2
)

func (s *taskState) load() phase { return phase(s.v.Load()) }

// public returns the state as State reports it.
func (s *taskState) public() State {
	switch p := s.load(); p {
	case phaseReturned:
		return Running
	case phaseQueued:
		return Pending
	default:
		return State(p)
	}
}

// finished reports whether the task has ended: Done or Cancelled.
func (s *taskState) finished() bool { return State(s.load()).Finished() }

// is reports whether the task is in the public state st, exactly (not one
// of the phases that refine it).
func (s *taskState) is(st State) bool { return s.load() == phase(st) }

// returned reports whether the function has returned and the task has not
// yet ended.
func (s *taskState) returned() bool { return s.load() == phaseReturned }

// queued reports whether the task waits in its group's queue.
func (s *taskState) queued() bool { return s.load() == phaseQueued }

func (s *taskState) set(st State) { s.v.Store(int32(st)) }
func (s *taskState) setReturned() { s.v.Store(int32(phaseReturned)) }
func (s *taskState) setQueued()   { s.v.Store(int32(phaseQueued)) }
func (s *taskState) leaveQueue()  { s.v.Store(int32(Pending)) }
