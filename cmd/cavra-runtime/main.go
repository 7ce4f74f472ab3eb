// Command cavra-runtime is the CAVRA community enforcement plane: it
// decides, before an AI agent acts, whether the action is allowed,
// blocked or needs approval, and records evidence of each decision.
//
// Without a command it is CAVRA's cavra-runtime, flag for flag (--input,
// --policy, --registry, --serve, --daemon, --lifecycle, --evidence-log,
// --verify-evidence, the runner authentication flags); the commands
// evaluate, serve, evidence, policy and version add JSON Lines streaming
// and tools. Run "cavra-runtime help" for usage. CAVRA's contract, the
// packs and where this runtime is stricter than CAVRA are documented in
// package github.com/cavra/cavra/runtime/policy, the evidence log in
// runtime/evidence, runner authentication in runtime/runnerauth and the
// socket exchanges and lifecycle in runtime/daemon.
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
