package policy

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Native built-in packs: this runtime's own rules (cavra.policy/v1),
// stricter than CAVRA's packs in ways CAVRA does not ask for, and used
// only when a request or the operator names them.
const (
	Baseline      = "hardened-agent-baseline"
	Banking       = "hardened-banking-baseline"
	MCPEnterprise = "hardened-mcp-enterprise"
)

// DefaultPack is the pack used when none is named, as in CAVRA.
const DefaultPack = "cavra-ai-agent-baseline"

// NativePacks lists the native built-in packs.
var NativePacks = []string{Baseline, Banking, MCPEnterprise}

// BuiltinNames returns the names of all built-in packs, sorted: the
// sixteen CAVRA packs and the native ones.
func BuiltinNames() []string {
	return slices.Sorted(slices.Values(slices.Concat(CAVRAPacks, NativePacks)))
}

// natives reads the native built-in packs, packs/<name>.json (see
// packs/README.md).
var natives = sync.OnceValues(func() (map[string]*Policy, error) {
	m := make(map[string]*Policy)
	for _, n := range NativePacks {
		data, err := packFS.ReadFile("packs/" + n + ".json")
		if err != nil {
			return nil, err
		}
		if m[n], err = Parse(data, "built-in "+n); err != nil {
			return nil, err
		}
	}
	return m, nil
})

// Builtin returns the built-in pack with the given name: a *Compiled
// for a CAVRA pack, a *Policy for a native one. The packs are compiled
// once, on first use.
func Builtin(name string) (Pack, error) {
	if c, err := BuiltinCAVRA(name); err == nil {
		return c, nil
	}
	m, err := natives()
	if err != nil {
		return nil, err
	}
	p, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("policy: unknown pack %q (built-in packs: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	return p, nil
}

// BuiltinCAVRA returns a built-in CAVRA pack.
func BuiltinCAVRA(name string) (*Compiled, error) {
	m, err := cavraPacks()
	if err != nil {
		return nil, err
	}
	c, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("policy: unknown CAVRA pack %q", name)
	}
	return c, nil
}

// BuiltinNative returns a native built-in pack.
func BuiltinNative(name string) (*Policy, error) {
	m, err := natives()
	if err != nil {
		return nil, err
	}
	p, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("policy: unknown native pack %q", name)
	}
	return p, nil
}
