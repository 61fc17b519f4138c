//go:build !unix

package fetch

import "os"

// LockFile does nothing where flock does not exist.
func LockFile(*os.File) error { return nil }
