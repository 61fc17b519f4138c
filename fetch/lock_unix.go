//go:build unix

package fetch

import (
	"errors"
	"os"
	"syscall"
)

// LockFile takes an exclusive advisory lock (flock) on f without waiting,
// and returns ErrLocked if another process holds one: two runs writing
// the same records file, or compact rewriting a file a run appends to,
// would lose records. The lock goes with f's last close.
func LockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrLocked
	}
	if errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EINVAL) {
		return nil // a file system without locks: nothing to guard with
	}
	return err
}
