package daemon

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"
)

// ListenUnix listens on a Unix socket at path with mode 0600. If a file
// exists at path it must be a socket nobody is listening on (a stale one,
// left by a crash), which is removed; a live socket or any other file is
// an error. Closing the listener removes the socket file.
func ListenUnix(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("daemon: %s exists and is not a socket", path)
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("daemon: %s is in use by a running server", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("daemon: remove stale socket: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	ln, err := listenUnix(path)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return ln, nil
}

// ListenLoopback listens on a TCP address whose host is a loopback IP
// literal (127.0.0.0/8 or ::1); any other address is refused. Port 0
// picks a free port. Note that any local user can connect.
func ListenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("daemon: listen address %q: %w", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() || ip.Zone() != "" {
		return nil, fmt.Errorf("daemon: listen address %q: host must be a loopback IP such as 127.0.0.1 or ::1", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return ln, nil
}
