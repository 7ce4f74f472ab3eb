package policy

import (
	"embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/cavra/cavra/internal/strictjson"
)

// Compiled is a CAVRA compiled policy: the output of `cavra policy
// compile`, built in or loaded from a file. It is immutable and safe for
// concurrent use.
type Compiled struct {
	id, title string
	tree      *strictjson.Value
	printed   []byte // the compiled form as cavra prints it

	readBlock, writeBlock, writeApprove []starRule
	cmdBlock, cmdAllow                  []starRule
	mcpAllowed, mcpBlocked              []string
	blockUnknown                        bool
}

// Name returns metadata.id ("" if the policy has none).
func (c *Compiled) Name() string { return c.id }

// Title returns metadata.title.
func (c *Compiled) Title() string { return c.title }

// CompiledJSON returns the policy as `cavra policy compile` prints it:
// JSON indented by two spaces, members in order, non-ASCII text as is,
// ending in a new line.
func (c *Compiled) CompiledJSON() []byte {
	if c.printed != nil {
		return slices.Clone(c.printed)
	}
	return append(appendJSON(nil, c.tree, 0), '\n')
}

// ParseCompiled reads a CAVRA compiled policy. Like CAVRA's runtime it
// enforces metadata.id, filesystem.block_read, .block_write and
// .require_approval_write, commands.block and .allow, and
// mcp.allowed_servers, .blocked_servers and .block_unknown_servers
// (true when absent), and carries everything else. Unlike it, it reads
// the JSON strictly (see internal/strictjson), and rejects enforced
// members of the wrong type and input that is not an object with at
// least one of metadata, filesystem, commands and mcp. source names the
// input in error messages.
func ParseCompiled(data []byte, source string) (*Compiled, error) {
	t, err := parseJSON(data)
	if err == nil {
		var c *Compiled
		if c, err = compiledFrom(t); err == nil {
			return c, nil
		}
	}
	return nil, fmt.Errorf("policy: %s: %w", source, err)
}

func compiledFrom(t *strictjson.Value) (*Compiled, error) {
	if t.Kind != strictjson.Object {
		return nil, fmt.Errorf("is a JSON %s, want an object", t.Kind)
	}
	var sec [4]*strictjson.Value
	for i, name := range [...]string{"metadata", "filesystem", "commands", "mcp"} {
		sec[i] = t.Member(name)
		if k := kindOf(sec[i]); k != strictjson.Object && k != strictjson.Null {
			return nil, fmt.Errorf("%s: is a JSON %s, want an object", name, k)
		}
	}
	if sec == [4]*strictjson.Value{} {
		return nil, errors.New("not a CAVRA compiled policy: none of metadata, filesystem, commands, mcp")
	}
	c := &Compiled{tree: t, blockUnknown: true}
	md := sec[0]
	var err error
	if c.id, err = stringOf(md.Member("id"), "metadata.id"); err != nil {
		return nil, err
	}
	if v := md.Member("title"); kindOf(v) == strictjson.String {
		c.title = v.Text
	}
	var pats [7][]string
	for i, f := range [...]struct {
		s   int
		key string
	}{
		{1, "filesystem.block_read"}, {1, "filesystem.block_write"}, {1, "filesystem.require_approval_write"},
		{2, "commands.block"}, {2, "commands.allow"}, {3, "mcp.allowed_servers"}, {3, "mcp.blocked_servers"},
	} {
		if pats[i], err = stringList(sec[f.s].Member(f.key[strings.IndexByte(f.key, '.')+1:]), f.key, true); err != nil {
			return nil, err
		}
	}
	switch b := sec[3].Member("block_unknown_servers"); kindOf(b) {
	case strictjson.Bool:
		c.blockUnknown = b.Text == "true"
	case strictjson.Null:
	default:
		return nil, fmt.Errorf("mcp.block_unknown_servers: is a JSON %s, want a boolean", kindOf(b))
	}
	const blocked, approval = "Matched sensitive path policy: ", "Matched approval-required path policy: "
	c.readBlock = newStarRules(pats[0], blocked)
	c.writeBlock = newStarRules(pats[1], blocked)
	c.writeApprove = newStarRules(pats[2], approval)
	c.cmdBlock = newStarRules(pats[3], "Matched blocked command policy: ")
	c.cmdAllow = newStarRules(pats[4], "Matched allowed command policy: ")
	c.mcpAllowed, c.mcpBlocked = pats[5], pats[6]
	return c, nil
}

// kindOf returns v's kind, Null for a member that is absent.
func kindOf(v *strictjson.Value) strictjson.Kind {
	if v == nil {
		return strictjson.Null
	}
	return v.Kind
}

// stringOf reads a member that must be a string; null or absent is "".
func stringOf(v *strictjson.Value, where string) (string, error) {
	switch k := kindOf(v); k {
	case strictjson.String:
		return v.Text, nil
	case strictjson.Null:
		return "", nil
	default:
		return "", fmt.Errorf("%s: is a JSON %s, want a string", where, k)
	}
}

// stringList reads a list of strings; null or absent is an empty list.
// With trim, entries are read CAVRA's way: trimmed, empty ones dropped.
func stringList(v *strictjson.Value, where string, trim bool) ([]string, error) {
	switch k := kindOf(v); k {
	case strictjson.Null:
		return nil, nil
	case strictjson.Array:
	default:
		return nil, fmt.Errorf("%s: is a JSON %s, want a list of strings", where, k)
	}
	var l []string
	for i, e := range v.Elems {
		if e.Kind != strictjson.String {
			return nil, fmt.Errorf("%s[%d]: is a JSON %s, want a string", where, i, e.Kind)
		}
		s := e.Text
		if trim {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
		}
		l = append(l, s)
	}
	return l, nil
}

// appendJSON appends v as JSON: with indent < 0 compactly, strings
// escaped as encoding/json escapes them; else as Python's json.dumps(v,
// indent=2, ensure_ascii=False) writes it, which is how `cavra policy
// compile` prints a compiled policy, indent being the current depth.
func appendJSON(b []byte, v *strictjson.Value, indent int) []byte {
	str, sep, in, next := appendPyString, ": ", "\n"+strings.Repeat(" ", max(indent, 0)), indent+2
	if indent < 0 {
		str, sep, in, next = appendQuoted, ":", "", indent
	}
	switch v.Kind {
	case strictjson.Object, strictjson.Array:
		open, close := byte('['), byte(']')
		if v.Kind == strictjson.Object {
			open, close = '{', '}'
		}
		if len(v.Elems) == 0 {
			return append(b, open, close)
		}
		b = append(b, open)
		for i, e := range v.Elems {
			if i > 0 {
				b = append(b, ',')
			}
			if in != "" {
				b = append(b, in+"  "...)
			}
			if v.Kind == strictjson.Object {
				b = append(str(b, v.Keys[i]), sep...)
			}
			b = appendJSON(b, e, next)
		}
		return append(append(b, in...), close)
	case strictjson.String:
		return str(b, v.Text)
	}
	return append(b, v.Text...)
}

func appendQuoted(b []byte, s string) []byte {
	return append(strictjson.AppendEscaped(append(b, '"'), s), '"')
}

// appendPyString quotes s as Python's json module does with
// ensure_ascii=False.
func appendPyString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c >= 0x20:
			b = append(b, c)
		case strings.IndexByte("\n\r\t\b\f", c) >= 0:
			b = append(b, '\\', "nrtbf"[strings.IndexByte("\n\r\t\b\f", c)])
		default:
			b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		}
	}
	return append(b, '"')
}

// Built-in packs: for a CAVRA pack, packs/<id>.json is what `cavra
// policy compile --policy-pack <id>` prints for the public
// policies/<id>/policy.yaml; for a native one, its cavra.policy/v1 JSON
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
