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
)

func newEnforcer(t testing.TB) *Enforcer {
	t.Helper()
	eng, err := policy.NewEngine(policy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &Enforcer{Engine: eng, Now: func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.FixedZone("x", 3600)) }}
}

var uuid7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestDecide(t *testing.T) {
	e := newEnforcer(t)
	e.Log, _ = evidence.Open(filepath.Join(t.TempDir(), "e.jsonl"))
	defer e.Log.Close()
	d, err := e.DecideJSON([]byte(`{"session_id":"s1","agent_id":"a1","actor":"dev@example.com","action_type":"read_file","target":".env"}`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Decision != policy.Block || d.RuleID != "read.secrets.dotenv" || d.SessionID != "s1" || d.AgentID != "a1" ||
		d.Actor != "dev@example.com" || d.Target != ".env" || d.PolicyPack != policy.Baseline {
		t.Errorf("got %+v", d)
	}
	if !uuid7.MatchString(d.DecisionID) {
		t.Errorf("decision id: got %q, want a UUIDv7", d.DecisionID)
	}
	if got, want := d.Timestamp.Format(time.RFC3339), "2025-06-01T11:00:00Z"; got != want {
		t.Errorf("timestamp: got %v, want %v (UTC)", got, want)
	}
	seq, head := e.Log.Head()
	if len(d.EvidenceRefs) != 1 || d.EvidenceRefs[0] != (evidence.Ref{Seq: seq, Hash: head}).String() {
		t.Errorf("evidence refs: got %v, want the record %d %s", d.EvidenceRefs, seq, head)
	}
	d2, _ := e.Decide(&policy.Request{ActionType: policy.ReadFile, Target: "a.go"})
	if d2.DecisionID == d.DecisionID {
		t.Errorf("two decisions got the same id %s", d.DecisionID)
	}
}

func TestRejectNeverAllows(t *testing.T) {
	e := newEnforcer(t)
	for _, in := range []string{`{"action_type":"read_file","target":5}`, `{`, `[]`, ``, `{"action_type":"read_file","target":"a.go"} x`} {
		d, err := e.DecideJSON([]byte(in))
		if err == nil || d.Decision != policy.Block || d.RuleID != RuleInputInvalid {
			t.Errorf("DecideJSON(%q): got %v %v, %v; want block %s and an error", in, d.Decision, d.RuleID, err, RuleInputInvalid)
		}
	}
	d, err := e.Reject(policy.ErrTooLarge)
	if err == nil || d.Decision != policy.Block || d.RuleID != RuleInputTooLarge {
		t.Errorf("Reject(ErrTooLarge): got %v %v, %v", d.Decision, d.RuleID, err)
	}
}

func TestEvidenceFailureBlocks(t *testing.T) {
	e := newEnforcer(t)
	l, err := evidence.Open(filepath.Join(t.TempDir(), "e.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	l.Close() // appends now fail
	e.Log = l
	d, err := e.Decide(&policy.Request{ActionType: policy.ReadFile, Target: "a.go"})
	if err == nil || d.Decision != policy.Block || d.RuleID != RuleEvidenceUnavailable {
		t.Errorf("got %v %v, %v; want block %s and an error", d.Decision, d.RuleID, err, RuleEvidenceUnavailable)
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
			if d.Decision != policy.Block {
				t.Fatalf("%q: invalid input (%v) got %v, want block", data, err, d.Decision)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("%q: not valid JSON but decoded", data)
		}
		// Whatever decoded must agree with encoding/json, which is what
		// most callers will have used to write the request.
		var std policy.Request
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("%q decoded, but encoding/json says: %v", data, err)
		}
		got := policy.Request{SessionID: d.SessionID, AgentID: d.AgentID, Actor: d.Actor, ActionType: d.ActionType,
			Target: d.Target, Operation: d.Operation, Server: d.Server, Tool: d.Tool, Capability: d.Capability}
		std.PolicyPack = ""
		if got != std {
			t.Fatalf("%q: decoded %+v, encoding/json %+v", data, got, std)
		}
		if d.Decision == policy.Allow && bytes.IndexByte(data, 0) >= 0 {
			t.Fatalf("%q allowed with a NUL byte", data)
		}
	})
}
