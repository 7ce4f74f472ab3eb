package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cavra/cavra/runtime/evidence"
	"github.com/cavra/cavra/runtime/policy"
)

// binary is the command built once by TestMain for the smoke tests.
var binary string

const testVersion = "v9.9.9-test"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cavra-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "cavra-runtime")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version="+testVersion, "-o", binary, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runCmd runs the command line in-process.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// decisions reads the decisions in out: JSON values, one a line or
// indented.
func decisions(t *testing.T, out string) []policy.Response {
	t.Helper()
	var ds []policy.Response
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	for dec.More() {
		var d policy.Response
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("output %q: %v", out, err)
		}
		ds = append(ds, d)
	}
	return ds
}

func TestEvaluate(t *testing.T) {
	const acme = "../../runtime/policy/testdata/acme-policy.json"
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		rules []string // rule ids, in order
		err   string   // in stderr
	}{
		// CAVRA's command line: JSON values, each answered.
		{"single", nil, `{"action_type":"read_file","target":".env"}`, 0, []string{"filesystem.read.block"}, ""},
		{"pretty single", nil, "{\n  \"action_type\": \"write_file\",\n  \"target\": \"iam/role.json\"\n}\n", 0, []string{"filesystem.write.require_approval"}, ""},
		{"values", nil, `{"action_type":"read_file","target":"deploy/key.pem"} {"action_type":"execute_command","target":"terraform apply"}`, 0,
			[]string{"filesystem.read.block", "commands.block"}, ""},
		{"bad value stops", nil, `{"action_type":"read_file","target":"a.go"} {"action_type":"read_file","target":7} {"action_type":"read_file","target":"b"}`, 1,
			[]string{"filesystem.read.allow", "input.invalid"}, `request 2: invalid request: member "target": is a JSON number`},
		{"malformed", nil, `{"action_type":"read_file",`, 1, []string{"input.invalid"}, "invalid request"},
		{"not an object", nil, `["read_file"]`, 1, []string{"input.invalid"}, "JSON array"},
		{"null field", nil, `{"action_type":"read_file","target":null}`, 1, []string{"input.invalid"}, "JSON null"},
		{"empty", nil, "", 1, nil, "no request"},
		{"input file", []string{"--input", "../../testdata/cases/requests/terraform-apply.json"}, "", 0, []string{"commands.block"}, ""},
		{"missing input file", []string{"--input", "no-such.json"}, "", 1, nil, "no such file"},
		// JSON Lines.
		{"explicit evaluate", []string{"evaluate"}, `{"action_type":"execute_command","target":"terraform plan"}`, 0, []string{"commands.allow"}, ""},
		{"jsonl", []string{"evaluate"}, `{"action_type":"read_file","target":"deploy/key.pem"}` + "\n\n" +
			`{"action_type":"execute_command","target":"terraform apply"}` + "\r\n" +
			`{"action_type":"git_operation","operation":"push","target":"origin/main"}` + "\n", 0,
			[]string{"filesystem.read.block", "commands.block", "git.protected_branch.block_direct_push"}, ""},
		{"bad line continues", []string{"evaluate"}, `{"action_type":"read_file","target":"a.go"}` + "\n" +
			`{"action_type":"read_file","target":7}` + "\n" +
			`{"action_type":"execute_command","target":"terraform plan"}` + "\n", 1,
			[]string{"filesystem.read.allow", "input.invalid", "commands.allow"}, `line 2: invalid request: member "target": is a JSON number`},
		{"malformed first line", []string{"evaluate"}, "{\"action_type\":\n" + `{"action_type":"read_file","target":"a.go"}` + "\n", 1,
			[]string{"input.invalid", "filesystem.read.allow"}, "line 1: invalid request"},
		{"oversize", []string{"evaluate"}, `{"action_type":"read_file","target":"` + strings.Repeat("a", policy.MaxRequestSize) + `"}` + "\n" +
			`{"action_type":"read_file","target":"a.go"}` + "\n", 1, []string{"input.too_large", "filesystem.read.allow"}, "larger than 1 MiB"},
		{"oversize value", nil, `{"action_type":"read_file","target":"` + strings.Repeat("a", policy.MaxRequestSize) + `"}`, 1,
			[]string{"input.too_large"}, "larger than 1 MiB"},
		{"evaluate empty", []string{"evaluate"}, "", 1, nil, "no request"},
		// Packs, policies and registries.
		{"request names unknown pack", nil, `{"action_type":"read_file","target":"a.go","policy_pack":"nope"}`, 0, []string{"policy.unknown_pack"}, ""},
		{"request names a native pack", nil, `{"action_type":"execute_command","target":"rm -rf /","policy_pack":"hardened-agent-baseline"}`, 0, []string{"command.rm_recursive_force"}, ""},
		{"pack flag", []string{"--pack", policy.Banking}, `{"action_type":"write_file","target":"go.mod"}`, 0, []string{"write.dependencies"}, ""},
		{"pin", []string{"--pack", policy.Banking, "--pin-pack"}, `{"action_type":"write_file","target":"go.mod","policy_pack":"cavra-ai-agent-baseline"}`, 0, []string{"policy.pack_mismatch"}, ""},
		{"native policy file", []string{"--policy", acme}, `{"action_type":"execute_command","target":"make build"}`, 0, []string{"command.acme.make"}, ""},
		{"compiled policy file", []string{"--policy", "../../testdata/cavra/compiled_policy.json"},
			`{"action_type":"execute_command","target":"custom scan x","policy_pack":"cavra-ai-agent-baseline"}`, 0, []string{"commands.allow"}, ""},
		{"registry", []string{"evaluate", "--registry", "../../testdata/cavra/mcp_registry.json"},
			`{"action_type":"mcp_tool_call","server":"github-mcp","tool":"create_pull_request"}` + "\n" +
				`{"action_type":"mcp_tool_call","server":"other","tool":"x"}`, 0, []string{"mcp.registry.allow", "mcp.registry.unknown"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCmd(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit code: got %d, want %d (stderr %q)", code, tt.code, errs)
			}
			ds := decisions(t, out)
			var rules []string
			for _, d := range ds {
				rules = append(rules, d.RuleID)
				if d.RuleID == "input.invalid" || d.RuleID == "input.too_large" {
					if d.Decision != "block" {
						t.Errorf("%s: got %v, want block", d.RuleID, d.Decision)
					}
				}
			}
			if strings.Join(rules, " ") != strings.Join(tt.rules, " ") {
				t.Errorf("rules: got %v, want %v", rules, tt.rules)
			}
			if !strings.Contains(errs, tt.err) || tt.err == "" && errs != "" {
				t.Errorf("stderr: got %q, want %q", errs, tt.err)
			}
		})
	}
}

// TestOneShotOutput checks that a one-shot run prints CAVRA's runtime
// decision as CAVRA prints it: indented by two spaces, with decision,
// reason, action_type, target, requested_operation, policy_pack,
// policy_id, rule_id and severity always present.
func TestOneShotOutput(t *testing.T) {
	for _, args := range [][]string{nil, {"evaluate"}} {
		_, out, _ := runCmd(t, `{"session_id":"s1","agent_id":"a1","actor":"dev","action_type":"x","unknown":[1]}`, args...)
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]any{
			"decision": "require_approval", "rule_id": "runtime.default.require_approval", "severity": "medium",
			"approver_group": "Repository Owners", "policy_pack": policy.DefaultPack, "policy_id": policy.DefaultPack,
			"session_id": "s1", "agent_id": "a1", "actor": "dev", "action_type": "x", "target": "", "requested_operation": "",
		} {
			if m[k] != want {
				t.Errorf("%v %s: got %v, want %v", args, k, m[k], want)
			}
		}
		for _, k := range []string{"reason", "decision_id", "timestamp", "evidence_refs", "correlation_id"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%v: output has no %q", args, k)
			}
		}
		ts, _ := m["timestamp"].(string)
		if tm, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") || time.Since(tm) > time.Minute {
			t.Errorf("timestamp %q: want recent RFC 3339 UTC", ts)
		}
		indented := strings.HasPrefix(out, "{\n  \"decision_id\": \"dec_")
		if indented != (args == nil) {
			t.Errorf("%v: got %q, want indented only without a command", args, out[:min(len(out), 30)])
		}
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	badJSON := filepath.Join(dir, "bad.json")
	os.WriteFile(badJSON, []byte(`{"schema":`), 0o600)
	badGlob := filepath.Join(dir, "glob.json")
	data, _ := os.ReadFile("../../runtime/policy/testdata/acme-policy.json")
	os.WriteFile(badGlob, bytes.Replace(data, []byte(`"**/.env"`), []byte(`"**x/.env"`), 1), 0o600)
	req := `{"action_type":"read_file","target":"a.go"}`
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--pack", "nope"}, 1, `unknown pack "nope"`},
		{[]string{"--policy", filepath.Join(dir, "missing.json")}, 1, "no such file"},
		{[]string{"--policy", badJSON}, 1, "bad.json: schema: unexpected EOF"},
		{[]string{"--policy", "../../testdata/cavra/mcp_registry.json"}, 1, "not a CAVRA compiled policy"},
		{[]string{"--registry", "../../testdata/cavra/compiled_policy.json"}, 1, `no "mcp_servers"`},
		{[]string{"--evidence-signing-key", "k"}, 2, "--evidence-signing-key needs --evidence-log"},
		{[]string{"--serve", "--runner-oidc-issuer", "i"}, 2, "needs --runner-oidc-audience, --runner-oidc-jwks"},
		{[]string{"--lifecycle", "restart"}, 2, `unknown lifecycle action "restart"`},
		{[]string{"--verify-evidence"}, 2, "--verify-evidence needs --evidence-log"},
		{[]string{"--daemon", "--socket", "/nonexistent/x.sock"}, 1, "daemon /nonexistent/x.sock"},
		{[]string{"--daemon", "--runner-auth-claims", "../../testdata/cavra/mcp_registry.json"}, 1, "identity requires provider and repository"},
		{[]string{"--policy", badGlob}, 1, `glob.json: reads.blocked[0] "read.secrets.dotenv": bad glob "**x/.env"`},
		{[]string{"--registry", badJSON}, 1, "registry: " + badJSON},
		{[]string{"--registry", filepath.Join(dir, "missing.json")}, 1, "no such file"},
		{[]string{"--evidence-log", dir}, 1, "evidence"},
		{[]string{"--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"evaluate", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--input", "-", "extra"}, 2, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		code, out, errs := runCmd(t, req, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.err) {
			t.Errorf("%v: got exit %d stderr %q, want exit %d and %q", tt.args, code, errs, tt.code, tt.err)
		}
		if strings.Contains(out, `"allow"`) {
			t.Errorf("%v: got an allow on stdout: %s", tt.args, out)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"evaluate", "-h"}, {"serve", "--help"}, {"version", "-h"}} {
		code, out, _ := runCmd(t, "", args...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: got exit %d, usage %v; want 0 and usage", args, code, strings.Contains(out, "Usage:"))
		}
	}
	_, out, _ := runCmd(t, "", "help")
	for _, s := range []string{"evaluate", "serve", "evidence verify", "policy list", "policy show", "version", "help",
		"--pack", "--pin-pack", "--policy", "--registry", "--evidence-log", "--socket", "--listen", "--json",
		"--input", "--serve", "--daemon", "--lifecycle", "--pid", "--lifecycle-timeout", "--evidence-signing-key",
		"--evidence-signing-key-id", "--verify-evidence", "--runner-auth-key", "--runner-auth-key-id", "--runner-auth-claims",
		"--runner-auth-oidc-token", "--runner-auth-oidc-token-file", "--runner-oidc-issuer", "--runner-oidc-audience",
		"--runner-oidc-jwks", "--runner-oidc-jwks-url", "CAVRA_RUNNER_AUTH_HMAC_KEY", "CAVRA_DAEMON_EVIDENCE_HMAC_KEY"} {
		if !strings.Contains(out, s) {
			t.Errorf("usage does not mention %q", s)
		}
	}
	for _, args := range [][]string{{"frobnicate"}, {"evidence"}, {"evidence", "check", "x"}, {"policy"}, {"serve"},
		{"serve", "--socket", "a", "--listen", "127.0.0.1:0"}, {"version", "x"}, {"help", "me"}} {
		code, _, errs := runCmd(t, "", args...)
		if code != 2 || !strings.Contains(errs, "Usage:") {
			t.Errorf("%v: got exit %d stderr %.60q, want 2 and usage", args, code, errs)
		}
	}
}

func TestEvidenceCommand(t *testing.T) {
	log := filepath.Join(t.TempDir(), "sub", "ev.jsonl")
	in := `{"action_type":"read_file","target":".env"}` + "\n" + `{"action_type":"read_file","target":5}` + "\n" +
		`{"action_type":"execute_command","target":"terraform plan"}` + "\n"
	code, out, _ := runCmd(t, in, "evaluate", "--evidence-log", log, "--evidence-signing-key", "k")
	if code != 1 {
		t.Errorf("exit: got %d, want 1 (one invalid line)", code)
	}
	ds := decisions(t, out)
	if len(ds) != 3 {
		t.Fatalf("got %d decisions, want 3", len(ds))
	}
	for i, d := range ds {
		if len(d.EvidenceRefs) != 2 || !strings.HasPrefix(d.EvidenceRefs[1], "go-daemon-evidence://") {
			t.Errorf("decision %d: got evidence refs %v, want the record's", i, d.EvidenceRefs)
		}
	}
	report := func(args ...string) (int, evidence.Report, string) {
		code, out, errs := runCmd(t, "", args...)
		var r evidence.Report
		if out != "" {
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%v: %q: %v", args, out, err)
			}
		}
		return code, r, errs
	}
	for _, args := range [][]string{{"evidence", "verify", "--evidence-signing-key", "k", log}, {"--verify-evidence", "--evidence-log", log, "--evidence-signing-key", "k"}} {
		code, r, errs := report(args...)
		if code != 0 || !r.Valid || r.Records != 3 || r.SignedRecords != 3 || r.Path != log {
			t.Errorf("%v: got exit %d report %+v stderr %q", args, code, r, errs)
		}
	}
	// The key from the environment, as in CAVRA.
	t.Setenv("CAVRA_DAEMON_EVIDENCE_HMAC_KEY", "k")
	if code, r, _ := report("--verify-evidence", "--evidence-log", log); code != 0 || !r.Valid {
		t.Errorf("key from the environment: got %d %+v", code, r)
	}
	t.Setenv("CAVRA_DAEMON_EVIDENCE_HMAC_KEY", "")
	// A second run continues the chain.
	runCmd(t, `{"action_type":"read_file","target":"a.go"}`, "--evidence-log", log, "--evidence-signing-key", "k")
	if r, err := evidence.VerifyFile(log, evidence.VerifyOptions{Key: []byte("k")}); err != nil || !r.Valid || r.Records != 4 {
		t.Errorf("after second run: got %+v, %v", r, err)
	}
	data, _ := os.ReadFile(log)
	os.WriteFile(log, bytes.Replace(data, []byte(`"high"`), []byte(`"low"`), 1), 0o600)
	code, r, _ := report("evidence", "verify", "--evidence-signing-key", "k", log)
	if code != 1 || r.Valid || !strings.Contains(strings.Join(r.Errors, "|"), "record 1 hash mismatch") {
		t.Errorf("verify tampered: got exit %d report %+v", code, r)
	}
	code, _, errs := report("evidence", "verify", filepath.Join(t.TempDir(), "none"))
	if code != 1 || !strings.Contains(errs, "no such file") {
		t.Errorf("verify missing: got exit %d stderr %q", code, errs)
	}
}

func TestPolicyCommand(t *testing.T) {
	code, out, _ := runCmd(t, "", "policy", "list")
	if code != 0 || !strings.Contains(out, policy.DefaultPack+" (default) [CAVRA]") || !strings.Contains(out, policy.Banking+" [native, opt-in]") {
		t.Errorf("policy list: got %d %q", code, out)
	}
	for _, n := range policy.BuiltinNames() {
		if !strings.Contains(out, n) {
			t.Errorf("policy list: no %s", n)
		}
	}
	// A CAVRA pack prints as cavra policy compile prints it.
	code, out, _ = runCmd(t, "", "policy", "show", "cavra-agentic-delivery")
	want, _ := os.ReadFile("../../runtime/policy/packs/cavra-agentic-delivery.json")
	if code != 0 || out != string(want) {
		t.Errorf("policy show cavra-agentic-delivery: got %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "", "policy", "show", policy.Banking)
	if code != 0 {
		t.Fatalf("policy show: exit %d", code)
	}
	if _, err := policy.Parse([]byte(out), "show"); err != nil {
		t.Errorf("policy show output does not parse: %v", err)
	}
	if code, _, errs := runCmd(t, "", "policy", "show", "nope"); code != 1 || !strings.Contains(errs, "unknown pack") {
		t.Errorf("policy show nope: got %d %q", code, errs)
	}
	code, out, _ = runCmd(t, "", "policy", "list", "--policy", "../../runtime/policy/testdata/acme-policy.json")
	if code != 0 || !strings.Contains(out, "acme-agents (--policy") {
		t.Errorf("policy list with --policy: got %d %q", code, out)
	}
	fixture, _ := os.ReadFile("../../testdata/cavra/compiled_policy.json")
	code, out, _ = runCmd(t, "", "policy", "show", "--policy", "../../testdata/cavra/compiled_policy.json")
	if code != 0 || out != string(fixture) {
		t.Errorf("policy show --policy compiled: got %d\n%s", code, out)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "cavra-runtime devel\n") || !strings.Contains(out, "\tgo\tgo1.") {
		t.Errorf("version: got %d %q", code, out)
	}
	code, out, _ = runCmd(t, "", "version", "--json")
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.Version != "devel" || v.GoVersion == "" {
		t.Errorf("version --json: got %d %q %v", code, out, err)
	}
}

// TestBinaryVersion runs the real binary, built with -trimpath and a
// version set through -ldflags.
func TestBinaryVersion(t *testing.T) {
	out, err := exec.Command(binary, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v versionInfo
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if v.Version != testVersion || v.Path != "github.com/cavra/cavra/cmd/cavra-runtime" || v.Module != "github.com/cavra/cavra" ||
		v.GoVersion != runtime.Version() {
		t.Errorf("got %+v", v)
	}
	for k, want := range map[string]string{"GOOS": runtime.GOOS, "GOARCH": runtime.GOARCH, "-trimpath": "true", "-compiler": "gc", "-buildmode": "exe"} {
		if v.Settings[k] != want {
			t.Errorf("settings[%s]: got %q, want %q", k, v.Settings[k], want)
		}
	}
	if _, ok := v.Settings["CGO_ENABLED"]; !ok {
		t.Errorf("settings has no CGO_ENABLED")
	}
	text, err := exec.Command(binary, "version").Output()
	if err != nil || !strings.HasPrefix(string(text), "cavra-runtime "+testVersion+"\n") || !strings.Contains(string(text), "-trimpath=true") {
		t.Errorf("version: got %q, %v", text, err)
	}
}

// TestBinaryEvaluate pipes requests through the real binary.
func TestBinaryEvaluate(t *testing.T) {
	cmd := exec.Command(binary)
	cmd.Stdin = strings.NewReader(`{"action_type":"execute_command","target":"sh -c 'terraform apply'"}` + "\n" + `{"action_type":"read_file","target":"a.go"}` + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	ds := decisions(t, string(out))
	if len(ds) != 2 || ds[0].Decision != "block" || ds[1].Decision != "allow" {
		t.Errorf("got %+v", ds)
	}
	cmd = exec.Command(binary)
	cmd.Stdin = strings.NewReader(`{"action_type":`)
	out, err = cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || strings.Contains(string(out), `"allow"`) {
		t.Errorf("malformed input: got %v, %s", err, out)
	}
}

// TestBinaryServeSIGTERM starts the real binary as a server, uses it,
// sends SIGTERM and checks that it exits cleanly and removes its socket.
func TestBinaryServeSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM or Unix socket mode on Windows")
	}
	dir, err := os.MkdirTemp("", "cavra")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "s.sock")
	log := filepath.Join(dir, "ev.jsonl")
	cmd := exec.Command(binary, "serve", "--socket", sock, "--evidence-log", log)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var conn net.Conn
	for i := 0; ; i++ {
		if conn, err = net.Dial("unix", sock); err == nil {
			break
		}
		if i == 100 {
			t.Fatalf("server did not start: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket: got %v, %v; want mode 0600", fi.Mode().Perm(), err)
	}
	// A second server on the same socket must refuse to start.
	if out, err := exec.Command(binary, "serve", "--socket", sock).CombinedOutput(); err == nil || !strings.Contains(string(out), "in use") {
		t.Errorf("second server: got %v, %s; want an in-use refusal", err, out)
	}
	fmt.Fprintln(conn, `{"action_type":"execute_command","target":"terraform apply"}`)
	fmt.Fprintln(conn, `{"action_type":"execute_command","target":"terraform plan"}`)
	sc := bufio.NewScanner(conn)
	for _, want := range []policy.Verdict{policy.Block, policy.Allow} {
		if !sc.Scan() {
			t.Fatalf("no answer: %v", sc.Err())
		}
		var d policy.Response
		json.Unmarshal(sc.Bytes(), &d)
		if policy.Verdict(d.Decision) != want {
			t.Errorf("got %v, want %v", d.Decision, want)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("server exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not stop on SIGTERM\n%s", stderr.String())
	}
	conn.Close()
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket after SIGTERM: got %v, want removed", err)
	}
	if s, err := evidence.VerifyFile(log, evidence.VerifyOptions{}); err != nil || !s.Valid || s.Records != 2 {
		t.Errorf("evidence: got %+v, %v; want 2 records", s, err)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr: got %q, want a stopped message", stderr.String())
	}
}

// TestServeInProcess serves on loopback TCP through run and stops it by
// cancelling the context.
func TestServeInProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--listen", addr}, strings.NewReader(""), &bytes.Buffer{}, &errb)
	}()
	var conn net.Conn
	for i := 0; ; i++ {
		if conn, err = net.Dial("tcp", addr); err == nil {
			break
		}
		if i == 100 {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintln(conn, `{"action_type":"read_file","target":"home/.ssh/id_rsa"}`)
	sc := bufio.NewScanner(conn)
	if !sc.Scan() || !strings.Contains(sc.Text(), `"block"`) {
		t.Errorf("answer: got %q", sc.Text())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit: got %d, want 0 (%s)", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	conn.Close()
	if code, _, errs := runCmd(t, "", "serve", "--listen", "0.0.0.0:0"); code != 1 || !strings.Contains(errs, "loopback") {
		t.Errorf("non-loopback listen: got %d %q", code, errs)
	}
}
