package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RegistrySchema is the required value of a registry file's "schema".
const RegistrySchema = "cavra.mcp-registry/v1"

// TrustTier grades how far an MCP server is trusted. In increasing
// order: untrusted, community, verified, internal.
type TrustTier string

// Trust tiers, lowest first.
const (
	Untrusted TrustTier = "untrusted"
	Community TrustTier = "community"
	Verified  TrustTier = "verified"
	Internal  TrustTier = "internal"
)

var tierNames = []string{string(Untrusted), string(Community), string(Verified), string(Internal)}

// rank returns the tier's position in tierNames, or -1.
func (t TrustTier) rank() int { return slices.Index(tierNames, string(t)) }

// Approval is an MCP server's review state in the registry.
type Approval string

// Approval states. Only Approved servers can be allowed.
const (
	Approved Approval = "approved"
	Pending  Approval = "pending"
	Denied   Approval = "denied"
	Revoked  Approval = "revoked"
)

// RegistryFile is the JSON form of an MCP trust registry.
type RegistryFile struct {
	Schema  string   `json:"schema"`
	Servers []Server `json:"servers"`
}

// Server is one registry entry. Tools and Capabilities are allow lists
// of patterns (* and ? within one name); an empty list allows nothing.
type Server struct {
	Name         string    `json:"name"`
	Approval     Approval  `json:"approval"`
	TrustTier    TrustTier `json:"trust_tier"`
	Tools        []string  `json:"tools"`
	Capabilities []string  `json:"capabilities"`
	Owner        string    `json:"owner,omitempty"`
	Notes        string    `json:"notes,omitempty"`
}

// Registry is a compiled MCP trust registry, read from CAVRA's format
// or the native one. It is immutable and safe for concurrent use.
type Registry struct {
	servers map[string]*server // native semantics, by name (and server_id)
	cavra   []cavraServer      // CAVRA semantics, in file order
}

// nameSet is an allow list of tool or capability names.
type nameSet struct {
	any   bool // CAVRA's empty list: anything
	exact []string
	globs []*glob
}

func (n *nameSet) match(s string) bool {
	return n.any || slices.Contains(n.exact, s) || matchName(n.globs, s)
}

func (n *nameSet) empty() bool { return !n.any && len(n.exact) == 0 && len(n.globs) == 0 }

type server struct {
	approval Approval
	tier     int
	tools    nameSet
	caps     nameSet
}

// cavraServer is one record of CAVRA's trust registry.
type cavraServer struct {
	id, name, tier, state string
	tools, caps           nameSet
}

// Len returns the number of servers in the registry.
func (r *Registry) Len() int { return len(r.cavra) }

// LoadRegistry reads and compiles a registry file.
func LoadRegistry(name string) (*Registry, error) {
	data, err := readFile(name)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return ParseRegistry(data, name)
}

// ParseRegistry compiles registry JSON: CAVRA's trust registry
// ({"mcp_servers": [...]}) or a native registry (with "schema"), told
// apart by shape. Both are read strictly: a repeated key, a member of the
// wrong type or malformed JSON is an error. A native registry also
// rejects unknown members, duplicate server names, unknown approval
// states and trust tiers, and bad patterns. source names the input in
// error messages.
func ParseRegistry(data []byte, source string) (*Registry, error) {
	t, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("registry: %s: %w", source, err)
	}
	if t.kind == 'o' && slices.Contains(t.keys, "schema") {
		var f RegistryFile
		if err := decodeStrict(data, &f); err != nil {
			return nil, fmt.Errorf("registry: %s: %w", source, err)
		}
		r, err := CompileRegistry(&f)
		if err != nil {
			return nil, fmt.Errorf("registry: %s: %w", source, err)
		}
		return r, nil
	}
	r, err := cavraRegistry(t)
	if err != nil {
		return nil, fmt.Errorf("registry: %s: %w", source, err)
	}
	return r, nil
}

// cavraRegistry reads CAVRA's trust registry.
func cavraRegistry(t *node) (*Registry, error) {
	if t.kind != 'o' {
		return nil, fmt.Errorf("is %s, want an object", kindNames[t.kind])
	}
	list, err := t.member("", "mcp_servers")
	if err != nil {
		return nil, err
	}
	if list == nil {
		return nil, errors.New(`not a trust registry: no "mcp_servers" (and no "schema" for a native one)`)
	}
	if list.kind != 'a' && list.kind != 'z' {
		return nil, fmt.Errorf("mcp_servers: is %s, want a list", kindNames[list.kind])
	}
	r := &Registry{servers: map[string]*server{}}
	for i, rec := range list.vals {
		where := fmt.Sprintf("mcp_servers[%d]", i)
		if rec.kind != 'o' {
			return nil, fmt.Errorf("%s: is %s, want an object", where, kindNames[rec.kind])
		}
		var f [4]string
		for k, name := range [...]string{"server_id", "name", "trust_tier", "approval_state"} {
			n, err := rec.member(where+".", name)
			if err != nil {
				return nil, err
			}
			if f[k], err = n.stringValue(where + "." + name); err != nil {
				return nil, err
			}
		}
		var l [2][]string
		for k, name := range [...]string{"capabilities", "allowed_tools"} {
			n, err := rec.member(where+".", name)
			if err != nil {
				return nil, err
			}
			if n != nil && n.kind == 'a' {
				for j, v := range n.vals {
					if v.kind != 's' {
						return nil, fmt.Errorf("%s.%s[%d]: is %s, want a string", where, name, j, kindNames[v.kind])
					}
					l[k] = append(l[k], v.text)
				}
			} else if n != nil && n.kind != 'z' {
				return nil, fmt.Errorf("%s.%s: is %s, want a list of strings", where, name, kindNames[n.kind])
			}
		}
		cs := cavraServer{id: f[0], name: f[1], tier: f[2], state: f[3],
			caps: nameSet{any: len(l[0]) == 0, exact: l[0]}, tools: nameSet{any: len(l[1]) == 0, exact: l[1]}}
		r.cavra = append(r.cavra, cs)
		// The native reading, for native packs.
		ns := &server{approval: Approved, tier: Verified.rank(), tools: cs.tools, caps: cs.caps}
		switch {
		case cs.tier == "blocked" || cs.state == "denied":
			ns.approval = Denied
		case cs.state == "pending" || cs.tier == "unknown" || cs.tier == "experimental":
			ns.approval = Pending
		}
		for _, k := range [...]string{cs.id, cs.name} {
			if _, dup := r.servers[k]; k != "" && !dup {
				r.servers[k] = ns
			}
		}
	}
	return r, nil
}

// CompileRegistry validates and compiles a native registry.
func CompileRegistry(f *RegistryFile) (*Registry, error) {
	if f.Schema != RegistrySchema {
		return nil, fmt.Errorf("schema is %q, want %q", f.Schema, RegistrySchema)
	}
	r := &Registry{servers: make(map[string]*server, len(f.Servers))}
	for i, s := range f.Servers {
		where := fmt.Sprintf("servers[%d] %q", i, s.Name)
		if strings.TrimSpace(s.Name) == "" {
			return nil, fmt.Errorf("%s: empty name", where)
		}
		if r.servers[s.Name] != nil {
			return nil, fmt.Errorf("%s: duplicate name", where)
		}
		state := "approved"
		switch s.Approval {
		case Approved:
		case Pending:
			state = "pending"
		case Denied, Revoked:
			state = "denied"
		default:
			return nil, fmt.Errorf("%s: approval %q: want approved, pending, denied or revoked", where, s.Approval)
		}
		cs := &server{approval: s.Approval, tier: s.TrustTier.rank()}
		if cs.tier < 0 {
			return nil, fmt.Errorf("%s: trust_tier %q: want one of %s", where, s.TrustTier, strings.Join(tierNames, ", "))
		}
		var err error
		if cs.tools.globs, err = nameGlobs(s.Tools); err != nil {
			return nil, fmt.Errorf("%s: tools: %w", where, err)
		}
		if cs.caps.globs, err = nameGlobs(s.Capabilities); err != nil {
			return nil, fmt.Errorf("%s: capabilities: %w", where, err)
		}
		r.servers[s.Name] = cs
		tier := "approved"
		if s.TrustTier == Untrusted {
			tier = "unknown"
		}
		r.cavra = append(r.cavra, cavraServer{id: s.Name, name: s.Name, tier: tier, state: state, tools: cs.tools, caps: cs.caps})
	}
	return r, nil
}

// evalCAVRA decides an MCP call with the registry alone, as CAVRA does.
func (r *Registry) evalCAVRA(req *Request, res *Result) {
	var s *cavraServer
	for i := range r.cavra {
		if r.cavra[i].id == req.Server || r.cavra[i].name == req.Server {
			s = &r.cavra[i]
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

// nameGlobs compiles patterns for single names: / has no meaning in them.
func nameGlobs(pats []string) ([]*glob, error) {
	var gs []*glob
	for _, p := range pats {
		if p == "" || strings.ContainsAny(p, "/ ") || strings.Contains(p, "**") {
			return nil, fmt.Errorf("bad pattern %q: want a name with optional * and ?", p)
		}
		g, err := compileGlob(p, false, false)
		if err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", p, err)
		}
		gs = append(gs, g)
	}
	return gs, nil
}

func matchName(gs []*glob, name string) bool {
	for _, g := range gs {
		if matchOne(&g.segs[0], name) {
			return true
		}
	}
	return false
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
		s = reg.servers[req.Server]
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
	case s.tier < p.minTier:
		return f.mcpLowTier
	case !s.tools.match(req.Tool):
		return f.mcpTool
	case req.Capability == "" && !s.caps.empty(),
		req.Capability != "" && !s.caps.match(req.Capability):
		return f.mcpCap
	}
	return f.mcpAllowed
}
