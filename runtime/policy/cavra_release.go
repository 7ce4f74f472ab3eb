package policy

import (
	"slices"
	"strings"
)

// ReleaseGovernanceRecord is the action type of a release-governance
// record.
const ReleaseGovernanceRecord = "release_governance_record"

// Rule ids of release-governance decisions (CAVRA's).
const (
	RuleRGMissing      = "release_governance.record.missing"
	RuleRGApproved     = "release_governance.approval.approved"
	RuleRGNoApproval   = "release_governance.approval.missing"
	RuleRGPending      = "release_governance.approval.pending"
	RuleRGDenied       = "release_governance.approval.denied"
	RuleRGUnknownState = "release_governance.approval.unknown"
	RuleRGDelivery     = "release_governance.delivery.failed"
	RuleRGCritical     = "release_governance.signal.critical"
	RuleRGRequired     = "release_governance.approval.required"
	RuleRGVerified     = "release_governance.record.verified"
	RuleRGNotRequired  = "release_governance.approval.not_required"
)

// ReleaseGovernanceGroup approves every release-governance decision that
// is not an allow.
const ReleaseGovernanceGroup = "Release Governance"

// approvalKinds need an approval; the last three are executions, which
// are blocked without one.
var approvalKinds = map[string]bool{
	"release-channel-promotion-request":    false,
	"endpoint-reconciliation-automation":   false,
	"endpoint-drift-remediation-request":   false,
	"endpoint-remediation-handoff":         false,
	"endpoint-drift-remediation-execution": true,
	"rollout-promotion-execution":          true,
	"rollout-rollback-execution":           true,
}

// knownKinds are the kinds CAVRA's Go runtime recognises at 7838b12
// (runtime/release_governance.go), the two rollout-*-audit-export kinds
// included; its Python runtime at 73b0788 lacks those two, which only
// changes an allow's rule id (record.verified, not approval.not_required).
var knownKinds = func() map[string]bool {
	m := map[string]bool{}
	for k := range approvalKinds {
		m[k] = true
	}
	for _, k := range strings.Fields(`endpoint-inventory-ingestion endpoint-inventory-freshness-report
		managed-endpoint-reconciliation endpoint-management-export endpoint-management-publication-delivery
		endpoint-remediation-handoff-status endpoint-remediation-sla-report
		release-connector-delivery rollout-evidence-capture rollout-evidence-verification
		rollout-artifact-retrieval rollout-artifact-integrity rollout-promotion-audit-export
		rollout-rollback-audit-export`) {
		m[k] = true
	}
	for _, k := range strings.Fields(`notification-plan notification-ack escalation-plan escalation-review
		escalation-recurrence-plan escalation-suppression-audit escalation-recurrence-retry-plan
		escalation-owner-digest escalation-suppression-trend escalation-recurrence-automation-run
		escalation-recurrence-automation-health-alert-plan escalation-recurrence-automation-health-alert-ack`) {
		m["endpoint-remediation-sla-"+k] = true
	}
	return m
}()

// normalizeState trims s, lower-cases it and turns '-' into '_'.
func normalizeState(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '-' || 'A' <= c && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(strings.ReplaceAll(s, "-", "_"))
		}
	}
	return s
}

// evalRelease decides a release-governance record as CAVRA does. It
// does not depend on the pack.
func evalRelease(req *Request, res *Result) {
	rec := req.Record
	kind := ""
	if rec != nil {
		kind = strings.TrimSpace(rec.Kind)
	}
	target := req.Target
	if target == "" {
		target = kind
	}
	if target == "" {
		target = "release-governance-record"
	}
	res.ActionType, res.Target = req.Action(), target
	if rec == nil || rec.Members == 0 {
		res.Operation = "verify"
		res.set(RequireApproval, RuleRGMissing, Medium, ReleaseGovernanceGroup, "Release governance record payload is missing.")
		return
	}
	if kind == "" {
		kind = target
	}
	state := normalizeState(firstNonEmpty(strings.TrimSpace(rec.ApprovalState), rec.NestedState))
	id := strings.TrimSpace(firstNonEmpty(strings.TrimSpace(rec.ApprovalID), rec.NestedApprovalID))
	exec, listed := approvalKinds[kind]
	needs := rec.ApprovalRequired > 0 || state != "" || listed
	res.Operation = req.Op()
	if res.Operation == "" {
		res.Operation = "verify"
	}
	g := ReleaseGovernanceGroup
	switch state {
	case "approved":
		if id == "" && needs {
			res.set(Block, RuleRGNoApproval, Critical, g, kind+" is approved but does not include an approval_id.")
			return
		}
		res.set(Allow, RuleRGApproved, Low, "", kind+" is backed by an approved release governance approval.")
	case "pending":
		res.set(RequireApproval, RuleRGPending, High, g, kind+" is waiting for release governance approval.")
	case "denied", "rejected", "expired", "cancelled", "canceled":
		res.set(Block, RuleRGDenied, Critical, g, kind+" is bound to a non-approved approval state: "+state+".")
	case "":
		switch {
		case deliveryFailed(rec):
			res.set(Block, RuleRGDelivery, High, g, kind+" includes failed release delivery evidence.")
		case criticalSignal(rec):
			res.set(RequireApproval, RuleRGCritical, High, g, kind+" contains critical release governance signals.")
		case needs && exec:
			res.set(Block, RuleRGNoApproval, Critical, g, kind+" requires an approval record before execution.")
		case needs:
			res.set(RequireApproval, RuleRGRequired, High, g, kind+" requires an approval record before execution.")
		case knownKinds[kind]:
			res.set(Allow, RuleRGVerified, Low, "", kind+" is recognized release governance evidence with no blocking signal.")
		default:
			res.set(Allow, RuleRGNotRequired, Low, "", kind+" does not require release governance approval.")
		}
	default:
		res.set(RequireApproval, RuleRGUnknownState, Medium, g, kind+" has an unknown approval state: "+state+".")
	}
}

func deliveryFailed(rec *Record) bool {
	switch strings.TrimSpace(rec.Kind) {
	case "endpoint-management-publication-delivery", "release-connector-delivery":
		return !rec.DeliverySuccess
	}
	return false
}

// criticalSignal reports CAVRA's critical release-governance signals, as
// its Go runtime reads them at 7838b12 (runtime/release_governance.go:
// among them audit_export_status failed or blocked), and drift_status
// drift_detected too, as CAVRA's Python RuntimeGuard reads it
// (src/cavra/runtime.py at 73b0788) and its Go runtime does not.
func criticalSignal(rec *Record) bool {
	in := func(v string, set ...string) bool { return slices.Contains(set, normalizeState(v)) }
	return in(rec.AlertLevel, "critical", "blocked", "breached") ||
		in(rec.DriftStatus, "drifted", "non_compliant", "drift_detected") ||
		in(rec.HandoffStatus, "blocked", "failed") ||
		in(rec.VerificationStatus, "failed", "blocked", "mismatch") ||
		in(rec.IntegrityStatus, "failed", "mismatch", "tampered") ||
		in(rec.AuditExportStatus, "failed", "blocked") ||
		rec.Blocked > 0 || rec.Critical > 0 || rec.Breached > 0 || rec.FailedDelivery > 0 ||
		rec.ConnectorFail > 0 || rec.FailedVerification > 0 || rec.IntegrityFailures > 0
}
