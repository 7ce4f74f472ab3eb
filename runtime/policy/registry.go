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

// RegistryFile is the JSON form of a native MCP trust registry: its
// schema and its servers.
type RegistryFile struct {
	Schema  string   `json:"schema"`
	Servers []Server `json:"servers"`
}

// Server is one native registry entry: name, approval state, trust tier,
// the tools and capabilities allowed (patterns with * and ? within one
// name; an empty list allows nothing), owner and notes.
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
	list   []*server          // in file order: CAVRA's reading takes the first whose id or name matches
	byName map[string]*server // the native reading: by name (and server_id), the first given
}

// nameSet is an allow list of tool or capability names.
type nameSet struct {
	any   bool // CAVRA's empty list: anything
	exact []string
	globs []*glob
}

func (n *nameSet) match(s string) bool {
	return n.any || slices.Contains(n.exact, s) || slices.ContainsFunc(n.globs, func(g *glob) bool { return matchOne(&g.segs[0], s) })
}

func (n *nameSet) empty() bool { return !n.any && len(n.exact) == 0 && len(n.globs) == 0 }

// server is one registry entry, in both readings: CAVRA's, with
// trust_tier and approval_state as written, and the native one.
type server struct {
	id, name, tier, state string
	approval              Approval
	rank                  int
	tools, caps           nameSet
}

func (r *Registry) add(s *server) {
	r.list = append(r.list, s)
	for _, k := range [...]string{s.id, s.name} {
		if _, dup := r.byName[k]; k != "" && !dup {
			r.byName[k] = s
		}
	}
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
	r := &Registry{byName: map[string]*server{}}
	for i, rec := range list.Elems {
		where := fmt.Sprintf("mcp_servers[%d]", i)
		if rec.Kind != strictjson.Object {
			return nil, fmt.Errorf("%s: is a JSON %s, want an object", where, rec.Kind)
		}
		var f [4]string
		for k, name := range [...]string{"server_id", "name", "trust_tier", "approval_state"} {
			var err error
			if f[k], err = stringOf(rec.Member(name), where+"."+name); err != nil {
				return nil, err
			}
		}
		var l [2][]string
		for k, name := range [...]string{"capabilities", "allowed_tools"} {
			var err error
			if l[k], err = stringList(rec.Member(name), where+"."+name, false); err != nil {
				return nil, err
			}
		}
		// CAVRA's reading, and the native one for native packs.
		s := &server{id: f[0], name: f[1], tier: f[2], state: f[3], approval: Approved, rank: Verified.rank(),
			caps: nameSet{any: len(l[0]) == 0, exact: l[0]}, tools: nameSet{any: len(l[1]) == 0, exact: l[1]}}
		switch {
		case s.tier == "blocked" || s.state == "denied":
			s.approval = Denied
		case s.state == "pending" || s.tier == "unknown" || s.tier == "experimental":
			s.approval = Pending
		}
		r.add(s)
	}
	return r, nil
}

// CompileRegistry validates and compiles a native registry.
func CompileRegistry(f *RegistryFile) (*Registry, error) {
	if f.Schema != RegistrySchema {
		return nil, fmt.Errorf("schema is %q, want %q", f.Schema, RegistrySchema)
	}
	r := &Registry{byName: map[string]*server{}}
	for i, s := range f.Servers {
		where := fmt.Sprintf("servers[%d] %q", i, s.Name)
		if strings.TrimSpace(s.Name) == "" {
			return nil, fmt.Errorf("%s: empty name", where)
		}
		if r.byName[s.Name] != nil {
			return nil, fmt.Errorf("%s: duplicate name", where)
		}
		// The native reading, and CAVRA's for CAVRA packs.
		cs := &server{id: s.Name, name: s.Name, tier: "approved", state: "approved", approval: s.Approval, rank: s.TrustTier.rank()}
		switch s.Approval {
		case Approved:
		case Pending:
			cs.state = "pending"
		case Denied, Revoked:
			cs.state = "denied"
		default:
			return nil, fmt.Errorf("%s: approval %q: want approved, pending, denied or revoked", where, s.Approval)
		}
		if cs.rank < 0 {
			return nil, fmt.Errorf("%s: trust_tier %q: want one of %s", where, s.TrustTier, strings.Join(tierNames, ", "))
		}
		if s.TrustTier == Untrusted {
			cs.tier = "unknown"
		}
		var err error
		if cs.tools.globs, err = nameGlobs(s.Tools); err != nil {
			return nil, fmt.Errorf("%s: tools: %w", where, err)
		}
		if cs.caps.globs, err = nameGlobs(s.Capabilities); err != nil {
			return nil, fmt.Errorf("%s: capabilities: %w", where, err)
		}
		r.add(cs)
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
