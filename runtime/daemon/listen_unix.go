//go:build unix

package daemon

import (
	"net"
	"syscall"
)

// listenUnix creates the socket with a umask that leaves it readable and
// writable by the owner only, so that there is no moment at which others
// could connect. The umask is process-wide: call ListenUnix before
// starting goroutines that create files.
func listenUnix(path string) (net.Listener, error) {
	old := syscall.Umask(0o177)
	defer syscall.Umask(old)
	return net.Listen("unix", path)
}
