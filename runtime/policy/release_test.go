package policy

import (
	"strings"
	"testing"
)

// TestReleaseGovernance covers CAVRA's release-governance rules beyond
// its public cases: every approval state, the order of the checks
// without one, the kinds, and the lenient reading of untyped records.
func TestReleaseGovernance(t *testing.T) {
	e, _ := NewEngine(Config{})
	const g = ReleaseGovernanceGroup
	tests := []struct {
		req                   string
		verdict               Verdict
		rule                  string
		sev                   Severity
		group, reason, target string
	}{
		{`{"action_type":"release_governance_record"}`, RequireApproval, RuleRGMissing, Medium, g, "Release governance record payload is missing.", "release-governance-record"},
		{`{"action_type":"release_governance_record","target":"t","record":{}}`, RequireApproval, RuleRGMissing, Medium, g, "", "t"},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"k","approval_state":"approved"}}`, Block, RuleRGNoApproval, Critical, g, "k is approved but does not include an approval_id.", "k"},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"k","approval_state":" APPROVED ","approval_id":"a"}}`, Allow, RuleRGApproved, Low, "", "", "k"},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"k","approval":{"state":"approved","approval_id":"a"}}}`, Allow, RuleRGApproved, Low, "", "", "k"},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"k","approval_state":"Pending"}}`, RequireApproval, RuleRGPending, High, g, "k is waiting for release governance approval.", "k"},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"k","approval_state":"Expired"}}`, Block, RuleRGDenied, Critical, g, "k is bound to a non-approved approval state: expired.", "k"},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"k","approval_state":"canceled"}}`, Block, RuleRGDenied, Critical, g, "", "k"},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"k","approval_state":"on-hold"}}`, RequireApproval, RuleRGUnknownState, Medium, g, "k has an unknown approval state: on_hold.", "k"},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"k","approval_state":5}}`, RequireApproval, RuleRGUnknownState, Medium, g, "unknown approval state: 5.", "k"},
		// Without a state: delivery, then signals, then approval needs, then kind.
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"endpoint-management-publication-delivery"}}`, Block, RuleRGDelivery, High, g, "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"release-connector-delivery","delivery_success":"yes"}}`, Allow, RuleRGVerified, Low, "", "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"release-connector-delivery","delivery_success":"no","alert_level":"critical"}}`, Block, RuleRGDelivery, High, g, "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"x","drift_status":"Non-Compliant"}}`, RequireApproval, RuleRGCritical, High, g, "", ""},
		// drift_detected is critical as in CAVRA's Python RuntimeGuard (its Go runtime allows it).
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"x","drift_status":"drift_detected"}}`, RequireApproval, RuleRGCritical, High, g, "x contains critical release governance signals.", ""},
		{`{"action_type":"release_governance_record","release_governance":{"metadata_kind":"x","drift_status":" Drift-Detected "}}`, RequireApproval, RuleRGCritical, High, g, "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"x","handoff_status":"failed"}}`, RequireApproval, RuleRGCritical, High, g, "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"x","integrity_status":"tampered"}}`, RequireApproval, RuleRGCritical, High, g, "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"x","audit_export_status":"blocked"}}`, RequireApproval, RuleRGCritical, High, g, "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"x","breached_count":1}}`, RequireApproval, RuleRGCritical, High, g, "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"x","connector_delivery_failure_count":0.5}}`, Allow, RuleRGNotRequired, Low, "", "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"x","critical_count":"3"}}`, Allow, RuleRGNotRequired, Low, "", "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"x","drifted_endpoint_count":9}}`, Allow, RuleRGNotRequired, Low, "", "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"rollout-promotion-execution"}}`, Block, RuleRGNoApproval, Critical, g, "rollout-promotion-execution requires an approval record before execution.", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"endpoint-remediation-handoff"}}`, RequireApproval, RuleRGRequired, High, g, "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"x","approval_required_count":2}}`, RequireApproval, RuleRGRequired, High, g, "", ""},
		{`{"action_type":"release_governance_record","record":{"metadata_kind":"endpoint-remediation-sla-escalation-owner-digest"}}`, Allow, RuleRGVerified, Low, "", "endpoint-remediation-sla-escalation-owner-digest is recognized release governance evidence with no blocking signal.", ""},
		// The kind falls back to the target; the target to the kind.
		{`{"action_type":"release_governance_record","target":"rollout-rollback-execution","record":{"x":1}}`, Block, RuleRGNoApproval, Critical, g, "", "rollout-rollback-execution"},
		{`{"action_type":"release_governance_record","target":"prod","record":{"metadata_kind":" rollout-evidence-capture "}}`, Allow, RuleRGVerified, Low, "", "", "prod"},
		// Typed, and the v1 default action.
		{`{"release_governance":{"metadata_kind":"rollout-rollback-execution","approval_state":"approved","approval_id":"a"}}`, Allow, RuleRGApproved, Low, "", "", "rollout-rollback-execution"},
		{`{"action_type":"release_governance_record","release_governance":{}}`, RequireApproval, RuleRGMissing, Medium, g, "", ""},
		{`{"release_governance":{}}`, RequireApproval, RuleActionDefault, Medium, RepositoryOwners, "", ""},
	}
	for _, tt := range tests {
		req, err := Decode([]byte(tt.req))
		if err != nil {
			t.Fatalf("%s: %v", tt.req, err)
		}
		got := e.Evaluate(&req)
		if got.Verdict != tt.verdict || got.RuleID != tt.rule || got.Severity != tt.sev || got.ApproverGroup != tt.group ||
			!strings.Contains(got.Reason, tt.reason) || tt.target != "" && got.Target != tt.target {
			t.Errorf("%s:\n got %v %v %v %q %q target %q\nwant %v %v %v %q %q target %q", tt.req, got.Verdict, got.RuleID, got.Severity,
				got.ApproverGroup, got.Reason, got.Target, tt.verdict, tt.rule, tt.sev, tt.group, tt.reason, tt.target)
		}
	}
}
