package policy

// Action types. CAVRA decides any other action type with
// require_approval (runtime.default.require_approval).
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

// rank orders verdicts from least to most restrictive.
func (v Verdict) rank() int {
	switch v {
	case Allow:
		return 0
	case RequireApproval:
		return 1
	}
	return 2
}

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

// Result is what a policy says about a request: the verdict, the rule
// that produced it, and the action, target and operation the decision
// reports. Every Result names a rule, even a default one.
type Result struct {
	Verdict       Verdict
	RuleID        string
	Reason        string
	Severity      Severity
	ApproverGroup string // set when a rule names one
	Pack          string // policy_pack and policy_id of the decision

	ActionType string // echoed as CAVRA echoes them (see Engine.Evaluate)
	Target     string
	Operation  string // requested_operation
}

func (r *Result) set(v Verdict, rule string, sev Severity, group, reason string) {
	r.Verdict, r.RuleID, r.Severity, r.ApproverGroup, r.Reason = v, rule, sev, group, reason
}
