package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/cavra/cavra/runtime/enforce"
	"github.com/cavra/cavra/runtime/evidence"
	"github.com/cavra/cavra/runtime/policy"
	"github.com/cavra/cavra/runtime/runnerauth"
)

// shortDir returns a directory whose path is short enough for a Unix
// socket (about 100 bytes at most).
func shortDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "cavra")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func newServer(t *testing.T, logName string) (*Server, *evidence.Log) {
	t.Helper()
	eng, err := policy.NewEngine(policy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &enforce.Enforcer{Engine: eng}
	if logName != "" {
		if e.Log, err = evidence.Open(logName, evidence.Options{Key: []byte("k")}); err != nil {
			t.Fatal(err)
		}
	}
	return &Server{Enforcer: e, ErrorLog: t.Logf}, e.Log
}

type served struct {
	cancel context.CancelFunc
	done   chan error
}

func serve(t *testing.T, s *Server, ln net.Listener) served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	return served{cancel, done}
}

func (sv served) stop(t *testing.T) {
	t.Helper()
	sv.cancel()
	select {
	case err := <-sv.done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

var cases = []struct {
	req  string
	want policy.Verdict
	rule string
}{
	{`{"action_type":"read_file","target":"deploy/key.pem"}`, policy.Block, "filesystem.read.block"},
	{`{"action_type":"execute_command","target":"terraform plan"}`, policy.Allow, "commands.allow"},
	{`{"action_type":"execute_command","target":"sudo terraform apply"}`, policy.Block, "commands.block"},
	{`{"action_type":"write_file","target":"iam/role.json"}`, policy.RequireApproval, "filesystem.write.require_approval"},
	{`{"action_type":"git_operation","operation":"push","target":"origin/main"}`, policy.Block, "git.protected_branch.block_direct_push"},
	{`{"action_type":"mcp_tool_call","server":"github","tool":"x","policy_pack":"hardened-mcp-enterprise"}`, policy.Block, "mcp.server_unknown"},
	{`{"action_type":"read_file","target":7}`, policy.Block, enforce.RuleInputInvalid},
}

func TestConcurrentClients(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "d.sock")
	logName := filepath.Join(dir, "evidence.jsonl")
	s, log := newServer(t, logName)
	ln, err := ListenUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode: got %v, want 0600", fi.Mode().Perm())
	}
	sv := serve(t, s, ln)

	const clients, rounds = 16, 5
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			conn, err := net.Dial("unix", sock)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			sc := bufio.NewScanner(conn)
			sc.Buffer(nil, 4<<20)
			for r := range rounds {
				// Send a round of requests at once, then read the answers.
				var b strings.Builder
				for _, tc := range cases {
					fmt.Fprintf(&b, "%s\n", strings.Replace(tc.req, "{", fmt.Sprintf(`{"session_id":"c%d-r%d",`, c, r), 1))
				}
				b.WriteString("\n") // a blank line gets no answer
				if _, err := conn.Write([]byte(b.String())); err != nil {
					t.Error(err)
					return
				}
				for i, tc := range cases {
					if !sc.Scan() {
						t.Errorf("client %d round %d: no answer %d: %v", c, r, i, sc.Err())
						return
					}
					var d policy.Response
					if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
						t.Errorf("client %d: bad answer %s: %v", c, sc.Bytes(), err)
						return
					}
					if policy.Verdict(d.Decision) != tc.want || d.RuleID != tc.rule || len(d.EvidenceRefs) != 2 {
						t.Errorf("client %d round %d %s: got %v %v %v, want %v %v and two evidence refs",
							c, r, tc.req, d.Decision, d.RuleID, d.EvidenceRefs, tc.want, tc.rule)
					}
					if tc.rule != enforce.RuleInputInvalid && d.SessionID != fmt.Sprintf("c%d-r%d", c, r) {
						t.Errorf("client %d round %d: got session %q", c, r, d.SessionID)
					}
				}
			}
		})
	}
	wg.Wait()
	sv.stop(t)
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket after shutdown: got %v, want it removed", err)
	}
	log.Close()
	sum, err := evidence.VerifyFile(logName, evidence.VerifyOptions{Key: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	if want := clients * rounds * len(cases); !sum.Valid || sum.Records != want {
		t.Errorf("evidence: got %+v, want %d valid records", sum, want)
	}
}

func TestOversizeLine(t *testing.T) {
	s, _ := newServer(t, "")
	ln, err := ListenLoopback("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sv := serve(t, s, ln)
	defer sv.stop(t)
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() {
		conn.Write([]byte(`{"action_type":"read_file","target":"` + strings.Repeat("a", policy.MaxRequestSize) + "\"}\n"))
		conn.Write([]byte(`{"action_type":"execute_command","target":"terraform plan"}` + "\n"))
	}()
	sc := bufio.NewScanner(conn)
	for i, want := range []string{enforce.RuleInputTooLarge, "commands.allow"} {
		if !sc.Scan() {
			t.Fatalf("answer %d: %v", i, sc.Err())
		}
		var d policy.Response
		json.Unmarshal(sc.Bytes(), &d)
		if d.RuleID != want {
			t.Errorf("answer %d: got %v %v, want %v", i, d.Decision, d.RuleID, want)
		}
	}
}

// TestShutdownFinishesLines checks that lines received before shutdown
// are answered.
func TestShutdownFinishesLines(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "d.sock")
	s, _ := newServer(t, "")
	ln, err := ListenUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	sv := serve(t, s, ln)
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	conn.Write([]byte(cases[0].req + "\n"))
	if !sc.Scan() {
		t.Fatal("no first answer")
	}
	conn.Write([]byte(cases[1].req + "\n" + cases[2].req + "\n"))
	time.Sleep(100 * time.Millisecond) // let the server read them
	start := time.Now()
	sv.stop(t)
	if d := time.Since(start); d > ShutdownGrace/2 {
		t.Errorf("shutdown took %v; idle connections should not hold it up", d)
	}
	n := 0
	for sc.Scan() {
		n++
	}
	if n != 2 {
		t.Errorf("answers after shutdown: got %d, want 2", n)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket after shutdown: got %v, want it removed", err)
	}
}

func TestListenUnixExisting(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "d.sock")
	ln, err := ListenUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ListenUnix(sock); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second ListenUnix on a live socket: got %v, want an in-use error", err)
	}
	// A stale socket: the file stays but nobody listens.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(sock); err != nil {
		t.Fatal(err)
	}
	ln, err = ListenUnix(sock)
	if err != nil {
		t.Fatalf("ListenUnix over a stale socket: %v", err)
	}
	ln.Close()
	plain := filepath.Join(dir, "file")
	os.WriteFile(plain, nil, 0o600)
	if _, err := ListenUnix(plain); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("ListenUnix on a regular file: got %v, want not-a-socket error", err)
	}
}

func TestListenLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "localhost:0", "[::]:0", "example.com:80", "nonsense"} {
		if ln, err := ListenLoopback(addr); err == nil {
			ln.Close()
			t.Errorf("ListenLoopback(%q): got nil error, want a refusal", addr)
		}
	}
	ln, err := ListenLoopback("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}

// TestSingleExchange checks CAVRA's exchange: one request, with or
// without a newline after it, one DecisionResponse line back, then the
// server closes the connection.
func TestSingleExchange(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "d.sock")
	s, log := newServer(t, filepath.Join(dir, "e.jsonl"))
	s.Single = true
	s.Enforcer.Auth = &runnerauth.Verifier{Key: []byte("rk")}
	ln, err := ListenUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	sv := serve(t, s, ln)
	id := policy.RunnerIdentity{Provider: "github-actions", Repository: "acme/app"}
	signed := fmt.Sprintf(`{"session_id":"s","action_type":"read_file","target":".env","runner_auth":{"identity":{"provider":"github-actions","repository":"acme/app"},"algorithm":"HMAC-SHA256","signature":%q}}`,
		runnerauth.Sign(&id, []byte("rk")))
	for _, tt := range []struct {
		send, rule string
		bare       bool
	}{
		{signed, "filesystem.read.block", false},
		{signed + "\n", "filesystem.read.block", false},
		{`{"action_type":"read_file","target":".env"}`, runnerauth.RuleInvalid, true},
		{`{"action_type":`, enforce.RuleInputInvalid, false},
		{`[1`, enforce.RuleInputInvalid, false},
	} {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte(tt.send))
		if !strings.HasSuffix(tt.send, "}") && !strings.HasSuffix(tt.send, "\n") {
			conn.(*net.UnixConn).CloseWrite()
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		all, err := io.ReadAll(conn) // the server closes after its answer
		conn.Close()
		if err != nil {
			t.Fatalf("%s: %v", tt.send, err)
		}
		var d policy.Response
		if err := json.Unmarshal(all, &d); err != nil || !strings.HasSuffix(string(all), "}\n") || strings.Count(string(all), "\n") != 1 {
			t.Fatalf("%s: answer %q: %v", tt.send, all, err)
		}
		if d.RuleID != tt.rule || (d.DecisionID == "") != tt.bare {
			t.Errorf("%s: got %+v, want rule %s (bare %v)", tt.send, d, tt.rule, tt.bare)
		}
	}
	// Exchange, the client side, works too.
	resp, err := Exchange(sock, []byte(signed), time.Second)
	if err != nil || !strings.Contains(string(resp), "filesystem.read.block") {
		t.Errorf("Exchange: got %s, %v", resp, err)
	}
	sv.stop(t)
	log.Close()
	rep, err := evidence.VerifyFile(filepath.Join(dir, "e.jsonl"), evidence.VerifyOptions{Key: []byte("k")})
	if err != nil || !rep.Valid || rep.Records != 6 {
		t.Errorf("evidence: got %+v, %v; want 6 valid records", rep, err)
	}
}

func TestValueReader(t *testing.T) {
	vr := &ValueReader{R: iotest.OneByteReader(strings.NewReader(` {"a":"}"} [1] "x" 12 ` + "\n")), Limit: 100}
	var got []string
	for {
		v, err := vr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.TrimSpace(string(v)))
	}
	if strings.Join(got, "|") != `{"a":"}"}|[1]|"x"|12` {
		t.Errorf("got %q", got)
	}
	if _, err := ReadValue(strings.NewReader(`{"a":"`+strings.Repeat("x", 200)+`"}`), 100); err != policy.ErrTooLarge {
		t.Errorf("oversize: got %v", err)
	}
	if v, err := ReadValue(strings.NewReader(`{"a":`), 100); err != nil || string(v) != `{"a":` {
		t.Errorf("cut value: got %q, %v; want the bytes, for the decoder to refuse", v, err)
	}
}
