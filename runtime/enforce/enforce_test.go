package enforce

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/runtime/evidence"
	"github.com/cavra/cavra/runtime/policy"
	"github.com/cavra/cavra/runtime/runnerauth"
)

func newEnforcer(t testing.TB) *Enforcer {
	t.Helper()
	eng, err := policy.NewEngine(policy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &Enforcer{Engine: eng, Now: func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.FixedZone("x", 3600)) }}
}

var (
	decisionID    = regexp.MustCompile(`^dec_[0-9a-f]{12}$`)
	correlationID = regexp.MustCompile(`^corr_[0-9a-f]{12}$`)
)

func TestDecide(t *testing.T) {
	e := newEnforcer(t)
	var err error
	e.Log, err = evidence.Open(filepath.Join(t.TempDir(), "e.jsonl"), evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Log.Close()
	d, err := e.DecideJSON([]byte(`{"session_id":"s1","agent_id":"a1","actor":"dev@example.com","action_type":"read_file","target":".env"}`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Verdict != policy.Block || d.RuleID != "filesystem.read.block" || d.SessionID != "s1" || d.AgentID != "a1" ||
		d.Actor != "dev@example.com" || d.Target != ".env" || d.Pack != policy.DefaultPack || d.Operation != "read" {
		t.Errorf("got %+v", d)
	}
	if !decisionID.MatchString(d.DecisionID()) || !correlationID.MatchString(d.CorrelationID()) {
		t.Errorf("ids: got %q %q, want dec_ and corr_ with 12 hex digits", d.DecisionID(), d.CorrelationID())
	}
	if got, want := d.Timestamp(), "2025-06-01T11:00:00Z"; got != want {
		t.Errorf("timestamp: got %v, want %v (UTC)", got, want)
	}
	refs := d.EvidenceRefs()
	if len(refs) != 2 || refs[0] != "evidence://s1/"+d.DecisionID() || !strings.HasPrefix(refs[1], "go-daemon-evidence://") {
		t.Errorf("evidence refs: got %v, want the session reference and the record", refs)
	}
	d2, _ := e.Decide(&policy.Request{ActionType: policy.ReadFile, Target: "a.go"})
	if d2.DecisionID() == d.DecisionID() || d2.CorrelationID() == d.CorrelationID() {
		t.Errorf("two decisions got the same ids %s %s", d.DecisionID(), d.CorrelationID())
	}
	if refs := d2.EvidenceRefs(); refs[0] != "evidence://local/"+d2.DecisionID() {
		t.Errorf("default session: got %v", refs)
	}
	if seq, _ := e.Log.Head(); seq != 2 {
		t.Errorf("log head: got %d records, want 2", seq)
	}
}

func TestRejectNeverAllows(t *testing.T) {
	e := newEnforcer(t)
	for _, in := range []string{`{"action_type":"read_file","target":5}`, `{`, `[]`, ``, `{"action_type":"read_file","target":"a.go"} x`} {
		d, err := e.DecideJSON([]byte(in))
		if err == nil || d.Verdict != policy.Block || d.RuleID != RuleInputInvalid || d.Pack != policy.DefaultPack {
			t.Errorf("DecideJSON(%q): got %v %v %v, %v; want block %s and an error", in, d.Verdict, d.RuleID, d.Pack, err, RuleInputInvalid)
		}
	}
	d, err := e.Reject(policy.ErrTooLarge)
	if err == nil || d.Verdict != policy.Block || d.RuleID != RuleInputTooLarge {
		t.Errorf("Reject(ErrTooLarge): got %v %v, %v", d.Verdict, d.RuleID, err)
	}
}

func TestEvidenceFailureBlocks(t *testing.T) {
	e := newEnforcer(t)
	l, err := evidence.Open(filepath.Join(t.TempDir(), "e.jsonl"), evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close() // appends now fail
	e.Log = l
	d, err := e.Decide(&policy.Request{ActionType: policy.ReadFile, Target: "a.go"})
	if err == nil || d.Verdict != policy.Block || d.RuleID != RuleEvidenceUnavailable || d.HasRecord {
		t.Errorf("got %v %v %v, %v; want block %s and an error", d.Verdict, d.RuleID, d.HasRecord, err, RuleEvidenceUnavailable)
	}
}

// TestRunnerAuth checks the refusal CAVRA's daemon gives a runner that
// does not prove who it is: block, runner_auth.invalid, critical, who
// asked as sent, and no ids.
func TestRunnerAuth(t *testing.T) {
	e := newEnforcer(t)
	e.Auth = &runnerauth.Verifier{Key: []byte("k"), KeyID: "kid"}
	id := policy.RunnerIdentity{Provider: "github-actions", Repository: "acme/app"}
	good := &policy.RunnerAuth{Identity: id, Algorithm: runnerauth.HMAC, KeyID: "kid", Signature: runnerauth.Sign(&id, []byte("k"))}
	req := policy.Request{ActionType: policy.ReadFile, Target: "a.go", PolicyPack: "p", RequestedOperation: "read", RunnerAuth: good}
	if d, err := e.Decide(&req); err != nil || d.RuleID == runnerauth.RuleInvalid {
		t.Errorf("signed request: got %v %v, %v", d.Verdict, d.RuleID, err)
	}
	req.RunnerAuth = nil
	d, err := e.Decide(&req)
	if err == nil || d.Verdict != policy.Block || d.RuleID != runnerauth.RuleInvalid || d.Severity != policy.Critical || !d.Bare ||
		d.SessionID != "" || d.Pack != "p" || d.Operation != "read" || d.Reason != "runner authentication failed: runner_auth is required" {
		t.Errorf("unsigned request: got %+v, %v", d, err)
	}
	if got := string(d.AppendV1(nil)); got != `{"action_type":"read_file","target":"a.go","requested_operation":"read","policy_pack":"p",`+
		`"rule_id":"runner_auth.invalid","decision":"block","severity":"critical","reason":"runner authentication failed: runner_auth is required"}` {
		t.Errorf("refusal JSON: got %s", got)
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", policy.MaxRequestSize+1)
	in := "a\r\n\n" + long + "\nb\n" + strings.Repeat("y", policy.MaxRequestSize) + "\nlast"
	lr := NewLineReader(strings.NewReader(in))
	type got struct {
		line    string
		tooLong bool
	}
	var gs []got
	for {
		l, tl, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, got{string(l), tl})
	}
	want := []got{{"a", false}, {"", false}, {"", true}, {"b", false}, {strings.Repeat("y", policy.MaxRequestSize), false}, {"last", false}}
	if len(gs) != len(want) {
		t.Fatalf("got %d lines, want %d", len(gs), len(want))
	}
	for i := range want {
		if gs[i] != want[i] {
			t.Errorf("line %d: got %.20q tooLong=%v, want %.20q tooLong=%v", i+1, gs[i].line, gs[i].tooLong, want[i].line, want[i].tooLong)
		}
	}
	if lr.Line() != 6 {
		t.Errorf("Line: got %d, want 6", lr.Line())
	}
}

// FuzzDecode checks that input that is not a valid request is never
// allowed, and that any decision names a rule and echoes a valid request.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"action_type":"read_file","target":"a.go"}`,
		`{"action_type":"execute_command","target":"terraform plan"}`,
		`{"action_type":"read_file","target":5}`,
		`{"action_type":"read_file","target":"a.go","target":"b"}`,
		`{"action_type":"read_file","Target":"a.go","x":[1,{}]}`,
		`{"action_type":null}`, `[]`, `{`, "\xff", `{"target":"a\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	e := newEnforcer(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := e.DecideJSON(data)
		if d.RuleID == "" {
			t.Fatalf("%q: decision without a rule: %+v", data, d)
		}
		if err != nil {
			if d.Verdict != policy.Block {
				t.Fatalf("%q: invalid input (%v) got %v, want block", data, err, d.Verdict)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("%q: not valid JSON but decoded", data)
		}
		// Whatever decoded must agree with encoding/json, which is what
		// most callers will have used to write the request.
		var std struct {
			SessionID string `json:"session_id"`
			AgentID   string `json:"agent_id"`
			Actor     string `json:"actor"`
		}
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("%q decoded, but encoding/json says: %v", data, err)
		}
		for _, f := range [][3]string{{d.SessionID, std.SessionID, "local"}, {d.AgentID, std.AgentID, "unknown-agent"}, {d.Actor, std.Actor, "ai-agent"}} {
			if f[0] != f[1] && !(f[1] == "" && f[0] == f[2]) {
				t.Fatalf("%q: decided for %q, encoding/json read %q", data, f[0], f[1])
			}
		}
		if d.Verdict == policy.Allow && bytes.IndexByte(data, 0) >= 0 {
			t.Fatalf("%q allowed with a NUL byte", data)
		}
	})
}
