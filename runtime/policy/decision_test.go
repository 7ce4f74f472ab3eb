package policy

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// runtimeDecision mirrors CAVRA's runtime.Decision, for encoding/json to
// check AppendRuntime against.
type runtimeDecision struct {
	DecisionID         string   `json:"decision_id,omitempty"`
	SessionID          string   `json:"session_id,omitempty"`
	AgentID            string   `json:"agent_id,omitempty"`
	Actor              string   `json:"actor,omitempty"`
	Decision           string   `json:"decision"`
	Reason             string   `json:"reason"`
	ActionType         string   `json:"action_type"`
	Target             string   `json:"target"`
	RequestedOperation string   `json:"requested_operation"`
	PolicyPack         string   `json:"policy_pack"`
	PolicyID           string   `json:"policy_id"`
	RuleID             string   `json:"rule_id"`
	Severity           string   `json:"severity"`
	EvidenceRefs       []string `json:"evidence_refs,omitempty"`
	ApproverGroup      string   `json:"approver_group,omitempty"`
	Timestamp          string   `json:"timestamp,omitempty"`
	CorrelationID      string   `json:"correlation_id,omitempty"`
}

// TestDecisionJSON checks that both encodings of a decision are byte
// for byte what encoding/json writes for CAVRA's structs, for random
// strings full of characters JSON escapes.
func TestDecisionJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", " ", "\"", "\\", "/", "<", ">", "&", "\n", "\t", "\r", "\b", "\f", "\x00", "\x01", "\x1f", "\x7f",
		"é", "😀", "\u2028", "\u2029", "\ufeff", "\xff", "\xc3", "evidence://"}
	str := func() string {
		if r.IntN(4) == 0 {
			return ""
		}
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := range 2000 {
		d := Decision{
			Result: Result{Verdict: Verdict(str()), RuleID: str(), Reason: str(), Severity: Severity(str()), ApproverGroup: str(),
				Pack: str(), ActionType: str(), Target: str(), Operation: str()},
			SessionID: str(), AgentID: str(), Actor: str(),
			Time: time.Unix(r.Int64N(4e9), r.Int64N(1e9)).In(time.FixedZone("x", 3600)),
			Bare: i%5 == 0, HasRecord: i%3 == 0,
		}
		copy(d.ID[:], "0123456789ab")
		copy(d.Corr[:], "ba9876543210")
		copy(d.RecordID[:], "aaaaaaaaaaaabbbbbbbbbbbb")
		v1 := Response{DecisionID: d.DecisionID(), SessionID: d.SessionID, AgentID: d.AgentID, Actor: d.Actor,
			ActionType: d.ActionType, Target: d.Target, RequestedOperation: d.Operation, PolicyPack: d.Pack,
			RuleID: d.RuleID, Decision: string(d.Verdict), Severity: string(d.Severity), Reason: d.Reason,
			EvidenceRefs: d.EvidenceRefs(), ApproverGroup: d.ApproverGroup, Timestamp: d.Timestamp(), CorrelationID: d.CorrelationID()}
		if !d.Bare {
			v1.PolicyID = d.Pack
		}
		want, _ := json.Marshal(&v1)
		if got := d.AppendV1(nil); !bytes.Equal(got, want) {
			t.Fatalf("AppendV1:\n got %s\nwant %s", got, want)
		}
		rd := runtimeDecision{DecisionID: v1.DecisionID, SessionID: v1.SessionID, AgentID: v1.AgentID, Actor: v1.Actor,
			Decision: v1.Decision, Reason: v1.Reason, ActionType: v1.ActionType, Target: v1.Target,
			RequestedOperation: v1.RequestedOperation, PolicyPack: v1.PolicyPack, PolicyID: v1.PolicyID, RuleID: v1.RuleID,
			Severity: v1.Severity, EvidenceRefs: v1.EvidenceRefs, ApproverGroup: v1.ApproverGroup, Timestamp: v1.Timestamp,
			CorrelationID: v1.CorrelationID}
		want, _ = json.Marshal(&rd)
		if got := d.AppendRuntime(nil, false); !bytes.Equal(got, want) {
			t.Fatalf("AppendRuntime:\n got %s\nwant %s", got, want)
		}
		want, _ = json.MarshalIndent(&rd, "", "  ")
		if got := d.AppendRuntime(nil, true); !bytes.Equal(got, want) {
			t.Fatalf("AppendRuntime indented:\n got %s\nwant %s", got, want)
		}
	}
}

func TestNewDecision(t *testing.T) {
	d := NewDecision(&Request{}, Result{})
	if d.SessionID != "local" || d.AgentID != "unknown-agent" || d.Actor != "ai-agent" {
		t.Errorf("defaults: got %q %q %q", d.SessionID, d.AgentID, d.Actor)
	}
	d = NewDecision(&Request{SessionID: "s", AgentID: "a", Actor: "x"}, Result{})
	copy(d.ID[:], "0123456789ab")
	if got := d.EvidenceRefs(); len(got) != 1 || got[0] != "evidence://s/dec_0123456789ab" {
		t.Errorf("evidence refs: got %q", got)
	}
}

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
