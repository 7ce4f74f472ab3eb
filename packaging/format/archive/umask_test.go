//go:build unix

package archive

import (
	"io/fs"
	"syscall"
	"testing"
)

func currentUmask(t *testing.T) fs.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return fs.FileMode(m)
}
