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
  cavra-runtime [--input FILE] [flags]          decide one request (CAVRA)
  cavra-runtime --serve [--socket PATH] [flags] serve CAVRA's exchange
  cavra-runtime --daemon [--input FILE] [flags] ask a running daemon
  cavra-runtime --lifecycle start|stop|status [flags]
  cavra-runtime --verify-evidence --evidence-log FILE [flags]
  cavra-runtime evaluate [flags] < requests.jsonl
  cavra-runtime serve (--socket PATH | --listen ADDR) [flags]
  cavra-runtime evidence verify [flags] FILE
  cavra-runtime policy list [--policy FILE]
  cavra-runtime policy show [--policy FILE] [NAME]
  cavra-runtime version [--json]
  cavra-runtime help

cavra-runtime decides, before an AI agent acts, whether the action is
allowed, blocked or needs approval, and records evidence of each decision.
It speaks CAVRA's enforcement contract: the command line without a
command is CAVRA's cavra-runtime, flag for flag.

CAVRA's command line (flags as -x or --x, values as --x=v or --x v):
  --input FILE         request file, - for standard input (default -): one
                       request, or several JSON values one after another;
                       each decision is printed indented, as CAVRA prints it
  --policy FILE        a CAVRA compiled policy (the output of cavra policy
                       compile) or a native cavra.policy/v1 pack; it decides
                       every request, whose policy_pack is then a label
  --registry FILE      CAVRA trust registry ({"mcp_servers": [...]}); with it
                       every MCP call is decided by the registry
  --serve              serve CAVRA's exchange on --socket: one request per
                       connection, one DecisionResponse line back
  --daemon             send the input to a running daemon and print its answer
  --lifecycle ACTION   start, stop or status a background daemon
  --socket PATH        daemon socket (default .cavra/cavra-runtime.sock)
  --pid PATH           daemon PID file (default <socket>.pid)
  --lifecycle-timeout D  readiness and shutdown wait (default 5s)
  --evidence-log FILE  append a hash-chained evidence record per decision
                       (CAVRA's cavra.go-daemon.evidence.v1 records)
  --evidence-signing-key K, --evidence-signing-key-id ID
                       sign evidence records with HMAC-SHA256
                       (env CAVRA_DAEMON_EVIDENCE_HMAC_KEY, _KEY_ID)
  --verify-evidence    verify --evidence-log, print a JSON report, exit 1
                       if it is not valid
  --runner-auth-key K, --runner-auth-key-id ID
                       daemon: require runner_auth signed with this HMAC key;
                       --daemon: sign with it (env CAVRA_RUNNER_AUTH_HMAC_KEY,
                       CAVRA_RUNNER_AUTH_KEY_ID)
  --runner-auth-claims FILE  --daemon: runner identity JSON to sign
  --runner-auth-oidc-token T, --runner-auth-oidc-token-file FILE
                       --daemon: send this OIDC token instead (env
                       CAVRA_RUNNER_AUTH_OIDC_TOKEN, _TOKEN_FILE)
  --runner-oidc-issuer I, --runner-oidc-audience A, --runner-oidc-jwks FILE
                       daemon: accept OIDC tokens from I for A, verified
                       offline against the JWKS file (RS256, ES256)
                       (env CAVRA_RUNNER_OIDC_ISSUER, _AUDIENCE, _JWKS)
  --runner-oidc-jwks-url URL  fetch the JWKS once, at start, instead
  --pack NAME          built-in pack for requests that name none
                       (default cavra-ai-agent-baseline)
  --pin-pack           block requests that name another pack

Commands:
  evaluate         decide the requests on standard input: one JSON object,
                   or JSON Lines with one request per line of at most 1 MiB;
                   write one decision per line (flags: --pack, --pin-pack,
                   --policy, --registry, --evidence-log and its key flags)
  serve            answer JSON Lines requests on a Unix socket (--socket),
                   or on a loopback TCP address (--listen, for Windows),
                   until SIGINT or SIGTERM; many requests per connection
                   (flags: those of evaluate and the runner flags above)
  evidence verify  check an evidence log (--evidence-signing-key,
                   --evidence-signing-key-id to check signatures)
  policy list      list the built-in packs
  policy show      print a pack: a CAVRA pack as cavra policy compile prints
                   it, a native pack as cavra.policy/v1 JSON
  version          print the version and the Go build settings (--json)
  help             print this help

Exit status: 0 if all went well (whatever the decisions); 1 if a request
was invalid, a decision could not be recorded, a file could not be loaded,
a daemon could not be reached or an evidence log failed verification; 2
for a usage error. A request that was not decided, or was invalid, is
never allowed.
`

// usageError is a command-line error, which exits with status 2.
type usageError struct{ msg string }

// Error returns the message.
func (e *usageError) Error() string { return e.msg }

// errReported means the command has already said what went wrong.
var errReported = errors.New("failed")

func usageErr(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		fmt.Fprint(stdout, usage)
		return 0
	case len(args) == 0 || strings.HasPrefix(args[0], "-"):
		err = cmdCAVRA(ctx, args, stdin, stdout, stderr)
	default:
		cmd, rest := args[0], args[1:]
		switch cmd {
		case "evaluate":
			err = cmdEvaluate(rest, stdin, stdout, stderr)
		case "serve":
			err = cmdServe(ctx, rest, stderr)
		case "evidence":
			err = cmdEvidence(rest, stdout)
		case "policy":
			err = cmdPolicy(rest, stdout)
		case "version":
			err = cmdVersion(rest, stdout)
		case "help":
			if len(rest) > 0 {
				err = usageErr("help takes no arguments")
				break
			}
			fmt.Fprint(stdout, usage)
		default:
			err = usageErr("unknown command %q", cmd)
		}
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

// parseFlags parses flags. Flag errors are usage errors; -h is
// flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErr("%s: %v", fs.Name(), err)
	}
	applyEnv(fs)
	return nil
}
