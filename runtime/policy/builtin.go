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
	var p Pack
	var err error
	switch {
	case slices.Contains(CAVRAPacks, name):
		p, err = BuiltinCAVRA(name)
	case slices.Contains(NativePacks, name):
		p, err = BuiltinNative(name)
	default:
		err = fmt.Errorf("policy: unknown pack %q (built-in packs: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// BuiltinCAVRA returns a built-in CAVRA pack.
func BuiltinCAVRA(name string) (*Compiled, error) { return lookup(cavraPacks, "CAVRA", name) }

// BuiltinNative returns a native built-in pack.
func BuiltinNative(name string) (*Policy, error) { return lookup(natives, "native", name) }

func lookup[T any](packs func() (map[string]T, error), kind, name string) (T, error) {
	m, err := packs()
	p, ok := m[name]
	if err == nil && !ok {
		err = fmt.Errorf("policy: unknown %s pack %q", kind, name)
	}
	return p, err
}
