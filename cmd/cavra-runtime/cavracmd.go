package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cavra/cavra/runtime/daemon"
	"github.com/cavra/cavra/runtime/evidence"
	"github.com/cavra/cavra/runtime/policy"
	"github.com/cavra/cavra/runtime/runnerauth"
)

// cmdCAVRA runs CAVRA's command line: --verify-evidence, --lifecycle,
// --daemon and --serve, in that order of precedence, else one
// evaluation of the input.
func cmdCAVRA(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cavra-runtime", flag.ContinueOnError)
	var c config
	c.registerPolicy(fs)
	c.registerEvidence(fs)
	c.registerServer(fs)
	c.registerClient(fs)
	input := fs.String("input", "-", "request `file`")
	serve := fs.Bool("serve", false, "serve CAVRA's exchange")
	client := fs.Bool("daemon", false, "ask a running daemon")
	lifecycle := fs.String("lifecycle", "", "start, stop or status")
	socket := fs.String("socket", daemon.DefaultSocket, "socket `path`")
	pid := fs.String("pid", "", "PID `file`")
	timeout := fs.Duration("lifecycle-timeout", daemon.DefaultLifecycleTimeout, "lifecycle wait")
	verify := fs.Bool("verify-evidence", false, "verify --evidence-log")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q (commands come first: cavra-runtime COMMAND [flags])", fs.Arg(0))
	}
	switch {
	case *verify:
		return verifyEvidence(c.evidence, &c, stdout)
	case *lifecycle != "":
		return runLifecycle(*lifecycle, daemon.Lifecycle{Socket: *socket, PIDFile: *pid, Timeout: *timeout,
			Args: c.daemonArgs(), Env: c.daemonEnv()}, stdout)
	case *client:
		return runClient(&c, *socket, *input, stdin, stdout, stderr)
	case *serve:
		return serveSocket(ctx, &c, *socket, "", true, stderr)
	}
	return evaluateValues(&c, *input, stdin, stdout, stderr)
}

// openInput opens --input; "-" is standard input.
func openInput(name string, stdin io.Reader) (io.Reader, func(), error) {
	if name == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// evaluateValues decides each JSON value of the input and prints each
// decision as CAVRA's one-shot run prints it: the runtime decision,
// indented by two spaces. A value is answered as soon as it is complete.
// Reading stops at the first input that is not a valid request: it gets
// a block decision, and the exit status is 1.
func evaluateValues(c *config, input string, stdin io.Reader, stdout, stderr io.Writer) error {
	r, closeIn, err := openInput(input, stdin)
	if err != nil {
		return err
	}
	defer closeIn()
	enf, closeLog, err := c.enforcer()
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	vr := &daemon.ValueReader{R: r, Limit: policy.MaxRequestSize}
	failed, n := false, 0
	for {
		data, rerr := vr.Next()
		if rerr != nil && len(bytes.TrimSpace(data)) == 0 && !errors.Is(rerr, policy.ErrTooLarge) {
			if rerr != io.EOF {
				fmt.Fprintf(stderr, "cavra-runtime: read %s: %v\n", inputName(input), rerr)
				failed = true
			}
			break
		}
		n++
		var d policy.Decision
		var derr error
		if errors.Is(rerr, policy.ErrTooLarge) {
			d, derr = enf.Reject(rerr)
		} else {
			d, derr = enf.DecideJSON(data)
		}
		out.Write(append(d.AppendRuntime(nil, true), '\n'))
		out.Flush()
		if derr != nil {
			fmt.Fprintf(stderr, "cavra-runtime: %s: request %d: %v\n", inputName(input), n, derr)
			failed = true
			if d.RuleID == "input.invalid" || d.RuleID == "input.too_large" {
				break
			}
		}
	}
	if err := closeLog(); err != nil {
		fmt.Fprintf(stderr, "cavra-runtime: %v\n", err)
		failed = true
	}
	if n == 0 && !failed {
		fmt.Fprintf(stderr, "cavra-runtime: %s: %v\n", inputName(input), errNoInput)
		failed = true
	}
	if failed {
		return errReported
	}
	return nil
}

func inputName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}

// verifyEvidence prints the verification report of a log.
func verifyEvidence(name string, c *config, stdout io.Writer) error {
	if name == "" {
		return usageErr("--verify-evidence needs --evidence-log")
	}
	opt := evidence.VerifyOptions{KeyID: c.evKeyID}
	if c.evKey != "" {
		opt.Key = []byte(c.evKey)
	}
	rep, err := evidence.VerifyFile(name, opt)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Fprintf(stdout, "%s\n", b)
	if !rep.Valid {
		return errReported
	}
	return nil
}

func runLifecycle(action string, l daemon.Lifecycle, stdout io.Writer) error {
	var (
		st  daemon.Status
		err error
	)
	switch action {
	case "start":
		st, err = l.Start()
	case "stop":
		st, err = l.Stop()
	case "status":
		st, err = l.Status()
	default:
		return usageErr("unknown lifecycle action %q; expected start, stop, or status", action)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", st.JSON())
	return nil
}

// runClient sends the input to a running daemon, signing it as a runner
// if asked, and prints the DecisionResponse indented, as CAVRA does.
func runClient(c *config, socket, input string, stdin io.Reader, stdout, stderr io.Writer) error {
	r, closeIn, err := openInput(input, stdin)
	if err != nil {
		return err
	}
	data, err := daemon.ReadValue(r, policy.MaxRequestSize)
	closeIn()
	if err != nil && (len(bytes.TrimSpace(data)) == 0 || !errors.Is(err, io.EOF)) {
		return fmt.Errorf("read %s: %w", inputName(input), err)
	}
	req, err := policy.Decode(data)
	if err != nil {
		return fmt.Errorf("%s: %w", inputName(input), err)
	}
	if auth, err := c.clientAuth(stderr); err != nil {
		return err
	} else if auth != nil {
		req.RunnerAuth = auth
		if data, err = policy.WithRunnerAuth(data, auth); err != nil {
			return err
		}
	}
	resp, err := daemon.Exchange(socket, data, daemon.ClientTimeout)
	if err != nil {
		return fmt.Errorf("daemon %s: %w", socket, err)
	}
	if c.evidence != "" {
		l, err := evidence.Open(c.evidence, c.evidenceOptions())
		if err != nil {
			return err
		}
		resp, err = evidence.RecordResponse(l, &req, resp, time.Now())
		if cerr := l.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	var out policy.Response
	if err := json.Unmarshal(resp, &out); err != nil {
		return fmt.Errorf("daemon %s: response is not a DecisionResponse: %w", socket, err)
	}
	pretty, _ := json.MarshalIndent(&out, "", "  ")
	fmt.Fprintf(stdout, "%s\n", pretty)
	return nil
}

// clientAuth builds the runner_auth the client sends for the identity in
// --runner-auth-claims: an OIDC token if one is given, else an HMAC
// signature. Without claims it sends none, as CAVRA does: a token alone
// (from the environment, say) is left out, and stderr says so.
func (c *config) clientAuth(stderr io.Writer) (*policy.RunnerAuth, error) {
	token := c.oidcToken
	if token == "" && c.oidcTokenF != "" {
		b, err := os.ReadFile(c.oidcTokenF)
		if err != nil {
			return nil, fmt.Errorf("runner OIDC token: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	if c.claims == "" {
		if token != "" {
			fmt.Fprintln(stderr, "cavra-runtime: the runner OIDC token is not sent: it goes with an identity, --runner-auth-claims")
		}
		return nil, nil
	}
	data, err := os.ReadFile(c.claims)
	if err != nil {
		return nil, fmt.Errorf("runner claims: %w", err)
	}
	id, err := policy.DecodeIdentity(data)
	if err != nil {
		return nil, fmt.Errorf("runner claims: %s: %w", c.claims, err)
	}
	if id.Provider == "" || id.Repository == "" {
		return nil, fmt.Errorf("runner claims: %s: identity requires provider and repository", c.claims)
	}
	if token != "" {
		kid, err := runnerauth.TokenKeyID(token)
		if err != nil {
			return nil, fmt.Errorf("runner OIDC token: %w", err)
		}
		return &policy.RunnerAuth{Identity: id, Algorithm: runnerauth.OIDC, KeyID: kid, Signature: token}, nil
	}
	if c.runnerKey == "" {
		return nil, usageErr("--runner-auth-claims needs --runner-auth-key (or an OIDC token)")
	}
	return &policy.RunnerAuth{Identity: id, Algorithm: runnerauth.HMAC, KeyID: c.runnerKID,
		Signature: runnerauth.Sign(&id, []byte(c.runnerKey))}, nil
}
