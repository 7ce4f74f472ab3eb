//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package evidence

import (
	"os"
	"syscall"
)

// lock takes an exclusive, non-blocking advisory lock on f. The kernel
// releases it when f is closed or the process exits.
func lock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
