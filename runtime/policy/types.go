package policy

import "time"

// Action types understood by the policy engine. Any other non-empty
// action type is answered with require_approval (rule action.unknown).
const (
	ReadFile       = "read_file"
	WriteFile      = "write_file"
	ExecuteCommand = "execute_command"
	GitOperation   = "git_operation"
	MCPToolCall    = "mcp_tool_call"
)

// Verdict is the outcome of a decision.
type Verdict string

// Verdicts.
const (
	Allow           Verdict = "allow"
	Block           Verdict = "block"
	RequireApproval Verdict = "require_approval"
)

// Severity grades how serious the matched rule is.
type Severity string

// Severities, from least to most serious.
const (
	Info     Severity = "info"
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

func (s Severity) valid() bool {
	switch s {
	case Info, Low, Medium, High, Critical:
		return true
	}
	return false
}

// Request is one action an agent wants to take.
// Which fields matter depends on ActionType; see the package documentation.
type Request struct {
	SessionID  string `json:"session_id"`
	AgentID    string `json:"agent_id"`
	Actor      string `json:"actor"`
	ActionType string `json:"action_type"`
	Target     string `json:"target"`
	Operation  string `json:"operation"`
	PolicyPack string `json:"policy_pack"`
	Server     string `json:"server"`
	Tool       string `json:"tool"`
	Capability string `json:"capability"`
}

// Result is what a policy says about a request: the verdict and the rule
// that produced it. Every Result names a rule, even a default one.
type Result struct {
	Verdict       Verdict
	RuleID        string
	Reason        string
	Severity      Severity
	ApproverGroup string // set when Verdict is RequireApproval
	Pack          string // the pack that decided
}

// Decision is the full answer for one request, as written to stdout,
// to socket clients and into the evidence log.
type Decision struct {
	Decision      Verdict   `json:"decision"`
	RuleID        string    `json:"rule_id"`
	Reason        string    `json:"reason"`
	Severity      Severity  `json:"severity"`
	ApproverGroup string    `json:"approver_group"`
	PolicyPack    string    `json:"policy_pack"`
	DecisionID    string    `json:"decision_id"`
	Timestamp     time.Time `json:"timestamp"`
	EvidenceRefs  []string  `json:"evidence_refs"`
	SessionID     string    `json:"session_id"`
	AgentID       string    `json:"agent_id"`
	Actor         string    `json:"actor"`
	ActionType    string    `json:"action_type"`
	Target        string    `json:"target"`
	Operation     string    `json:"operation"`
	Server        string    `json:"server"`
	Tool          string    `json:"tool"`
	Capability    string    `json:"capability"`
}

// NewDecision combines a request, the result of evaluating it, an id and
// a time into a Decision. The time is converted to UTC.
func NewDecision(req *Request, res Result, id string, t time.Time) Decision {
	return Decision{
		Decision:      res.Verdict,
		RuleID:        res.RuleID,
		Reason:        res.Reason,
		Severity:      res.Severity,
		ApproverGroup: res.ApproverGroup,
		PolicyPack:    res.Pack,
		DecisionID:    id,
		Timestamp:     t.UTC(),
		EvidenceRefs:  []string{},
		SessionID:     req.SessionID,
		AgentID:       req.AgentID,
		Actor:         req.Actor,
		ActionType:    req.ActionType,
		Target:        req.Target,
		Operation:     req.Operation,
		Server:        req.Server,
		Tool:          req.Tool,
		Capability:    req.Capability,
	}
}
