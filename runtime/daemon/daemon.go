// Package daemon serves decisions over a socket, in two exchanges.
//
// CAVRA's exchange (Server.Single, what `cavra-runtime --serve` speaks):
// a client connects to the Unix socket, writes one JSON EvaluateRequest
// (a newline after it is optional), and reads one DecisionResponse v1
// line back; then the server closes the connection.
//
// JSON Lines (what `cavra-runtime serve` speaks): a client writes
// requests as JSON Lines and reads one decision line back for each, in
// order, on the same connection, for as long as it likes; many requests
// may be in flight. A CAVRA client (one request, then close) works with
// this exchange too. Blank lines are skipped; a line longer than
// policy.MaxRequestSize, or one that is not a valid request, gets a
// block decision and the connection carries on.
//
// Either way each connection is served by its own goroutine, and, with
// an evidence log, a decision is written back only once its record is
// on disk. On a JSON Lines connection the next lines are decided while
// earlier records are being written, so that records from every
// connection are committed in groups (see package evidence).
//
// Serve stops when its context is cancelled: it stops accepting, lets
// every connection finish the lines it has already received, closes the
// connections and the listener (which removes the socket file) and
// returns.
//
// Requests are read as policy.Decode reads them: EvaluateRequest v1 and
// the runtime request's own members (operation, server, tool,
// capability, record), so a daemon decides as a one-shot run does.
// CAVRA's daemon reads v1 members only, so through it an MCP call has no
// server or tool and a git push only its requested_operation.
//
// Where CAVRA's daemon removes any file at the socket path and listens,
// ListenUnix refuses a socket another daemon is serving (a stale one is
// replaced) and creates the socket with mode 0600. Lifecycle passes keys
// to the daemon it starts in its environment, not on its command line,
// and sends its output to <socket>.log rather than to the caller's
// standard output (which would hold a caller reading it until the daemon
// exits).
package daemon

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
	"github.com/cavra/cavra/runtime/enforce"
	"github.com/cavra/cavra/runtime/policy"
)

// ShutdownGrace bounds how long Serve waits, after its context is
// cancelled, for connections to finish the lines they have received.
const ShutdownGrace = 10 * time.Second

// SingleTimeout bounds how long a CAVRA exchange may take to send its
// request.
const SingleTimeout = 30 * time.Second

// Server answers requests read from connections.
type Server struct {
	Enforcer *enforce.Enforcer
	// Single selects CAVRA's one-request-per-connection exchange.
	Single bool
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
			if s.Single {
				s.serveSingle(c)
			} else {
				s.serveLines(c)
			}
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

func quiet(err error) bool {
	return err == io.EOF || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed)
}

// serveSingle answers one request, CAVRA's way.
func (s *Server) serveSingle(c net.Conn) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(SingleTimeout))
	data, err := ReadValue(c, policy.MaxRequestSize)
	var p enforce.Pending
	switch {
	case errors.Is(err, policy.ErrTooLarge):
		s.Enforcer.StartReject(err, &p)
	case err != nil && len(bytes.TrimSpace(data)) == 0:
		if !quiet(err) {
			s.logf("connection %s: read: %v", c.RemoteAddr(), err)
		}
		return
	default:
		s.Enforcer.StartJSON(data, &p)
	}
	d, derr := p.Wait()
	if derr != nil {
		s.logf("connection %s: %v", c.RemoteAddr(), derr)
	}
	out := append(d.AppendV1(nil), '\n')
	c.SetWriteDeadline(time.Now().Add(SingleTimeout))
	if _, err := c.Write(out); err != nil {
		s.logf("connection %s: write: %v", c.RemoteAddr(), err)
	}
}

// ReadValue reads one JSON value from r, returning as soon as its last
// byte has arrived (as encoding/json's Decoder does), so that a client
// need not end its request with a newline or close its side. It returns
// what it read and an error if the input ended before the value did;
// policy.ErrTooLarge if the value is longer than limit. Bytes after the
// value may have been read from r and are lost; use a ValueReader to
// read several values.
func ReadValue(r io.Reader, limit int) ([]byte, error) {
	return (&ValueReader{R: r, Limit: limit}).Next()
}

// ValueReader reads JSON values one after another.
type ValueReader struct {
	R     io.Reader
	Limit int
	buf   []byte
	eof   error
}

// Next returns the next value (see ReadValue). At the end of the input
// it returns io.EOF with no data. The slice is valid until the next call.
func (v *ValueReader) Next() ([]byte, error) {
	for {
		if len(v.buf) > 0 {
			n, err := strictjson.ValueEnd(v.buf)
			if err != nil {
				data := v.buf
				v.buf = nil
				return data, err
			}
			if n >= 0 && n <= v.Limit {
				data := v.buf[:n:n]
				v.buf = v.buf[n:]
				return data, nil
			}
			if len(v.buf) > v.Limit {
				v.buf = nil
				return nil, policy.ErrTooLarge
			}
		}
		if v.eof != nil {
			data := v.buf
			v.buf = nil
			if len(bytes.TrimSpace(data)) == 0 {
				return nil, v.eof
			}
			if v.eof == io.EOF {
				return data, nil // a scalar or a cut value: Decode reports it
			}
			return data, v.eof
		}
		if cap(v.buf)-len(v.buf) < 4096 {
			nb := make([]byte, len(v.buf), 2*cap(v.buf)+8192)
			copy(nb, v.buf)
			v.buf = nb
		}
		n, err := v.R.Read(v.buf[len(v.buf):cap(v.buf)])
		v.buf = v.buf[:len(v.buf)+n]
		if err != nil {
			v.eof = err
		}
	}
}

// serveLines answers the JSON Lines of one connection.
func (s *Server) serveLines(c net.Conn) {
	defer c.Close()
	lr := enforce.NewLineReader(c)
	w := bufio.NewWriterSize(c, 64<<10)
	if s.Enforcer.Log != nil {
		s.serveLinesLogged(c, lr, w)
		return
	}
	var out []byte
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
			if !quiet(err) {
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
		out = append(d.AppendV1(out[:0]), '\n')
		w.Write(out)
	}
}

// serveLinesLogged answers lines with evidence: the reader decides each
// line and queues its record; a writer answers each decision, in order,
// once its record is on disk.
func (s *Server) serveLinesLogged(c net.Conn, lr *enforce.LineReader, w *bufio.Writer) {
	type item struct {
		p    enforce.Pending
		line int
	}
	queue := make(chan *item, 1024)
	done := make(chan struct{})
	pool := sync.Pool{New: func() any { return new(item) }}
	go func() {
		defer close(done)
		var out []byte
		broken := false
		for it := range queue {
			d, err := it.p.Wait()
			if err != nil {
				s.logf("connection %s: line %d: %v", c.RemoteAddr(), it.line, err)
			}
			pool.Put(it)
			if broken {
				continue
			}
			out = append(d.AppendV1(out[:0]), '\n')
			w.Write(out)
			if len(queue) == 0 {
				if err := w.Flush(); err != nil {
					s.logf("connection %s: write: %v", c.RemoteAddr(), err)
					broken = true
				}
			}
		}
		w.Flush()
	}()
	defer func() {
		close(queue)
		<-done
	}()
	for {
		line, tooLong, err := lr.Next()
		if err != nil {
			if !quiet(err) {
				s.logf("connection %s: read: %v", c.RemoteAddr(), err)
			}
			return
		}
		if !tooLong && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		it := pool.Get().(*item)
		it.line = lr.Line()
		if tooLong {
			s.Enforcer.StartReject(policy.ErrTooLarge, &it.p)
		} else {
			s.Enforcer.StartJSON(line, &it.p)
		}
		queue <- it
	}
}
