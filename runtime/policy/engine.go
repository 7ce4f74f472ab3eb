package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Engine holds the packs a runtime can apply and the MCP registry, and
// picks the pack for each request. It is immutable and safe for
// concurrent use.
type Engine struct {
	packs map[string]*Policy
	def   *Policy
	reg   *Registry
	pin   bool
}

// Config configures an Engine.
type Config struct {
	// Default names the pack for requests that name none. Empty means
	// the first of Policies, or DefaultPack if there are none.
	Default string
	// Policies are loaded packs. They are added to the built-in packs,
	// replacing a built-in pack of the same name.
	Policies []*Policy
	// Registry is the MCP trust registry; nil means an empty one.
	Registry *Registry
	// Pin makes a request that names any pack other than the default
	// one a block (policy.pack_mismatch), so that a caller cannot pick
	// a weaker pack than the operator chose.
	Pin bool
}

// NewEngine returns an engine with the built-in packs and cfg.Policies.
// It fails if the default pack is unknown.
func NewEngine(cfg Config) (*Engine, error) {
	e := &Engine{packs: make(map[string]*Policy), reg: cfg.Registry, pin: cfg.Pin}
	for _, n := range BuiltinNames() {
		p, err := Builtin(n)
		if err != nil {
			return nil, err
		}
		e.packs[n] = p
	}
	for _, p := range cfg.Policies {
		e.packs[p.Name()] = p
	}
	def := cfg.Default
	if def == "" {
		def = DefaultPack
		if len(cfg.Policies) > 0 {
			def = cfg.Policies[0].Name()
		}
	}
	e.def = e.packs[def]
	if e.def == nil {
		return nil, fmt.Errorf("policy: unknown pack %q (known: %s)", def, strings.Join(e.Names(), ", "))
	}
	return e, nil
}

// Names returns the names of the engine's packs, sorted.
func (e *Engine) Names() []string {
	var ns []string
	for n := range e.packs {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// Default returns the default pack.
func (e *Engine) Default() *Policy { return e.def }

// Pack returns the named pack, or nil.
func (e *Engine) Pack(name string) *Policy { return e.packs[name] }

// Evaluate decides req with the pack it names, or the default pack. A
// request naming an unknown pack is blocked (policy.unknown_pack), as is
// one naming another pack than the default when the engine is pinned.
func (e *Engine) Evaluate(req *Request) Result {
	p := e.def
	if n := req.PolicyPack; n != "" && n != p.name {
		if e.pin {
			return Result{Verdict: Block, RuleID: RulePackMismatch, Severity: High, Pack: n,
				Reason: "request names a policy pack other than the one this runtime is pinned to"}
		}
		if p = e.packs[n]; p == nil {
			return Result{Verdict: Block, RuleID: RuleUnknownPack, Severity: High, Pack: n,
				Reason: "request names a policy pack that is not loaded"}
		}
	}
	return p.Evaluate(req, e.reg)
}
