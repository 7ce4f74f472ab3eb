// Package daemon serves decisions over a socket.
//
// A client connects to a Unix socket (or, where Unix sockets are not
// used, a loopback TCP address), writes requests as JSON Lines and reads
// one decision line back for each request line, in order. Each
// connection is served by its own goroutine; blank lines are skipped;
// a line longer than policy.MaxRequestSize, or one that is not a valid
// request, gets a block decision and the connection carries on.
//
// Serve stops when its context is cancelled: it stops accepting, lets
// every connection finish the lines it has already received, closes the
// connections and the listener (which removes the socket file) and
// returns.
package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/cavra/cavra/runtime/enforce"
	"github.com/cavra/cavra/runtime/policy"
)

// ShutdownGrace bounds how long Serve waits, after its context is
// cancelled, for connections to finish the lines they have received.
const ShutdownGrace = 10 * time.Second

// Server answers requests read from connections.
type Server struct {
	Enforcer *enforce.Enforcer
	// ErrorLog receives a line for each rejected request and failed
	// connection; nil means none.
	ErrorLog func(format string, args ...any)

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Serve accepts connections on ln until ctx is cancelled, then shuts
// down as described in the package documentation. It returns nil after
// a clean shutdown, or the error that stopped it accepting.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	s.mu.Lock()
	s.conns = make(map[net.Conn]struct{})
	s.mu.Unlock()

	stop := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-stop:
		}
		ln.Close()
	}()

	var (
		err   error
		delay time.Duration
	)
	for {
		c, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(aerr, net.ErrClosed) {
				err = fmt.Errorf("daemon: accept: %w", aerr)
				break
			}
			// Out of file descriptors and the like: wait and retry.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.logf("accept: %v; retrying in %v", aerr, delay)
			select {
			case <-time.After(delay):
			case <-ctx.Done():
			}
			continue
		}
		delay = 0
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
	close(stop)

	// Wake connections blocked in Read: lines already buffered are still
	// answered, then each handler sees the deadline and returns.
	s.mu.Lock()
	for c := range s.conns {
		c.SetReadDeadline(time.Now())
		c.SetWriteDeadline(time.Now().Add(ShutdownGrace))
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(ShutdownGrace):
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		<-done
	}
	return err
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog(format, args...)
	}
}

// serveConn answers the lines of one connection.
func (s *Server) serveConn(c net.Conn) {
	defer c.Close()
	lr := enforce.NewLineReader(c)
	w := bufio.NewWriter(c)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	for {
		// Flush before Next could block, so that pipelined requests are
		// answered in batches but no answer waits for more input.
		if w.Buffered() > 0 && !lr.Ready() {
			if err := w.Flush(); err != nil {
				s.logf("connection %s: write: %v", c.RemoteAddr(), err)
				return
			}
		}
		line, tooLong, err := lr.Next()
		if err != nil {
			w.Flush()
			if err != io.EOF && !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, net.ErrClosed) {
				s.logf("connection %s: read: %v", c.RemoteAddr(), err)
			}
			return
		}
		if !tooLong && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var d policy.Decision
		if tooLong {
			d, err = s.Enforcer.Reject(policy.ErrTooLarge)
		} else {
			d, err = s.Enforcer.DecideJSON(line)
		}
		if err != nil {
			s.logf("connection %s: line %d: %v", c.RemoteAddr(), lr.Line(), err)
		}
		out.Reset()
		if err := enc.Encode(d); err != nil {
			s.logf("connection %s: encode: %v", c.RemoteAddr(), err)
			return
		}
		w.Write(out.Bytes())
	}
}
