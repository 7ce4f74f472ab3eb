package policy

import (
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

// Registry is a compiled MCP trust registry. It is immutable and safe
// for concurrent use.
type Registry struct {
	servers map[string]*server
}

type server struct {
	approval Approval
	tier     int
	tools    []*glob
	caps     []*glob
}

// Len returns the number of servers in the registry.
func (r *Registry) Len() int { return len(r.servers) }

// LoadRegistry reads and compiles a registry file.
func LoadRegistry(name string) (*Registry, error) {
	data, err := readFile(name)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return ParseRegistry(data, name)
}

// ParseRegistry compiles registry JSON. Like Parse it rejects unknown
// members; it also rejects duplicate server names, unknown approval
// states and trust tiers, and bad patterns. source names the input in
// error messages.
func ParseRegistry(data []byte, source string) (*Registry, error) {
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

// CompileRegistry validates and compiles a registry.
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
		switch s.Approval {
		case Approved, Pending, Denied, Revoked:
		default:
			return nil, fmt.Errorf("%s: approval %q: want approved, pending, denied or revoked", where, s.Approval)
		}
		cs := &server{approval: s.Approval, tier: s.TrustTier.rank()}
		if cs.tier < 0 {
			return nil, fmt.Errorf("%s: trust_tier %q: want one of %s", where, s.TrustTier, strings.Join(tierNames, ", "))
		}
		var err error
		if cs.tools, err = nameGlobs(s.Tools); err != nil {
			return nil, fmt.Errorf("%s: tools: %w", where, err)
		}
		if cs.caps, err = nameGlobs(s.Capabilities); err != nil {
			return nil, fmt.Errorf("%s: capabilities: %w", where, err)
		}
		r.servers[s.Name] = cs
	}
	return r, nil
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
	case !matchName(s.tools, req.Tool):
		return f.mcpTool
	case req.Capability == "" && len(s.caps) > 0,
		req.Capability != "" && !matchName(s.caps, req.Capability):
		return f.mcpCap
	}
	return f.mcpAllowed
}
