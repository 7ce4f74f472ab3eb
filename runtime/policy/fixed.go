package policy

// Fixed rule ids: outcomes that no pattern produces. They are the same
// in every pack; a pack's own rules may not reuse them.
const (
	RuleIncomplete        = "request.incomplete"
	RuleUnknownAction     = "action.unknown"
	RuleReadDefault       = "read.default"
	RuleWriteDefault      = "write.default"
	RuleCommandUnlisted   = "command.unlisted"
	RuleCommandOpaque     = "command.opaque"
	RuleForcePush         = "git.force_push"
	RulePushAllBranches   = "git.push_all_branches"
	RulePushUnknownRef    = "git.push_unknown_ref"
	RuleMCPUnknownServer  = "mcp.server_unknown"
	RuleMCPDenied         = "mcp.server_denied"
	RuleMCPUnapproved     = "mcp.server_unapproved"
	RuleMCPTrustTier      = "mcp.trust_tier"
	RuleMCPToolNotAllowed = "mcp.tool_not_allowed"
	RuleMCPCapability     = "mcp.capability_not_allowed"
	RuleMCPAllowed        = "mcp.allowed"
)

var fixedIDs = []string{
	RuleIncomplete, RuleUnknownPack, RulePackMismatch, RuleUnknownAction,
	RuleReadDefault, RuleWriteDefault, RuleCommandUnlisted, RuleCommandOpaque,
	RuleForcePush, RulePushAllBranches, RulePushUnknownRef,
	RuleMCPUnknownServer, RuleMCPDenied, RuleMCPUnapproved, RuleMCPTrustTier,
	RuleMCPToolNotAllowed, RuleMCPCapability, RuleMCPAllowed,
	// Reserved for the enforcement layer.
	"input.invalid", "input.too_large", "evidence.unavailable",
}

// fixedResults are a policy's precomputed fixed outcomes.
type fixedResults struct {
	noAction, noTarget, noServer, noTool     Result
	unknownAction, readDefault, writeDefault Result
	cmdUnlisted, cmdOpaque                   Result
	forcePush, pushAll, unknownRef           Result
	mcpUnknown, mcpDenied, mcpUnapproved     Result
	mcpLowTier, mcpTool, mcpCap, mcpAllowed  Result
}

func newFixed(pk *Native) fixedResults {
	mk := func(v Verdict, id string, sev Severity, approver, reason string) Result {
		r := Result{Verdict: v, RuleID: id, Reason: reason, Severity: sev, Pack: pk.Name}
		if v == RequireApproval {
			r.ApproverGroup = firstNonEmpty(approver, pk.ApproverGroup)
		}
		return r
	}
	sev := func(v Verdict) Severity {
		if v == Block {
			return High
		}
		return Medium
	}
	g, m := pk.Git, pk.MCP
	return fixedResults{
		noAction:      mk(Block, RuleIncomplete, Medium, "", "request has no action_type"),
		noTarget:      mk(Block, RuleIncomplete, Medium, "", "request has no target for its action type"),
		noServer:      mk(Block, RuleIncomplete, Medium, "", "mcp_tool_call request has no server"),
		noTool:        mk(Block, RuleIncomplete, Medium, "", "mcp_tool_call request has no tool"),
		unknownAction: mk(RequireApproval, RuleUnknownAction, Medium, "", "action type is not one the policy knows; a person must review it"),
		readDefault:   mk(Allow, RuleReadDefault, Info, "", "no read rule matches the path"),
		writeDefault:  mk(Allow, RuleWriteDefault, Info, "", "no write rule matches the path"),
		cmdUnlisted:   mk(RequireApproval, RuleCommandUnlisted, Medium, "", "command is not on the pack's allow list"),
		cmdOpaque: mk(RequireApproval, RuleCommandOpaque, High, "",
			"command uses shell features (expansion, substitution, redirection to a file, globbing, assignments) whose effect cannot be checked before it runs"),
		forcePush:     mk(g.ForcePush, RuleForcePush, sev(g.ForcePush), g.ApproverGroup, "force pushes rewrite published history"),
		pushAll:       mk(Block, RulePushAllBranches, High, "", "pushing all branches or a wildcard refspec can update protected branches"),
		unknownRef:    mk(g.UnknownRef, RulePushUnknownRef, sev(g.UnknownRef), g.ApproverGroup, "the branch this push updates cannot be determined from the request"),
		mcpUnknown:    mk(m.UnknownServer, RuleMCPUnknownServer, sev(m.UnknownServer), m.ApproverGroup, "MCP server is not in the trust registry"),
		mcpDenied:     mk(Block, RuleMCPDenied, Critical, "", "MCP server is denied or revoked in the trust registry"),
		mcpUnapproved: mk(m.UnapprovedServer, RuleMCPUnapproved, sev(m.UnapprovedServer), m.ApproverGroup, "MCP server is not yet approved in the trust registry"),
		mcpLowTier:    mk(m.LowTrustTier, RuleMCPTrustTier, sev(m.LowTrustTier), m.ApproverGroup, "MCP server's trust tier is below the pack's minimum"),
		mcpTool:       mk(m.ToolNotAllowed, RuleMCPToolNotAllowed, sev(m.ToolNotAllowed), m.ApproverGroup, "tool is not on the server's allow list in the trust registry"),
		mcpCap:        mk(m.CapabilityNotAllowed, RuleMCPCapability, sev(m.CapabilityNotAllowed), m.ApproverGroup, "capability is missing or not on the server's allow list in the trust registry"),
		mcpAllowed:    mk(Allow, RuleMCPAllowed, Info, "", "MCP server is approved and trusted, and the tool and capability are allowed"),
	}
}
