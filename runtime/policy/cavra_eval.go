package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cavra/cavra/runtime/policy/internal/shell"
)

// Rule ids, severities and approver groups of CAVRA's decision rules.
const (
	RuleReadBlock        = "filesystem.read.block"
	RuleReadAllow        = "filesystem.read.allow"
	RuleWriteBlock       = "filesystem.write.block"
	RuleWriteApproval    = "filesystem.write.require_approval"
	RuleWriteAllow       = "filesystem.write.allow"
	RuleCommandBlock     = "commands.block"
	RuleCommandAllow     = "commands.allow"
	RuleCommandDefault   = "commands.default.require_approval"
	RuleGitProtected     = "git.protected_branch.block_direct_push"
	RuleGitAllow         = "git.allow"
	RuleMCPBlockUnknown  = "mcp.server.trust.block_unknown"
	RuleMCPTrustAllow    = "mcp.server.trust.allow"
	RuleRegistryUnknown  = "mcp.registry.unknown"
	RuleRegistryBlocked  = "mcp.registry.blocked"
	RuleRegistryApproval = "mcp.registry.requires_approval"
	RuleRegistryTool     = "mcp.registry.tool_scope"
	RuleRegistryCap      = "mcp.registry.capability_scope"
	RuleRegistryAllow    = "mcp.registry.allow"
	RuleActionDefault    = "runtime.default.require_approval"
)

// Approver groups CAVRA's rules name.
const (
	PlatformSecurity = "Platform Security"
	RepositoryOwners = "Repository Owners"
	AIGovernance     = "AI Governance"
)

// Reasons of CAVRA's fixed outcomes.
const (
	reasonNoPath       = "No sensitive path policy matched."
	reasonNoAllow      = "No allow rule matched; review required."
	reasonProtected    = "Direct push to protected branch is prohibited."
	reasonGitAllow     = "Git operation is allowed by policy."
	reasonUntrustedMCP = "Untrusted MCP server with filesystem/tool capability is not approved."
	reasonTrustedMCP   = "MCP server is trusted for this tool call."
	reasonUnknownType  = "Unknown action type; review required."
)

// evaluate decides req under the compiled policy.
func (c *Compiled) evaluate(req *Request, reg *Registry, res *Result) {
	switch req.ActionType {
	case ReadFile:
		c.evalFile(req.Target, false, res)
	case WriteFile:
		c.evalFile(req.Target, true, res)
	case ExecuteCommand:
		c.evalCommand(req.Target, res)
	case GitOperation:
		evalGit(req, res)
	case MCPToolCall:
		if reg != nil {
			reg.evalCAVRA(req, res)
		} else {
			c.evalMCP(req, res)
		}
	default:
		res.set(RequireApproval, RuleActionDefault, Medium, RepositoryOwners, reasonUnknownType)
	}
}

// starRule is one CAVRA pattern: * (and **) match any run of characters
// but a new line, / included; everything else is literal; the pattern
// must match the whole subject. (CAVRA quotes the pattern for a regular
// expression, turns each * into .* and anchors it at both ends.) Leftmost
// matching of the literal parts finds a match if there is one, for
// patterns whose literal parts hold no new line.
type starRule struct {
	pat    string
	parts  []string // pat split at '*'
	lower  []string // parts folded (see foldString), for matching ignoring case
	reason string
}

func newStarRules(pats []string, reason string) []starRule {
	rs := make([]starRule, len(pats))
	for i, p := range pats {
		rs[i] = starRule{pat: p, parts: strings.Split(p, "*"), reason: reason + p}
		for _, s := range rs[i].parts {
			rs[i].lower = append(rs[i].lower, foldString(s))
		}
	}
	return rs
}

// match reports whether the rule matches s; with lower, s is folded and
// matched against the pattern folded.
func (r *starRule) match(s string, lower bool) bool {
	parts := r.parts
	if lower {
		parts = r.lower
	}
	if len(parts) == 1 {
		return s == parts[0]
	}
	pre, suf := parts[0], parts[len(parts)-1]
	if len(s) < len(pre)+len(suf) || !strings.HasPrefix(s, pre) || !strings.HasSuffix(s, suf) {
		return false
	}
	mid := s[len(pre) : len(s)-len(suf)]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(mid, p)
		if i < 0 || strings.IndexByte(mid[:i], '\n') >= 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	// As in CAVRA's regular expression, * (.*) does not match a new line.
	return strings.IndexByte(mid, '\n') < 0
}

// firstMatch returns the first rule matching s, ignoring case with fold.
func firstMatch(rules []starRule, s string, fold bool) *starRule {
	if fold {
		s = foldString(s)
	}
	for i := range rules {
		if rules[i].match(s, fold) {
			return &rules[i]
		}
	}
	return nil
}

// fileAnswer decides a path as CAVRA does, on one spelling of it.
func (c *Compiled) fileAnswer(p string, write, fold bool) (Verdict, *starRule) {
	list := c.readBlock
	if write {
		list = c.writeBlock
	}
	if r := firstMatch(list, p, fold); r != nil {
		return Block, r
	}
	if write {
		if r := firstMatch(c.writeApprove, p, fold); r != nil {
			return RequireApproval, r
		}
	}
	return Allow, nil
}

// evalFile decides a read or write: CAVRA's rules on the path as sent,
// then on its other spellings (see spellings), as sent and ignoring case,
// the most restrictive answer winning.
func (c *Compiled) evalFile(target string, write bool, res *Result) {
	v, r := c.fileAnswer(target, write, false)
	how := ""
	if v != Block && needsSpellings(target) {
		var buf [maxSpellings]string
		for _, f := range spellings(target, buf[:0]) {
			for _, fold := range [...]bool{false, true} {
				if f == target && !fold {
					continue
				}
				if v2, r2 := c.fileAnswer(f, write, fold); v2.rank() > v.rank() {
					v, r = v2, r2
					how = pathHow(target, f, fold)
				}
			}
		}
	}
	switch {
	case v == Block && write:
		res.set(Block, RuleWriteBlock, High, "", r.reason+how)
	case v == Block:
		res.set(Block, RuleReadBlock, High, "", r.reason+how)
	case v == RequireApproval:
		res.set(RequireApproval, RuleWriteApproval, High, PlatformSecurity, r.reason+how)
	case write:
		res.set(Allow, RuleWriteAllow, Low, "", reasonNoPath)
	default:
		res.set(Allow, RuleReadAllow, Low, "", reasonNoPath)
	}
}

func pathHow(target, form string, fold bool) string {
	switch {
	case form == target:
		return fmt.Sprintf(" (reached through path normalisation: %q matched ignoring case)", target)
	case fold:
		return fmt.Sprintf(" (reached through path normalisation: %q resolves to %q, matched ignoring case)", target, form)
	}
	return fmt.Sprintf(" (reached through path normalisation: %q resolves to %q)", target, form)
}

// evalCommand decides a command line under a CAVRA pack.
//
// First CAVRA's own rule runs on the whole trimmed line: the first
// matching block pattern blocks, else the first allow pattern allows,
// else the line needs approval. A block stands as it is. Otherwise every
// command the line would run (see shell.Read) is matched against the
// block patterns and the protected-branch rule; a match blocks under that
// rule, with a reason that says how the command was reached. Finally, an
// allow stands only if every command the line runs matches an allow
// pattern.
func (c *Compiled) evalCommand(line string, res *Result) {
	cmd := strings.TrimSpace(line)
	if r := firstMatch(c.cmdBlock, cmd, false); r != nil {
		res.set(Block, RuleCommandBlock, cmdSeverity(cmd), "", r.reason)
		return
	}
	allow := firstMatch(c.cmdAllow, cmd, false)
	if shell.Plain(cmd) {
		c.commandResult(allow, res)
		return
	}
	rd := shell.Read(cmd)
	defer rd.Release()
	for i := range rd.Commands {
		v := &rd.Commands[i]
		if r := firstMatch(c.cmdBlock, v.Norm, false); r != nil {
			sev := cmdSeverity(cmd)
			if sev != Critical {
				sev = cmdSeverity(v.Norm)
			}
			res.set(Block, RuleCommandBlock, sev, "", r.reason+" (reached through "+v.How()+")")
			return
		}
	}
	for i := range rd.Commands {
		if v := &rd.Commands[i]; !v.View {
			if dst := pushesMain(v); dst != "" {
				res.set(Block, RuleGitProtected, High, "", reasonProtected+" (reached through "+v.How()+" pushes to "+dst+")")
				return
			}
		}
	}
	switch {
	case allow == nil:
		c.commandResult(nil, res)
		return
	case rd.Why != "":
		res.set(RequireApproval, RuleCommandDefault, Medium, RepositoryOwners,
			reasonNoAllow+" (the command line could not be read as a shell would read it: "+rd.Why+")")
		return
	}
	for _, p := range rd.Commands {
		if p.Exact && !p.View && firstMatch(c.cmdAllow, p.Raw, false) == nil && firstMatch(c.cmdAllow, p.Norm, false) == nil {
			res.set(RequireApproval, RuleCommandDefault, Medium, RepositoryOwners,
				reasonNoAllow+" (a line is allowed only if every command in it is, and "+strconv.Quote(p.Raw)+" is not)")
			return
		}
	}
	c.commandResult(allow, res)
}

func (c *Compiled) commandResult(allow *starRule, res *Result) {
	if allow != nil {
		res.set(Allow, RuleCommandAllow, Low, "", allow.reason)
		return
	}
	res.set(RequireApproval, RuleCommandDefault, Medium, RepositoryOwners, reasonNoAllow)
}

// cmdSeverity is CAVRA's severity for a blocked command.
func cmdSeverity(s string) Severity {
	if strings.Contains(s, "apply") || strings.Contains(s, "delete") {
		return Critical
	}
	return High
}

// pushesMain returns what a command pushes to main or master ("" if
// nothing): the branch, or how every branch is pushed.
func pushesMain(c *shell.Command) string {
	if len(c.Words) <= c.Prog || shell.Base(c.Words[c.Prog]) != "git" {
		return ""
	}
	var buf [8]string
	p, ok := shell.ReadPush(c.Args(), buf[:0])
	return protectedRef(p, ok)
}

func protectedRef(p shell.Push, ok bool) string {
	switch {
	case !ok:
		return ""
	case p.All:
		return p.AllBy + " (every branch, main included)"
	}
	for _, ref := range p.Refs {
		if b, _ := shell.Branch(ref); b == "main" || b == "master" {
			return b
		}
	}
	return ""
}

// evalGit decides a git_operation: CAVRA's rule (a push whose target ends
// in main or master is blocked), also applied when the operation is a
// push written out ("push origin main", "git push -f origin HEAD:main"),
// padded with white space, or the target has a trailing slash.
func evalGit(req *Request, res *Result) {
	op, target := req.Op(), req.Target
	if op == "push" && protectedSuffix(target) {
		res.set(Block, RuleGitProtected, High, "", reasonProtected)
		return
	}
	words := strings.Fields(op)
	if len(words) > 0 && words[0] == "git" {
		words = words[1:]
	}
	var buf [8]string
	if p, ok := shell.ReadPush(words, buf[:0]); ok {
		if t := strings.TrimRight(strings.TrimSpace(target), "/"); protectedSuffix(t) {
			res.set(Block, RuleGitProtected, High, "", reasonProtected+fmt.Sprintf(" (reached through the operation %q on target %q)", op, target))
			return
		}
		if dst := protectedRef(p, ok); dst != "" {
			res.set(Block, RuleGitProtected, High, "", reasonProtected+fmt.Sprintf(" (reached through the operation %q, which pushes to %s)", op, dst))
			return
		}
	}
	res.set(Allow, RuleGitAllow, Low, "", reasonGitAllow)
}

func protectedSuffix(t string) bool {
	return strings.HasSuffix(t, "main") || strings.HasSuffix(t, "master")
}

// evalMCP decides an MCP call without a registry, as CAVRA does; a
// blocked server also matches when written with other case or padded.
func (c *Compiled) evalMCP(req *Request, res *Result) {
	s := req.Server
	blocked := slices.ContainsFunc(c.mcpBlocked, func(b string) bool { return b == s || strings.EqualFold(b, strings.TrimSpace(s)) })
	if blocked || c.blockUnknown && !slices.Contains(c.mcpAllowed, s) {
		res.set(Block, RuleMCPBlockUnknown, High, "", reasonUntrustedMCP)
		return
	}
	res.set(Allow, RuleMCPTrustAllow, Low, "", reasonTrustedMCP)
}

// evalCAVRA decides an MCP call with the registry alone, as CAVRA does.
func (r *Registry) evalCAVRA(req *Request, res *Result) {
	var s *server
	for _, x := range r.list {
		if x.id == req.Server || x.name == req.Server {
			s = x
			break
		}
	}
	switch {
	case s == nil:
		res.set(Block, RuleRegistryUnknown, High, "", "MCP server is not registered.")
	case s.tier == "blocked" || s.state == "denied":
		res.set(Block, RuleRegistryBlocked, High, "", "MCP server is blocked or denied in the trust registry.")
	case s.state == "pending" || s.tier == "unknown" || s.tier == "experimental":
		res.set(RequireApproval, RuleRegistryApproval, Medium, AIGovernance, "MCP server requires trust approval before use.")
	case !s.tools.match(req.Tool):
		res.set(RequireApproval, RuleRegistryTool, Medium, AIGovernance, "MCP tool is outside the server's approved tool scope.")
	case req.Capability != "" && !s.caps.match(req.Capability):
		res.set(RequireApproval, RuleRegistryCap, Medium, AIGovernance, "MCP capability is outside the server's approved capability scope.")
	default:
		res.set(Allow, RuleRegistryAllow, Low, "", "MCP server is approved in the trust registry.")
	}
}
