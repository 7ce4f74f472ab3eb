// Command cavra-runtime is the CAVRA community enforcement plane: it
// decides, before an AI agent acts, whether the action is allowed,
// blocked or needs approval, and records evidence of each decision.
//
// Run "cavra-runtime help" for usage. The policy model is documented in
// package github.com/cavra/cavra/runtime/policy, the evidence log format
// in package github.com/cavra/cavra/runtime/evidence and the socket
// protocol in package github.com/cavra/cavra/runtime/daemon.
package main

import (
	"context"
	"os"
)

// version is set at release time with -ldflags "-X main.version=v1.2.3".
var version = "devel"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
