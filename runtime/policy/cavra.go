package policy

import (
	"embed"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
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

// Compiled is a CAVRA compiled policy: the output of `cavra policy
// compile`, built in or loaded from a file. It is immutable and safe for
// concurrent use.
type Compiled struct {
	id, title, description string
	tree                   *node
	printed                []byte // the compiled form as cavra prints it

	readBlock, writeBlock, writeApprove []starRule
	cmdBlock, cmdAllow                  []starRule
	mcpAllowed, mcpBlocked              []string
	blockUnknown                        bool
}

// starRule is one CAVRA pattern: * (and **) match any run of
// characters but a newline, / included; everything else is literal; the
// pattern must match the whole subject. (CAVRA quotes the pattern for a
// regular expression, turns each * into .* and anchors it at both ends.)
// Leftmost matching of the literal parts finds a match if there is one,
// for patterns whose literal parts hold no newline.
type starRule struct {
	pat    string
	parts  []string // pat split at '*'
	lower  []string // parts in ASCII lower case, for case-insensitive matching
	reason string
}

func newStarRules(pats []string, reason string) []starRule {
	rs := make([]starRule, len(pats))
	for i, p := range pats {
		rs[i] = starRule{pat: p, parts: strings.Split(p, "*"), reason: reason + p}
		for _, s := range rs[i].parts {
			rs[i].lower = append(rs[i].lower, asciiLower(s))
		}
	}
	return rs
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// match reports whether the rule matches s; with fold, ASCII letters
// match regardless of case.
func (r *starRule) match(s string, fold bool) bool {
	parts := r.parts
	if fold {
		parts = r.lower
	}
	if len(parts) == 1 {
		return equalFold(s, parts[0], fold)
	}
	pre, suf := parts[0], parts[len(parts)-1]
	if len(s) < len(pre)+len(suf) || !equalFold(s[:len(pre)], pre, fold) || !equalFold(s[len(s)-len(suf):], suf, fold) {
		return false
	}
	mid := s[len(pre) : len(s)-len(suf)]
	for _, p := range parts[1 : len(parts)-1] {
		if p == "" {
			continue
		}
		i := indexFold(mid, p, fold)
		if i < 0 || strings.IndexByte(mid[:i], '\n') >= 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	// As in CAVRA's regular expression, * (.*) does not match a newline.
	return strings.IndexByte(mid, '\n') < 0
}

func equalFold(s, lower string, fold bool) bool {
	if !fold {
		return s == lower
	}
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func indexFold(s, lower string, fold bool) int {
	if !fold {
		return strings.Index(s, lower)
	}
	for i := 0; i+len(lower) <= len(s); i++ {
		if equalFold(s[i:i+len(lower)], lower, true) {
			return i
		}
	}
	return -1
}

func firstMatch(rules []starRule, s string, fold bool) *starRule {
	for i := range rules {
		if rules[i].match(s, fold) {
			return &rules[i]
		}
	}
	return nil
}

// ID returns metadata.id ("" if the policy has none).
func (c *Compiled) ID() string { return c.id }

// Title returns metadata.title.
func (c *Compiled) Title() string { return c.title }

// Description returns metadata.description.
func (c *Compiled) Description() string { return c.description }

// CompiledJSON returns the policy as `cavra policy compile` prints it:
// JSON indented by two spaces, members in order, non-ASCII text as is,
// ending in a newline.
func (c *Compiled) CompiledJSON() []byte {
	if c.printed != nil {
		return slices.Clone(c.printed)
	}
	return append(c.tree.appendPython(nil, 0), '\n')
}

// ParseCompiled reads a CAVRA compiled policy. Like CAVRA's runtime it
// enforces metadata.id, filesystem.block_read, .block_write and
// .require_approval_write, commands.block and .allow, and
// mcp.allowed_servers, .blocked_servers and .block_unknown_servers
// (true when absent), and carries everything else. Unlike it, it
// rejects malformed JSON, a key repeated (in any spelling of an enforced
// member), enforced members of the wrong type, and input that is not an
// object with at least one of metadata, filesystem, commands and mcp.
// source names the input in error messages.
func ParseCompiled(data []byte, source string) (*Compiled, error) {
	t, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", source, err)
	}
	c, err := compiledFromTree(t)
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", source, err)
	}
	return c, nil
}

func compiledFromTree(t *node) (*Compiled, error) {
	if t.kind != 'o' {
		return nil, fmt.Errorf("is %s, want an object", kindNames[t.kind])
	}
	var sec [4]*node
	for i, name := range [...]string{"metadata", "filesystem", "commands", "mcp"} {
		n, err := t.member("", name)
		if err != nil {
			return nil, err
		}
		if sec[i], err = n.object(name); err != nil {
			return nil, err
		}
		if n == nil {
			sec[i] = nil
		}
	}
	if sec[0] == nil && sec[1] == nil && sec[2] == nil && sec[3] == nil {
		return nil, errors.New("not a CAVRA compiled policy: none of metadata, filesystem, commands, mcp")
	}
	c := &Compiled{tree: t, blockUnknown: true}
	get := func(s int, where, name string) (*node, error) {
		if sec[s] == nil {
			return nil, nil
		}
		return sec[s].member(where+".", name)
	}
	list := func(s int, where, name string) ([]string, error) {
		n, err := get(s, where, name)
		if err != nil {
			return nil, err
		}
		return n.stringList(where + "." + name)
	}
	var err error
	str := func(name string) string {
		n, e := get(0, "metadata", name)
		if e != nil && err == nil {
			err = e
		}
		if n != nil && n.kind == 's' {
			return n.text
		}
		return ""
	}
	n, e := get(0, "metadata", "id")
	if e != nil {
		return nil, e
	}
	if c.id, err = n.stringValue("metadata.id"); err != nil {
		return nil, err
	}
	c.title, c.description = str("title"), str("description")
	var pats [7][]string
	for i, f := range [...]struct {
		s          int
		where, key string
	}{
		{1, "filesystem", "block_read"}, {1, "filesystem", "block_write"}, {1, "filesystem", "require_approval_write"},
		{2, "commands", "block"}, {2, "commands", "allow"},
		{3, "mcp", "allowed_servers"}, {3, "mcp", "blocked_servers"},
	} {
		if pats[i], err = list(f.s, f.where, f.key); err != nil {
			return nil, err
		}
	}
	b, err := get(3, "mcp", "block_unknown_servers")
	if err != nil {
		return nil, err
	}
	if b != nil && b.kind != 'z' {
		if b.kind != 'b' {
			return nil, fmt.Errorf("mcp.block_unknown_servers: is %s, want a boolean", kindNames[b.kind])
		}
		c.blockUnknown = b.text == "true"
	}
	const blocked, approval, allowed = "Matched sensitive path policy: ", "Matched approval-required path policy: ", "Matched allowed command policy: "
	c.readBlock = newStarRules(pats[0], blocked)
	c.writeBlock = newStarRules(pats[1], blocked)
	c.writeApprove = newStarRules(pats[2], approval)
	c.cmdBlock = newStarRules(pats[3], "Matched blocked command policy: ")
	c.cmdAllow = newStarRules(pats[4], allowed)
	c.mcpAllowed, c.mcpBlocked = pats[5], pats[6]
	return c, nil
}

// Built-in CAVRA packs: packs/<id>.json is what `cavra policy compile
// --policy-pack <id>` prints for the public policies/<id>/policy.yaml
// (see packs/README.md).
//
//go:embed packs/*.json
var packFS embed.FS

// CAVRAPacks lists the built-in CAVRA packs, sorted.
var CAVRAPacks = []string{
	"cavra-agentic-delivery", "cavra-ai-agent-baseline", "cavra-banking-baseline", "cavra-cloud-iam",
	"cavra-eu-ai-act", "cavra-github-enterprise", "cavra-gitlab-enterprise", "cavra-hipaa",
	"cavra-iso27001", "cavra-kubernetes-prod", "cavra-mcp-enterprise", "cavra-nist-ssdf",
	"cavra-owasp-llm-agentic", "cavra-pci-dss", "cavra-sox-change-control", "cavra-terraform-prod",
}

var cavraPacks = sync.OnceValues(func() (map[string]*Compiled, error) {
	m := map[string]*Compiled{}
	for _, id := range CAVRAPacks {
		data, err := packFS.ReadFile("packs/" + id + ".json")
		if err != nil {
			return nil, err
		}
		c, err := ParseCompiled(data, "built-in "+id)
		if err != nil {
			return nil, err
		}
		if c.id != id {
			return nil, fmt.Errorf("built-in pack %s has metadata.id %q", id, c.id)
		}
		c.printed = data
		m[id] = c
	}
	return m, nil
})

// cleanForms returns the other spellings of a path that a file system
// may resolve to the same file: backslashes read as separators, then
// path.Clean applied ("./.env", "a/../.env", "deploy//key.pem"), and the
// Windows reading of that (trailing dots and spaces, NTFS streams
// dropped). Spellings equal to target are left out.
func cleanForms(target string, out []string) []string {
	t := target
	if strings.IndexByte(t, '\\') >= 0 {
		t = strings.ReplaceAll(t, `\`, "/")
	}
	if t != target {
		out = append(out, t)
	}
	c := path.Clean(t)
	if c == "." {
		return out
	}
	if c != target && c != t {
		out = append(out, c)
	}
	if w := windowsForm(c); w != c && w != target {
		out = append(out, w)
	}
	return out
}

// needsForms reports whether target could be spelled more plainly or
// has upper-case letters.
func needsForms(t string) bool {
	if t == "" {
		return false
	}
	if t[len(t)-1] == '/' || t[len(t)-1] == '.' || t[len(t)-1] == ' ' {
		return true
	}
	prev := byte('/')
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case 'A' <= c && c <= 'Z', c == '\\', c == ':':
			return true
		case c == '/' && prev == '/' && i > 0:
			return true
		case c == '.' && prev == '/' && (i+1 == len(t) || t[i+1] == '/' || t[i+1] == '.' && (i+2 == len(t) || t[i+2] == '/')):
			return true
		case (c == '.' || c == ' ') && i+1 < len(t) && t[i+1] == '/':
			return true
		}
		prev = c
	}
	return false
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
// then on its other spellings (cleaned, Windows reading, ignoring case),
// the most restrictive answer winning.
func (c *Compiled) evalFile(target string, write bool, res *Result) {
	v, r := c.fileAnswer(target, write, false)
	how := ""
	if v != Block && needsForms(target) {
		var buf [3]string
		forms := append(cleanForms(target, buf[:0]), target)
		for _, f := range forms {
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
	c.fileResult(v, r, write, how, res)
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

func (c *Compiled) fileResult(v Verdict, r *starRule, write bool, how string, res *Result) {
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

// cmdSeverity is CAVRA's severity for a blocked command.
func cmdSeverity(s string) Severity {
	if strings.Contains(s, "apply") || strings.Contains(s, "delete") {
		return Critical
	}
	return High
}

// evalGit decides a git_operation: CAVRA's rule (a push whose target ends
// in main or master is blocked), also applied when the operation is a
// push written out ("push origin main", "git push -f origin HEAD:main"),
// padded with white space, or the target has a trailing slash.
func evalGit(req *Request, res *Result) {
	op, target := req.Op(), req.Target
	res.ActionType, res.Target, res.Operation = GitOperation, target, op
	if op == "" {
		res.Operation = target
	}
	if op == "push" && protectedSuffix(target) {
		res.set(Block, RuleGitProtected, High, "", reasonProtected)
		return
	}
	words := strings.Fields(op)
	if len(words) > 0 && words[0] == "git" {
		words = words[1:]
	}
	if len(words) > 0 && words[0] == "push" {
		t := strings.TrimRight(strings.TrimSpace(target), "/")
		if protectedSuffix(t) {
			res.set(Block, RuleGitProtected, High, "", reasonProtected+fmt.Sprintf(" (reached through the operation %q on target %q)", op, target))
			return
		}
		if dst, ok := pushesProtected(words[1:]); ok {
			res.set(Block, RuleGitProtected, High, "", reasonProtected+fmt.Sprintf(" (reached through the operation %q, which pushes to %s)", op, dst))
			return
		}
	}
	res.set(Allow, RuleGitAllow, Low, "", reasonGitAllow)
}

func protectedSuffix(t string) bool {
	return strings.HasSuffix(t, "main") || strings.HasSuffix(t, "master")
}

// pushesProtected reads the arguments of git push and reports whether a
// refspec updates main or master, or all branches are pushed.
func pushesProtected(args []string) (string, bool) {
	pos := 0
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			switch {
			case a == "--all" || a == "--branches" || a == "--mirror":
				return a + " (every branch, main included)", true
			case a == "--repo" || a == "-o" || a == "--push-option" || a == "--receive-pack" || a == "--exec":
				i++
			}
			continue
		}
		pos++
		if pos == 1 {
			continue // the remote
		}
		dst := strings.TrimPrefix(a, "+")
		if j := strings.LastIndexByte(dst, ':'); j >= 0 {
			dst = dst[j+1:]
		}
		dst = strings.TrimPrefix(dst, "refs/heads/")
		if dst == "main" || dst == "master" {
			return dst, true
		}
	}
	return "", false
}

// evalMCP decides an MCP call without a registry, as CAVRA does; a
// blocked server also matches when written with other case or padded.
func (c *Compiled) evalMCP(req *Request, res *Result) {
	s := req.Server
	blocked := slices.Contains(c.mcpBlocked, s)
	if !blocked {
		t := strings.TrimSpace(s)
		for _, b := range c.mcpBlocked {
			if strings.EqualFold(b, t) {
				blocked = true
			}
		}
	}
	if blocked || c.blockUnknown && !slices.Contains(c.mcpAllowed, s) {
		res.set(Block, RuleMCPBlockUnknown, High, "", reasonUntrustedMCP)
		return
	}
	res.set(Allow, RuleMCPTrustAllow, Low, "", reasonTrustedMCP)
}

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
