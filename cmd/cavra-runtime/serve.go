package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/cavra/cavra/runtime/daemon"
)

// cmdServe serves JSON Lines on a socket until SIGINT or SIGTERM, or
// until ctx is cancelled.
func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c config
	c.registerPolicy(fs)
	c.registerEvidence(fs)
	c.registerServer(fs)
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
	return serveSocket(ctx, &c, *socket, *listen, false, stderr)
}

// serveSocket runs a daemon: CAVRA's exchange if single, else JSON
// Lines.
func serveSocket(ctx context.Context, c *config, socket, listen string, single bool, stderr io.Writer) error {
	// Check everything before listening, so that a bad flag leaves no
	// socket behind.
	auth, err := c.verifier()
	if err != nil {
		return err
	}
	enf, closeLog, err := c.enforcer()
	if err != nil {
		return err
	}
	defer closeLog()
	enf.Auth = auth
	var ln net.Listener
	if socket != "" {
		if err := os.MkdirAll(filepath.Dir(socket), 0o755); err != nil {
			return err
		}
		ln, err = daemon.ListenUnix(socket)
	} else {
		ln, err = daemon.ListenLoopback(listen)
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var mu sync.Mutex
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stderr, "cavra-runtime: "+format+"\n", args...)
	}
	mode := "JSON Lines"
	if single {
		mode = "CAVRA's one-request exchange"
	}
	extra := ""
	if auth != nil {
		extra = ", runner authentication required"
	}
	if enf.Log != nil {
		extra += ", evidence in " + enf.Log.Name()
	}
	logf("serving %s on %s %s (default pack %s%s)", mode, ln.Addr().Network(), ln.Addr(), enf.Engine.DefaultName(), extra)
	srv := &daemon.Server{Enforcer: enf, Single: single, ErrorLog: logf}
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	logf("stopped")
	return nil
}
