package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

const usage = `Usage:
  cavra-runtime [evaluate] [flags] < requests
  cavra-runtime serve (--socket PATH | --listen ADDR) [flags]
  cavra-runtime evidence verify FILE
  cavra-runtime policy list [--policy FILE]
  cavra-runtime policy show [--policy FILE] [NAME]
  cavra-runtime version [--json]
  cavra-runtime help

cavra-runtime decides, before an AI agent acts, whether the action is
allowed, blocked or needs approval, and records evidence of each decision.

Commands:
  evaluate         decide the requests on standard input (the default
                   command): one JSON object, or JSON Lines with one request
                   per line of at most 1 MiB; write one decision per line
  serve            answer JSON Lines requests on a Unix socket, or on a
                   loopback TCP address, until SIGINT or SIGTERM
  evidence verify  check the hash chain of an evidence log
  policy list      list the policy packs
  policy show      print a pack as policy JSON, the format --policy reads
  version          print the version and the Go build settings
  help             print this help

Flags for evaluate and serve:
  --pack NAME          pack for requests that name none (default
                       cavra-ai-agent-baseline, or the --policy pack)
  --pin-pack           block requests that name a pack other than that one
  --policy FILE        load a compiled policy pack (JSON)
  --registry FILE      load an MCP trust registry (JSON)
  --evidence-log FILE  append a hash-chained evidence record per decision

Flags for serve:
  --socket PATH        Unix socket to listen on, created with mode 0600
  --listen ADDR        loopback TCP address to listen on instead, such as
                       127.0.0.1:7070 (for Windows)

Flags for version:
  --json               print one JSON object

Exit status: 0 if all went well; 1 if a request was invalid, a decision
could not be recorded, a file could not be loaded or an evidence log
failed verification; 2 for a usage error. A request that was not
decided, or was invalid, is never allowed.
`

// usageError is a command-line error, which exits with status 2.
type usageError struct{ msg string }

// Error returns the message.
func (e *usageError) Error() string { return e.msg }

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "evaluate"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		cmd, args = "help", nil
	}
	var err error
	switch cmd {
	case "evaluate":
		err = cmdEvaluate(args, stdin, stdout, stderr)
	case "serve":
		err = cmdServe(ctx, args, stderr)
	case "evidence":
		err = cmdEvidence(args, stdout)
	case "policy":
		err = cmdPolicy(args, stdout)
	case "version":
		err = cmdVersion(args, stdout)
	case "help":
		if len(args) > 0 {
			err = usageErr("help takes no arguments")
			break
		}
		fmt.Fprint(stdout, usage)
	default:
		err = usageErr("unknown command %q", cmd)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0
	case errors.As(err, new(*usageError)):
		fmt.Fprintf(stderr, "cavra-runtime: %v\n\n%s", err, usage)
		return 2
	case errors.Is(err, errReported):
		return 1
	}
	fmt.Fprintf(stderr, "cavra-runtime: %v\n", err)
	return 1
}

// errReported means the command has already said what went wrong.
var errReported = errors.New("failed")

func usageErr(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// parseFlags parses a subcommand's flags. Flag errors are usage errors;
// -h is flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErr("%s: %v", fs.Name(), err)
	}
	return nil
}
