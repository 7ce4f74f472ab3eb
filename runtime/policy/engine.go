package policy

import (
	"fmt"
	"strings"
)

// Pack is a policy pack the engine can apply: a CAVRA compiled policy
// (*Compiled) or a native cavra.policy/v1 pack (*Policy).
type Pack interface {
	// Name returns the pack id: metadata.id or the native name.
	Name() string
	// Title returns a one-line description.
	Title() string
	evaluate(req *Request, reg *Registry, res *Result)
}

// Rule ids of the engine's own outcomes.
const (
	RuleUnknownPack  = "policy.unknown_pack"
	RulePackMismatch = "policy.pack_mismatch"
)

// Engine holds the packs a runtime can apply and the MCP registry, and
// picks the pack for each request. It is immutable and safe for
// concurrent use.
type Engine struct {
	packs map[string]Pack
	def   Pack
	fixed Pack // --policy: decides every request
	reg   *Registry
	pin   bool
}

// Config configures an Engine.
type Config struct {
	// Default names the built-in pack for requests that name none.
	// Empty means DefaultPack.
	Default string
	// Policy, if set, decides every request, as CAVRA's --policy does:
	// a request's policy_pack is then only a label in the decision.
	Policy Pack
	// Registry is the MCP trust registry. With a registry, every MCP
	// call under a CAVRA pack is decided by the registry alone.
	Registry *Registry
	// Pin blocks a request naming a pack other than the default one
	// (or the Policy's), so that a caller cannot pick a weaker pack
	// than the operator chose.
	Pin bool
}

// NewEngine returns an engine with the built-in packs.
func NewEngine(cfg Config) (*Engine, error) {
	e := &Engine{packs: map[string]Pack{}, reg: cfg.Registry, pin: cfg.Pin, fixed: cfg.Policy}
	for _, n := range BuiltinNames() {
		p, err := Builtin(n)
		if err != nil {
			return nil, err
		}
		e.packs[n] = p
	}
	def := cfg.Default
	if def == "" {
		def = DefaultPack
	}
	if e.def = e.packs[def]; e.def == nil {
		return nil, fmt.Errorf("policy: unknown pack %q (built-in packs: %s)", def, strings.Join(e.Names(), ", "))
	}
	return e, nil
}

// Names returns the names of the built-in packs, sorted.
func (e *Engine) Names() []string { return BuiltinNames() }

// Default returns the pack that decides requests naming none: the
// Policy if one was given, else the default built-in pack.
func (e *Engine) Default() Pack {
	if e.fixed != nil {
		return e.fixed
	}
	return e.def
}

// DefaultName returns the policy_pack reported for requests that name
// none.
func (e *Engine) DefaultName() string {
	if n := e.Default().Name(); n != "" {
		return n
	}
	return DefaultPack
}

// Pack returns the named built-in pack, or nil.
func (e *Engine) Pack(name string) Pack { return e.packs[name] }

// Evaluate decides req. The pack is the Policy, if the engine has one;
// else the built-in pack the request names, or the default one. A
// request naming a pack that is not built in is blocked
// (policy.unknown_pack), as is, when the engine is pinned, one naming
// another pack than the default.
//
// The decision reports the action type, target and operation as CAVRA
// does: files as sent, with operation read or write; a command trimmed,
// as both target and operation; a git operation with its operation (or
// its target, if it has none); an MCP call as server:tool, with the
// operation or else the tool; anything else as sent.
func (e *Engine) Evaluate(req *Request) Result {
	var res Result
	e.evaluate(req, &res)
	return res
}

func (e *Engine) evaluate(req *Request, res *Result) {
	echo(req, res)
	p := e.Default()
	switch res.Pack = req.PolicyPack; {
	case res.Pack == "":
		res.Pack = e.DefaultName()
	case e.pin && res.Pack != e.DefaultName():
		res.set(Block, RulePackMismatch, High, "", "The request names a policy pack other than the one this runtime is pinned to.")
		return
	case e.fixed == nil && res.Pack != p.Name():
		if p = e.packs[res.Pack]; p == nil {
			res.set(Block, RuleUnknownPack, High, "", "The request names a policy pack this runtime does not have; it is refused rather than decided under another pack.")
			return
		}
	}
	if req.Action() == ReleaseGovernanceRecord {
		evalRelease(req, res)
		return
	}
	p.evaluate(req, e.reg, res)
}

// echo sets the action type, target and operation a decision reports.
func echo(req *Request, res *Result) {
	res.ActionType, res.Target, res.Operation = req.Action(), req.Target, req.Op()
	switch res.ActionType {
	case ReadFile:
		res.Operation = "read"
	case WriteFile:
		res.Operation = "write"
	case ExecuteCommand:
		t := strings.TrimSpace(req.Target)
		res.Target, res.Operation = t, t
	case GitOperation:
		if res.Operation == "" {
			res.Operation = req.Target
		}
	case MCPToolCall:
		res.Target = req.Server + ":" + req.Tool
		if res.Operation == "" {
			res.Operation = req.Tool
		}
	}
}
