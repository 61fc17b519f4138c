package fetch

import "testing"

// TestAttackAPanicIsNoOtherURLsRecord: only the URL whose fetch panicked
// has a record saying so. The tasks that the panic's failure of the run's
// group cancels end with a CancelledError whose cause chain holds the panic
// (TaskError → PanicError); pending.done once found it there with
// errors.As, and gave each of those URLs a Failed record "internal error:
// transport bug", kind internal, instead of a Cancelled one: another URL's
// result in its record, counted as a failure (at 76620c0 and until the fix).
func TestAttackAPanicIsNoOtherURLsRecord(t *testing.T) {
	attackPanic(t, true)
}
