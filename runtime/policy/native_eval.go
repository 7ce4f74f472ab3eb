package policy

import "strings"

// Evaluate decides req under the policy. reg is the MCP trust registry;
// it may be nil, in which case every MCP server is unknown unless the
// pack trusts it. Evaluate does not look at req.PolicyPack; see Engine.
func (p *Policy) Evaluate(req *Request, reg *Registry) Result {
	f := &p.fixed
	switch req.ActionType {
	case ReadFile:
		return p.evalPath(req.Target, &p.readBlock, &p.readApprove, f.readDefault)
	case WriteFile:
		return p.evalPath(req.Target, &p.writeBlock, &p.writeApprove, f.writeDefault)
	case ExecuteCommand:
		line := req.Target
		if req.Operation != "" {
			line = strings.TrimPrefix(req.Target+" "+req.Operation, " ")
		}
		return p.evalCommand(line, "")
	case GitOperation:
		return p.evalGit(req)
	case MCPToolCall:
		return p.evalMCP(req, reg)
	case "":
		return f.noAction
	}
	return f.unknownAction
}

// evalPath decides a read or write of target: blocked rules first, then
// approval rules, else the default.
func (p *Policy) evalPath(target string, block, approve *pathSet, def Result) Result {
	if strings.TrimSpace(target) == "" {
		return p.fixed.noTarget
	}
	var f pathForms
	f.init(target)
	if i := block.matchAny(&f); i >= 0 {
		return block.rules[i].res
	}
	if i := approve.matchAny(&f); i >= 0 {
		return approve.rules[i].res
	}
	return def
}

// evalGit decides a git_operation. Operation holds the git command
// ("push origin main", "git push --force", "status"); Target, if
// Operation is set, names the branch being updated, and otherwise holds
// the whole git command.
func (p *Policy) evalGit(req *Request) Result {
	op, hint := req.Operation, req.Target
	if op == "" {
		op = req.RequestedOperation
	}
	if strings.TrimSpace(op) == "" {
		op, hint = req.Target, ""
	}
	if strings.TrimSpace(op) == "" {
		return p.fixed.noTarget
	}
	if t := strings.TrimLeft(op, " \t"); !strings.HasPrefix(t, "git") || len(t) > 3 && t[3] != ' ' && t[3] != '\t' {
		op = "git " + op
	}
	return p.evalCommand(op, hint)
}

// evalMCP decides an mcp_tool_call. In order: a blocked server blocks; a
// server missing from the registry is allowed only if the pack trusts
// it, else gets unknown_server; a denied or revoked server blocks; a
// pending one gets unapproved_server; a tier below the minimum gets
// low_trust_tier; a tool not on the allow list gets tool_not_allowed; a
// capability not on the list, or no capability when the list is not
// empty, gets capability_not_allowed; anything else is allowed.
func (p *Policy) evalMCP(req *Request, reg *Registry) Result {
	f := &p.fixed
	switch {
	case req.Server == "":
		return f.noServer
	case req.Tool == "":
		return f.noTool
	}
	var buf [8]string
	if i := p.mcpBlocked.match(splitSegs(foldString(req.Server), buf[:0])); i >= 0 {
		return p.mcpBlocked[i].res
	}
	var s *server
	if reg != nil {
		s = reg.byName[req.Server]
	}
	if s == nil {
		if i := p.mcpTrusted.match(splitSegs(req.Server, buf[:0])); i >= 0 {
			return p.mcpTrusted[i].res
		}
		return f.mcpUnknown
	}
	switch {
	case s.approval == Denied || s.approval == Revoked:
		return f.mcpDenied
	case s.approval != Approved:
		return f.mcpUnapproved
	case s.rank < p.minTier:
		return f.mcpLowTier
	case !s.tools.match(req.Tool):
		return f.mcpTool
	case req.Capability == "" && !s.caps.empty(),
		req.Capability != "" && !s.caps.match(req.Capability):
		return f.mcpCap
	}
	return f.mcpAllowed
}
