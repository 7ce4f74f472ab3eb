package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/cavra/cavra/runtime/daemon"
)

// cmdServe serves decisions on a socket until SIGINT or SIGTERM, or
// until ctx is cancelled.
func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c config
	c.register(fs)
	socket := fs.String("socket", "", "Unix socket `path`")
	listen := fs.String("listen", "", "loopback TCP `address`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("serve: unexpected argument %q", fs.Arg(0))
	case (*socket == "") == (*listen == ""):
		return usageErr("serve: give exactly one of --socket and --listen")
	}
	// Listen first: ListenUnix sets the process umask for a moment.
	var (
		ln  net.Listener
		err error
	)
	if *socket != "" {
		ln, err = daemon.ListenUnix(*socket)
	} else {
		ln, err = daemon.ListenLoopback(*listen)
	}
	if err != nil {
		return err
	}
	enf, closeLog, err := c.enforcer()
	if err != nil {
		ln.Close()
		return err
	}
	defer closeLog()

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var mu sync.Mutex
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stderr, "cavra-runtime: "+format+"\n", args...)
	}
	logf("serving on %s %s (default pack %s)", ln.Addr().Network(), ln.Addr(), enf.Engine.Default().Name())
	srv := &daemon.Server{Enforcer: enf, ErrorLog: logf}
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	logf("stopped")
	return nil
}
