//go:build !unix

package daemon

import (
	"errors"
	"net"
)

// listenUnix is not offered where file modes cannot protect a socket;
// use ListenLoopback.
func listenUnix(string) (net.Listener, error) {
	return nil, errors.New("unix sockets are not supported on this platform; use a loopback TCP address")
}
