package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cavra/cavra/internal/strictjson"
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
// apart by shape. Both are read strictly (see internal/strictjson); a
// member of the wrong type is an error. A native registry also rejects
// unknown members, duplicate server names, unknown approval states and
// trust tiers, and bad patterns. source names the input in error
// messages.
func ParseRegistry(data []byte, source string) (*Registry, error) {
	t, err := parseJSON(data)
	var r *Registry
	switch {
	case err != nil:
	case t.Has("schema"):
		var f RegistryFile
		if err = decodeFile(data, &f); err == nil {
			r, err = CompileRegistry(&f)
		}
	default:
		r, err = cavraRegistry(t)
	}
	if err != nil {
		return nil, fmt.Errorf("registry: %s: %w", source, err)
	}
	return r, nil
}

// cavraRegistry reads CAVRA's trust registry.
func cavraRegistry(t *strictjson.Value) (*Registry, error) {
	if t.Kind != strictjson.Object {
		return nil, fmt.Errorf("is a JSON %s, want an object", t.Kind)
	}
	list := t.Member("mcp_servers")
	switch k := kindOf(list); {
	case list == nil:
		return nil, errors.New(`not a trust registry: no "mcp_servers" (and no "schema" for a native one)`)
	case k != strictjson.Array && k != strictjson.Null:
		return nil, fmt.Errorf("mcp_servers: is a JSON %s, want a list", k)
	}
	r := &Registry{servers: map[string]*server{}}
	for i, rec := range list.Elems {
		where := fmt.Sprintf("mcp_servers[%d]", i)
		if rec.Kind != strictjson.Object {
			return nil, fmt.Errorf("%s: is a JSON %s, want an object", where, rec.Kind)
		}
		var f [4]string
		for k, name := range [...]string{"server_id", "name", "trust_tier", "approval_state"} {
			switch n := rec.Member(name); kindOf(n) {
			case strictjson.String:
				f[k] = n.Text
			case strictjson.Null:
			default:
				return nil, fmt.Errorf("%s.%s: is a JSON %s, want a string", where, name, n.Kind)
			}
		}
		var l [2][]string
		for k, name := range [...]string{"capabilities", "allowed_tools"} {
			n := rec.Member(name)
			if kindOf(n) != strictjson.Array && kindOf(n) != strictjson.Null {
				return nil, fmt.Errorf("%s.%s: is a JSON %s, want a list of strings", where, name, n.Kind)
			}
			for j, v := range elems(n) {
				if v.Kind != strictjson.String {
					return nil, fmt.Errorf("%s.%s[%d]: is a JSON %s, want a string", where, name, j, v.Kind)
				}
				l[k] = append(l[k], v.Text)
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

func elems(v *strictjson.Value) []*strictjson.Value {
	if v == nil {
		return nil
	}
	return v.Elems
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
