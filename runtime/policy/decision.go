package policy

import (
	"strconv"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
)

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
	Verdict       Verdict  // allow, block or require_approval
	RuleID        string   // the rule that decided
	Reason        string   // why, as the rule says it, and how it was reached
	Severity      Severity // how serious the rule's match is
	ApproverGroup string   // set when a rule names one
	Pack          string   // policy_pack and policy_id of the decision

	ActionType string // echoed as CAVRA echoes them (see Engine.Evaluate)
	Target     string // the target as echoed
	Operation  string // requested_operation
}

func (r *Result) set(v Verdict, rule string, sev Severity, group, reason string) {
	r.Verdict, r.RuleID, r.Severity, r.ApproverGroup, r.Reason = v, rule, sev, group, reason
}

// Defaults CAVRA puts in every evaluated decision.
const (
	DefaultSession = "local"
	DefaultAgent   = "unknown-agent"
	DefaultActor   = "ai-agent"
)

// Decision is the full answer to one request: a Result with who asked,
// ids, a time and evidence references. Its JSON forms are CAVRA's
// DecisionResponse v1 (AppendV1) and runtime decision (AppendRuntime).
// Ids are kept as fixed arrays so that deciding and encoding allocate
// nothing.
type Decision struct {
	Result
	SessionID, AgentID, Actor string // who asked, with CAVRA's defaults

	ID       [12]byte  // hex digits of decision_id after "dec_"
	Corr     [12]byte  // hex digits of correlation_id after "corr_"
	Time     time.Time // when it was decided
	RecordID [24]byte  // evidence record id, when HasRecord
	// HasRecord adds go-daemon-evidence://<RecordID> to evidence_refs.
	HasRecord bool
	// Bare marks a decision made before any policy was consulted (a
	// runner-authentication refusal): it has no decision_id, policy_id,
	// timestamp, correlation_id or evidence:// reference, and reports
	// who asked as sent, without defaults.
	Bare bool
}

// NewDecision returns the decision for req and its result, with CAVRA's
// defaults for the session, agent and actor. The caller sets the ids
// and time.
func NewDecision(req *Request, res Result) Decision {
	d := Decision{Result: res, SessionID: req.SessionID, AgentID: req.AgentID, Actor: req.Actor}
	if d.SessionID == "" {
		d.SessionID = DefaultSession
	}
	if d.AgentID == "" {
		d.AgentID = DefaultAgent
	}
	if d.Actor == "" {
		d.Actor = DefaultActor
	}
	return d
}

// DecisionID returns "dec_" and twelve hex digits ("" for a bare decision).
func (d *Decision) DecisionID() string {
	if d.Bare {
		return ""
	}
	return "dec_" + string(d.ID[:])
}

// CorrelationID returns "corr_" and twelve hex digits ("" for a bare
// decision).
func (d *Decision) CorrelationID() string {
	if d.Bare {
		return ""
	}
	return "corr_" + string(d.Corr[:])
}

// Timestamp returns the time in UTC, RFC 3339 with nanoseconds ("" for
// a bare decision).
func (d *Decision) Timestamp() string {
	if d.Bare {
		return ""
	}
	return d.Time.UTC().Format(time.RFC3339Nano)
}

// EvidenceRefs returns evidence://<session>/<decision_id> and, for a
// recorded decision, go-daemon-evidence://<record_id>.
func (d *Decision) EvidenceRefs() []string {
	var refs []string
	if !d.Bare {
		refs = append(refs, "evidence://"+d.SessionID+"/"+d.DecisionID())
	}
	if d.HasRecord {
		refs = append(refs, "go-daemon-evidence://"+string(d.RecordID[:]))
	}
	return refs
}

// AppendV1 appends the decision as a DecisionResponse v1 JSON object:
// members in proto order, empty ones left out, strings escaped as Go's
// encoding/json escapes them (so record hashes match CAVRA's).
func (d *Decision) AppendV1(b []byte) []byte { return d.append(b, false, false) }

// AppendRuntime appends the decision as CAVRA's runtime decision (the
// output of a one-shot run): decision, reason, action_type, target,
// requested_operation, policy_pack, policy_id, rule_id and severity are
// always present. With indent, it is indented by two spaces as CAVRA
// prints it.
func (d *Decision) AppendRuntime(b []byte, indent bool) []byte { return d.append(b, true, indent) }

func (d *Decision) append(b []byte, runtime, indent bool) []byte {
	w := jw{b: append(b, '{')}
	if indent {
		w.indent = "\n  "
	}
	member := w.opt
	if runtime {
		member = w.str
	}
	if !d.Bare {
		w.raw("decision_id", "dec_", d.ID[:])
	}
	w.opt("session_id", d.SessionID)
	w.opt("agent_id", d.AgentID)
	w.opt("actor", d.Actor)
	if runtime {
		w.str("decision", string(d.Verdict))
		w.str("reason", d.Reason)
	}
	member("action_type", d.ActionType)
	member("target", d.Target)
	member("requested_operation", d.Operation)
	member("policy_pack", d.Pack)
	if !d.Bare {
		member("policy_id", d.Pack)
	} else if runtime {
		w.str("policy_id", "")
	}
	member("rule_id", d.RuleID)
	if !runtime {
		w.opt("decision", string(d.Verdict))
	}
	member("severity", string(d.Severity))
	if !runtime {
		w.opt("reason", d.Reason)
	}
	d.refs(&w)
	w.opt("approver_group", d.ApproverGroup)
	if !d.Bare {
		w.key("timestamp")
		w.b = append(d.Time.UTC().AppendFormat(append(w.b, '"'), time.RFC3339Nano), '"')
		w.raw("correlation_id", "corr_", d.Corr[:])
	}
	if indent {
		w.b = append(w.b, '\n')
	}
	return append(w.b, '}')
}

func (d *Decision) refs(w *jw) {
	if d.Bare && !d.HasRecord {
		return
	}
	w.key("evidence_refs")
	w.b = append(w.b, '[')
	first := true
	item := func() {
		if !first {
			w.b = append(w.b, ',')
		}
		first = false
		if w.indent != "" {
			w.b = append(w.b, "\n    "...)
		}
	}
	if !d.Bare {
		item()
		w.b = append(w.b, `"evidence://`...)
		w.b = strictjson.AppendEscaped(w.b, d.SessionID)
		w.b = append(w.b, "/dec_"...)
		w.b = append(w.b, d.ID[:]...)
		w.b = append(w.b, '"')
	}
	if d.HasRecord {
		item()
		w.b = append(w.b, `"go-daemon-evidence://`...)
		w.b = append(w.b, d.RecordID[:]...)
		w.b = append(w.b, '"')
	}
	if w.indent != "" {
		w.b = append(w.b, "\n  "...)
	}
	w.b = append(w.b, ']')
}

// jw writes JSON object members.
type jw struct {
	b      []byte
	n      int
	indent string // "\n  " for indented output
}

func (w *jw) key(k string) {
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
	w.b = append(w.b, w.indent...)
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	if w.indent != "" {
		w.b = append(w.b, ' ')
	}
}

func (w *jw) str(k, v string) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = strictjson.AppendEscaped(w.b, v)
	w.b = append(w.b, '"')
}

func (w *jw) opt(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *jw) raw(k, prefix string, v []byte) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = append(w.b, prefix...)
	w.b = append(w.b, v...)
	w.b = append(w.b, '"')
}

func (w *jw) num(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

// Response is a DecisionResponse v1 as a client reads it: the JSON form
// of a decision, members in proto order, each field the member its tag
// names. Marshalling it gives the bytes AppendV1 writes.
type Response struct {
	DecisionID         string   `json:"decision_id,omitempty"`
	SessionID          string   `json:"session_id,omitempty"`
	AgentID            string   `json:"agent_id,omitempty"`
	Actor              string   `json:"actor,omitempty"`
	ActionType         string   `json:"action_type,omitempty"`
	Target             string   `json:"target,omitempty"`
	RequestedOperation string   `json:"requested_operation,omitempty"`
	PolicyPack         string   `json:"policy_pack,omitempty"`
	PolicyID           string   `json:"policy_id,omitempty"`
	RuleID             string   `json:"rule_id,omitempty"`
	Decision           string   `json:"decision,omitempty"`
	Severity           string   `json:"severity,omitempty"`
	Reason             string   `json:"reason,omitempty"`
	EvidenceRefs       []string `json:"evidence_refs,omitempty"`
	ApproverGroup      string   `json:"approver_group,omitempty"`
	Timestamp          string   `json:"timestamp,omitempty"`
	CorrelationID      string   `json:"correlation_id,omitempty"`
}
