package daemon

import (
	"errors"
	"net"
	"time"
)

// DefaultSocket is the socket CAVRA's daemon listens on by default.
const DefaultSocket = ".cavra/cavra-runtime.sock"

// ClientTimeout bounds one exchange with a daemon, as in CAVRA.
const ClientTimeout = 5 * time.Second

// Exchange sends one request to the daemon on the Unix socket and returns
// its response, CAVRA's way: the request and a newline, then one JSON
// value back; it also closes its side after the request. It works with
// both exchanges the daemon offers.
func Exchange(socket string, request []byte, timeout time.Duration) ([]byte, error) {
	if socket == "" {
		return nil, errors.New("daemon socket path is required")
	}
	if timeout <= 0 {
		timeout = ClientTimeout
	}
	c, err := net.DialTimeout("unix", socket, timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	if _, err := c.Write(append(request[:len(request):len(request)], '\n')); err != nil {
		return nil, err
	}
	// Say the request is complete, so that a daemon answers even a
	// request cut short (with a block) instead of waiting for the rest.
	if uc, ok := c.(*net.UnixConn); ok {
		uc.CloseWrite()
	}
	return ReadValue(c, 16<<20)
}
