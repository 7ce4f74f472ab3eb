package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Schema is the required value of a policy file's "schema" member.
const Schema = "cavra.policy/v1"

// Native is the JSON form of a native policy pack, each field the member
// its tag names (packs/*.json hold three); Compile turns it into a Policy.
type Native struct {
	Schema        string       `json:"schema"`
	Name          string       `json:"name"`
	Description   string       `json:"description,omitempty"`
	ApproverGroup string       `json:"approver_group"`
	Reads         FileRules    `json:"reads"`
	Writes        FileRules    `json:"writes"`
	Commands      CommandRules `json:"commands"`
	Git           GitRules     `json:"git"`
	MCP           MCPRules     `json:"mcp"`
}

// Rule is a named rule: its id, the patterns it matches, and the
// severity, reason and approver group to give when one does. Whether it
// blocks, asks for approval or allows depends on the list it is in.
type Rule struct {
	ID            string   `json:"id"`
	Patterns      []string `json:"patterns"`
	Severity      Severity `json:"severity"`
	Reason        string   `json:"reason"`
	ApproverGroup string   `json:"approver_group,omitempty"`
}

// FileRules are the path rules for reads or for writes: blocked, then
// needing approval. Paths matching no rule are allowed.
type FileRules struct {
	Blocked  []Rule `json:"blocked"`
	Approval []Rule `json:"approval"`
}

// CommandRules are the command rules: blocked, needing approval, allowed.
// A command line is allowed only if every command in it is.
type CommandRules struct {
	Blocked  []Rule `json:"blocked"`
	Approval []Rule `json:"approval"`
	Allowed  []Rule `json:"allowed"`
}

// GitRules govern git pushes, asked for as git_operation or found in an
// execute_command line: protected branches, and the effects of a force
// push and of a push whose branch cannot be told.
type GitRules struct {
	ProtectedBranches []Rule  `json:"protected_branches"`
	ForcePush         Verdict `json:"force_push"`
	UnknownRef        Verdict `json:"unknown_ref"`
	ApproverGroup     string  `json:"approver_group,omitempty"`
}

// MCPRules govern MCP tool calls, with the trust registry: blocked and
// trusted servers, the lowest trust tier, and the effect of each failed
// check (see the package documentation).
type MCPRules struct {
	BlockedServers       []Rule    `json:"blocked_servers"`
	TrustedServers       []Rule    `json:"trusted_servers"`
	MinTrustTier         TrustTier `json:"min_trust_tier"`
	UnknownServer        Verdict   `json:"unknown_server"`
	UnapprovedServer     Verdict   `json:"unapproved_server"`
	LowTrustTier         Verdict   `json:"low_trust_tier"`
	ToolNotAllowed       Verdict   `json:"tool_not_allowed"`
	CapabilityNotAllowed Verdict   `json:"capability_not_allowed"`
	ApproverGroup        string    `json:"approver_group,omitempty"`
}

// Policy is a compiled pack, ready to evaluate requests. It is
// immutable and safe for concurrent use.
type Policy struct {
	name, title string
	raw         []byte // the pack as indented JSON

	readBlock, readApprove   pathSet
	writeBlock, writeApprove pathSet
	argBlock                 pathSet // reads.blocked then writes.blocked
	cmdBlock, cmdApprove     cmdSet
	cmdAllow                 cmdSet
	progs                    map[string]progInfo
	protected                ruleList
	mcpBlocked, mcpTrusted   ruleList
	minTier                  int

	fixed fixedResults
}

// Name returns the pack name.
func (p *Policy) Name() string { return p.name }

// Title returns the pack's description.
func (p *Policy) Title() string { return p.title }

func (p *Policy) evaluate(req *Request, reg *Registry, res *Result) {
	r := p.Evaluate(req, reg)
	res.set(r.Verdict, r.RuleID, r.Severity, r.ApproverGroup, r.Reason)
}

// JSON returns the pack as indented policy JSON, as accepted by Parse.
func (p *Policy) JSON() []byte { return bytes.Clone(p.raw) }

// Parse compiles policy JSON. Unknown members, a missing or different
// schema, and trailing data are errors. source names the input in
// error messages.
func Parse(data []byte, source string) (*Policy, error) {
	var pk Native
	if err := decodeFile(data, &pk); err != nil {
		return nil, fmt.Errorf("policy: %s: %w", source, err)
	}
	p, err := compile(&pk)
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", source, err)
	}
	return p, nil
}

// Compile validates a pack and compiles its patterns. Every rule needs
// an id (lower-case letters, digits, '.', '_' or '-'), unique in the
// pack and not one of the fixed rule ids, a severity, a reason and at
// least one pattern; approval outcomes need an approver group.
func Compile(pk *Native) (*Policy, error) {
	p, err := compile(pk)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return p, nil
}

func compile(pk *Native) (*Policy, error) {
	if pk.Schema != Schema {
		return nil, fmt.Errorf("schema is %q, want %q", pk.Schema, Schema)
	}
	if !validName(pk.Name) {
		return nil, fmt.Errorf("name %q: want lower-case letters, digits, '.', '_' or '-'", pk.Name)
	}
	if strings.TrimSpace(pk.ApproverGroup) == "" {
		return nil, errors.New("approver_group is empty")
	}
	raw, err := json.MarshalIndent(pk, "", "  ")
	if err != nil {
		return nil, err
	}
	p := &Policy{name: pk.Name, title: pk.Description, raw: raw}
	c := compiler{pk: pk, ids: map[string]bool{}}
	for _, id := range fixedIDs {
		c.ids[id] = true
	}
	rb := c.rules("reads.blocked", pk.Reads.Blocked, Block, false, true)
	p.readApprove = newPathSet(c.rules("reads.approval", pk.Reads.Approval, RequireApproval, false, true))
	wb := c.rules("writes.blocked", pk.Writes.Blocked, Block, false, true)
	p.readBlock, p.writeBlock, p.argBlock = newPathSet(rb), newPathSet(wb), newPathSet(slices.Concat(rb, wb))
	p.writeApprove = newPathSet(c.rules("writes.approval", pk.Writes.Approval, RequireApproval, false, true))
	p.cmdBlock = newCmdSet(c.rules("commands.blocked", pk.Commands.Blocked, Block, true, true))
	p.cmdApprove = newCmdSet(c.rules("commands.approval", pk.Commands.Approval, RequireApproval, true, true))
	p.cmdAllow = newCmdSet(c.rules("commands.allowed", pk.Commands.Allowed, Allow, true, false))
	p.protected = c.rules("git.protected_branches", pk.Git.ProtectedBranches, Block, false, true)
	p.mcpBlocked = c.rules("mcp.blocked_servers", pk.MCP.BlockedServers, Block, false, true)
	p.mcpTrusted = c.rules("mcp.trusted_servers", pk.MCP.TrustedServers, Allow, false, false)
	for _, e := range [...]struct {
		where string
		v     Verdict
	}{{"git.force_push", pk.Git.ForcePush}, {"git.unknown_ref", pk.Git.UnknownRef}, {"mcp.unknown_server", pk.MCP.UnknownServer},
		{"mcp.unapproved_server", pk.MCP.UnapprovedServer}, {"mcp.low_trust_tier", pk.MCP.LowTrustTier},
		{"mcp.tool_not_allowed", pk.MCP.ToolNotAllowed}, {"mcp.capability_not_allowed", pk.MCP.CapabilityNotAllowed}} {
		if c.err == nil && e.v != Block && e.v != RequireApproval { // a failed check may not allow
			c.err = fmt.Errorf("%s %q: want block or require_approval", e.where, e.v)
		}
	}
	p.minTier = pk.MCP.MinTrustTier.rank()
	if p.minTier < 0 && c.err == nil {
		c.err = fmt.Errorf("mcp.min_trust_tier %q: want one of %s", pk.MCP.MinTrustTier, strings.Join(tierNames, ", "))
	}
	if c.err != nil {
		return nil, c.err
	}
	p.fixed = newFixed(pk)
	p.indexProgs()
	return p, nil
}

type compiler struct {
	pk  *Native
	ids map[string]bool
	err error // the first problem
}

// rules validates and compiles a list of rules; cmd says they are
// command patterns, fold that they ignore case.
func (c *compiler) rules(where string, rules []Rule, v Verdict, cmd, fold bool) ruleList {
	var l ruleList
	for i := range rules {
		if r, ok := c.rule(where, i, &rules[i], v, cmd, fold); ok {
			l = append(l, r)
		}
	}
	return l
}

// rule validates r and compiles its patterns.
func (c *compiler) rule(where string, i int, r *Rule, v Verdict, cmd, fold bool) (crule, bool) {
	if c.err != nil {
		return crule{}, false
	}
	fail := func(format string, args ...any) (crule, bool) {
		c.err = fmt.Errorf("%s[%d] %q: %s", where, i, r.ID, fmt.Sprintf(format, args...))
		return crule{}, false
	}
	switch {
	case !validName(r.ID):
		return fail("bad id: want lower-case letters, digits, '.', '_' or '-'")
	case c.ids[r.ID]:
		return fail("duplicate id (or one of the fixed rule ids)")
	case !r.Severity.valid():
		return fail("severity %q: want info, low, medium, high or critical", r.Severity)
	case strings.TrimSpace(r.Reason) == "":
		return fail("empty reason")
	case len(r.Patterns) == 0:
		return fail("no patterns")
	}
	c.ids[r.ID] = true
	res := Result{Verdict: v, RuleID: r.ID, Reason: r.Reason, Severity: r.Severity, Pack: c.pk.Name}
	if v == RequireApproval {
		res.ApproverGroup = firstNonEmpty(r.ApproverGroup, c.pk.ApproverGroup)
	}
	cr := crule{res: res}
	for _, pat := range r.Patterns {
		g, err := compileGlob(pat, cmd, fold)
		if err == nil && cmd && g.segs[0].kind == segAny {
			err = errors.New("a command pattern must start with the program name")
		}
		if err != nil {
			return fail("bad glob %q: %v", pat, err)
		}
		if cmd && v != Allow && g.segs[len(g.segs)-1].kind != segAny {
			g.segs = append(g.segs, gseg{kind: segAny}) // block and approval rules match prefixes
		}
		cr.globs = append(cr.globs, g)
	}
	return cr, true
}

func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')) {
			return false
		}
	}
	return true
}

func firstNonEmpty(s ...string) string {
	i := slices.IndexFunc(s, func(s string) bool { return s != "" })
	if i < 0 {
		return ""
	}
	return s[i]
}

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
