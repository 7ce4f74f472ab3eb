package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/runtime/daemon"
	"github.com/cavra/cavra/runtime/evidence"
	"github.com/cavra/cavra/runtime/policy"
)

// cavra runs the binary in dir with CAVRA's command line.
func cavra(t *testing.T, dir, stdin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%v: did not finish (a daemon holding its output?)", args)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

func status(t *testing.T, out string) daemon.Status {
	t.Helper()
	var st daemon.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status %q: %v", out, err)
	}
	return st
}

// TestBinaryLifecycle drives a background daemon as a CAVRA control
// plane does: --lifecycle start with evidence signing and a runner key,
// --daemon requests signed from a claims file, --lifecycle status and
// stop, then --verify-evidence.
func TestBinaryLifecycle(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix sockets and signals")
	}
	dir, err := os.MkdirTemp("", "cavra-lc")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "claims.json"), []byte(`{"provider":"github-actions","repository":"acme/app","run_id":"7","sha":"abc"}`), 0o600)
	keys := []string{"CAVRA_RUNNER_AUTH_HMAC_KEY=runner-secret", "CAVRA_RUNNER_AUTH_KEY_ID=r1"}
	start := []string{"--lifecycle", "start", "--lifecycle-timeout", "20s", "--evidence-log", "ev/evidence.jsonl",
		"--evidence-signing-key", "ev-secret", "--evidence-signing-key-id", "e1", "--registry", filepath.Join(wd(t), "../../testdata/cavra/mcp_registry.json")}
	code, out, errs := cavra(t, dir, "", keys, start...)
	if code != 0 {
		t.Fatalf("start: exit %d: %s %s", code, out, errs)
	}
	st := status(t, out)
	if !st.Running || !st.ProcessRunning || !st.SocketResponsive || st.SocketPath != ".cavra/cavra-runtime.sock" ||
		st.PIDPath != ".cavra/cavra-runtime.sock.pid" || st.Message != "daemon is running" {
		t.Errorf("start: got %+v", st)
	}
	defer cavra(t, dir, "", nil, "--lifecycle", "stop")
	// The keys reach the daemon through its environment, not its command line.
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", st.PID)); err == nil && bytes.Contains(cmdline, []byte("secret")) {
		t.Errorf("daemon command line holds a key: %q", cmdline)
	}
	if code, _, errs := cavra(t, dir, "", keys, start...); code != 1 || !strings.Contains(errs, "already running") {
		t.Errorf("second start: got %d %q, want a refusal", code, errs)
	}
	ask := func(req string, args ...string) policy.Response {
		t.Helper()
		code, out, errs := cavra(t, dir, req, nil, append([]string{"--daemon"}, args...)...)
		if code != 0 {
			t.Fatalf("--daemon %v: exit %d: %s", args, code, errs)
		}
		var d policy.Response
		if err := json.Unmarshal([]byte(out), &d); err != nil || !strings.HasPrefix(out, "{\n  \"") {
			t.Fatalf("--daemon: output %q: %v", out, err)
		}
		return d
	}
	signed := []string{"--runner-auth-key", "runner-secret", "--runner-auth-key-id", "r1", "--runner-auth-claims", "claims.json"}
	d := ask(`{"session_id":"s1","action_type":"mcp_tool_call","server":"github-mcp","tool":"create_pull_request"}`, signed...)
	if d.RuleID != "mcp.registry.allow" || d.Target != "github-mcp:create_pull_request" || len(d.EvidenceRefs) != 2 ||
		d.EvidenceRefs[0] != "evidence://s1/"+d.DecisionID || !strings.HasPrefix(d.EvidenceRefs[1], "go-daemon-evidence://") {
		t.Errorf("signed request: got %+v", d)
	}
	if d = ask(`{"action_type":"read_file","target":".env"}`); d.RuleID != "runner_auth.invalid" || d.DecisionID != "" ||
		d.Reason != "runner authentication failed: runner_auth is required" {
		t.Errorf("unsigned request: got %+v", d)
	}
	if d = ask(`{"action_type":"read_file","target":".env"}`, "--runner-auth-key", "wrong", "--runner-auth-key-id", "r1", "--runner-auth-claims", "claims.json"); d.RuleID != "runner_auth.invalid" ||
		d.Severity != "critical" || !strings.Contains(d.Reason, "signature is invalid") {
		t.Errorf("wrong key: got %+v", d)
	}
	if d = ask(`{"action_type":"read_file","target":".env"}`, "--runner-auth-key", "runner-secret", "--runner-auth-key-id", "r2", "--runner-auth-claims", "claims.json"); !strings.Contains(d.Reason, "key_id mismatch") {
		t.Errorf("wrong key id: got %+v", d)
	}
	// The client keeps evidence of its own, with the daemon's answer.
	d = ask(`{"session_id":"s2","action_type":"read_file","target":"a.go"}`, append(signed, "--evidence-log", "client.jsonl", "--evidence-signing-key", "c")...)
	if len(d.EvidenceRefs) != 3 || !strings.HasPrefix(d.EvidenceRefs[2], "go-daemon-evidence://") || d.EvidenceRefs[1] == d.EvidenceRefs[2] {
		t.Errorf("client evidence: got refs %q, want the daemon's record and the client's", d.EvidenceRefs)
	}
	if rep, err := evidence.VerifyFile(filepath.Join(dir, "client.jsonl"), evidence.VerifyOptions{Key: []byte("c")}); err != nil || !rep.Valid || rep.Records != 1 {
		t.Errorf("client evidence: %+v %v", rep, err)
	}
	code, out, _ = cavra(t, dir, "", nil, "--lifecycle", "status")
	if st := status(t, out); code != 0 || !st.Running {
		t.Errorf("status: got %d %+v", code, st)
	}
	code, out, _ = cavra(t, dir, "", nil, "--lifecycle", "stop")
	if st := status(t, out); code != 0 || st.Running || st.ProcessRunning || st.Message != "daemon stopped" {
		t.Errorf("stop: got %d %+v", code, st)
	}
	code, out, _ = cavra(t, dir, "", nil, "--lifecycle", "status")
	if st := status(t, out); code != 0 || st.Running || st.Message != "daemon is not running" {
		t.Errorf("status after stop: got %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, ".cavra", "cavra-runtime.sock")); !os.IsNotExist(err) {
		t.Errorf("socket after stop: %v", err)
	}
	code, out, _ = cavra(t, dir, "", nil, "--lifecycle", "stop")
	if st := status(t, out); code != 0 || st.Message != "daemon pid file not found" {
		t.Errorf("second stop: got %+v", st)
	}
	// Every decision, the probes included, is on the signed chain.
	code, out, errs = cavra(t, dir, "", nil, "--verify-evidence", "--evidence-log", "ev/evidence.jsonl", "--evidence-signing-key", "ev-secret", "--evidence-signing-key-id", "e1")
	var rep evidence.Report
	json.Unmarshal([]byte(out), &rep)
	if code != 0 || !rep.Valid || rep.Records < 6 || rep.SignedRecords != rep.Records {
		t.Errorf("verify: got %d %+v %s", code, rep, errs)
	}
	code, out, _ = cavra(t, dir, "", nil, "--verify-evidence", "--evidence-log", "ev/evidence.jsonl")
	if json.Unmarshal([]byte(out), &rep); code != 1 || rep.Valid {
		t.Errorf("verify without the key: got %d %+v, want invalid", code, rep)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "ev", "evidence.jsonl"))
	if !bytes.Contains(data, []byte(`"request":{"session_id":"s1","action_type":"mcp_tool_call","runner_auth":{"identity":{"provider":"github-actions","repository":"acme/app","run_id":"7","sha":"abc"},"algorithm":"HMAC-SHA256","key_id":"r1","signature":"`)) {
		t.Errorf("evidence does not hold the signed request as v1:\n%s", data)
	}
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

func wd(t *testing.T) string {
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestBinaryOIDC runs --serve with OIDC runner verification against a
// JWKS file and sends tokens with --daemon.
func TestBinaryOIDC(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix sockets")
	}
	dir, err := os.MkdirTemp("", "cavra-oidc")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := key.PublicKey.Bytes()
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": "k1", "x": b64(pub[1:33]), "y": b64(pub[33:])}}})
	os.WriteFile(filepath.Join(dir, "jwks.json"), jwks, 0o600)
	const iss = "https://token.actions.githubusercontent.com"
	token := func(claims map[string]any) string {
		h, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": "k1"})
		c, _ := json.Marshal(claims)
		signed := b64(h) + "." + b64(c)
		sum := sha256.Sum256([]byte(signed))
		r, s, _ := ecdsa.Sign(rand.Reader, key, sum[:])
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return signed + "." + b64(sig)
	}
	good := token(map[string]any{"iss": iss, "aud": "cavra", "exp": time.Now().Add(time.Hour).Unix(), "repository": "acme/app", "run_id": "7"})
	os.WriteFile(filepath.Join(dir, "token"), []byte(good+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "claims.json"), []byte(`{"provider":"github-actions","repository":"acme/app","run_id":"7"}`), 0o600)
	os.WriteFile(filepath.Join(dir, "other.json"), []byte(`{"provider":"github-actions","repository":"acme/app","run_id":"8"}`), 0o600)
	sock := filepath.Join(dir, "d.sock")
	stop := startDaemon(t, []string{"--serve", "--socket", sock, "--runner-oidc-issuer", iss, "--runner-oidc-audience", "cavra",
		"--runner-oidc-jwks", filepath.Join(dir, "jwks.json"), "--evidence-log", filepath.Join(dir, "ev.jsonl")}, sock)
	defer stop()
	ask := func(env []string, args ...string) policy.Response {
		t.Helper()
		code, out, errs := cavra(t, dir, `{"action_type":"execute_command","target":"terraform plan"}`, env, append([]string{"--daemon", "--socket", sock}, args...)...)
		var d policy.Response
		if code != 0 || json.Unmarshal([]byte(out), &d) != nil {
			t.Fatalf("--daemon %v: %d %q %s", args, code, out, errs)
		}
		return d
	}
	if d := ask(nil, "--runner-auth-claims", "claims.json", "--runner-auth-oidc-token-file", "token"); d.RuleID != "commands.allow" {
		t.Errorf("good token: got %+v", d)
	}
	if d := ask([]string{"CAVRA_RUNNER_AUTH_OIDC_TOKEN=" + good}, "--runner-auth-claims", "claims.json"); d.RuleID != "commands.allow" {
		t.Errorf("token from the environment: got %+v", d)
	}
	if d := ask(nil, "--runner-auth-claims", "other.json", "--runner-auth-oidc-token-file", "token"); d.RuleID != "runner_auth.invalid" || !strings.Contains(d.Reason, "claim run_id mismatch") {
		t.Errorf("identity not the token's: got %+v", d)
	}
	// A token without the identity it goes with is not sent, as in
	// CAVRA; the daemon then refuses the request, and stderr says why.
	code, out, errs := cavra(t, dir, `{"action_type":"execute_command","target":"terraform plan"}`,
		[]string{"CAVRA_RUNNER_AUTH_OIDC_TOKEN=" + good}, "--daemon", "--socket", sock)
	var d policy.Response
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d.RuleID != "runner_auth.invalid" ||
		!strings.Contains(d.Reason, "runner_auth is required") || !strings.Contains(errs, "token is not sent") {
		t.Errorf("token without claims: got %d %s %s", code, out, errs)
	}
	expired := token(map[string]any{"iss": iss, "aud": "cavra", "exp": time.Now().Add(-time.Minute).Unix(), "repository": "acme/app"})
	if d := ask(nil, "--runner-auth-claims", "claims.json", "--runner-auth-oidc-token", expired); !strings.Contains(d.Reason, "expired") {
		t.Errorf("expired token: got %+v", d)
	}
	stop()
	data, _ := os.ReadFile(filepath.Join(dir, "ev.jsonl"))
	if bytes.Contains(data, []byte(good)) || !bytes.Contains(data, []byte(`"signature":"\u003credacted-oidc-jwt\u003e"`)) {
		t.Errorf("evidence must hold the token redacted:\n%s", data)
	}
	if rep, err := evidence.VerifyFile(filepath.Join(dir, "ev.jsonl"), evidence.VerifyOptions{}); err != nil || !rep.Valid || rep.Records != 5 {
		t.Errorf("evidence: %+v %v", rep, err)
	}
	// The JWKS from a URL, fetched once at start.
	fetched := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched++
		w.Write(jwks)
	}))
	defer srv.Close()
	sock2 := filepath.Join(dir, "u.sock")
	env := []string{"CAVRA_RUNNER_OIDC_ISSUER=" + iss, "CAVRA_RUNNER_OIDC_AUDIENCE=cavra", "CAVRA_RUNNER_OIDC_JWKS_URL=" + srv.URL}
	cmd := exec.Command(binary, "--serve", "--socket", sock2)
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	for i := 0; i < 200 && !fileExists(sock2); i++ {
		time.Sleep(25 * time.Millisecond)
	}
	for range 2 {
		code, out, errs := cavra(t, dir, `{"action_type":"read_file","target":"a"}`, nil, "--daemon", "--socket", sock2, "--runner-auth-claims", "claims.json", "--runner-auth-oidc-token", good)
		if code != 0 || !strings.Contains(out, `"rule_id": "filesystem.read.allow"`) {
			t.Errorf("JWKS URL: got %d %s %s", code, out, errs)
		}
	}
	if fetched != 1 {
		t.Errorf("JWKS fetched %d times, want once", fetched)
	}
}
