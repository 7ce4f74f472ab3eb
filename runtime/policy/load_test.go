package policy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mutate returns the baseline pack as JSON after f has changed its
// generic form.
func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	p, _ := BuiltinNative(Baseline)
	var m map[string]any
	if err := json.Unmarshal(p.JSON(), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func firstRule(m map[string]any, sec, list string) map[string]any {
	return m[sec].(map[string]any)[list].([]any)[0].(map[string]any)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string // in the error
	}{
		{"not json", []byte("{"), "unexpected EOF"},
		{"empty", []byte(""), "empty file"},
		{"array", []byte("[]"), "cannot unmarshal array"},
		{"trailing data", append(mutate(t, func(map[string]any) {}), " {}"...), "unexpected data after"},
		{"unknown member", mutate(t, func(m map[string]any) { m["blocked_reads"] = []any{} }), `unknown field "blocked_reads"`},
		{"unknown rule member", mutate(t, func(m map[string]any) { firstRule(m, "reads", "blocked")["pattern"] = "x" }), `unknown field "pattern"`},
		{"wrong type", mutate(t, func(m map[string]any) { m["name"] = 7 }), "cannot unmarshal number"},
		{"schema", mutate(t, func(m map[string]any) { m["schema"] = "cavra.policy/v2" }), `schema is "cavra.policy/v2"`},
		{"no schema", mutate(t, func(m map[string]any) { delete(m, "schema") }), `schema is ""`},
		{"bad name", mutate(t, func(m map[string]any) { m["name"] = "Bad Name" }), `name "Bad Name"`},
		{"no approver", mutate(t, func(m map[string]any) { m["approver_group"] = "" }), "approver_group is empty"},
		{"bad glob", mutate(t, func(m map[string]any) { firstRule(m, "reads", "blocked")["patterns"] = []any{"**x"} }),
			`reads.blocked[0] "read.secrets.dotenv": bad glob "**x": ** must be a whole segment`},
		{"bracket", mutate(t, func(m map[string]any) { firstRule(m, "writes", "approval")["patterns"] = []any{"[ab].txt"} }),
			`writes.approval[0] "write.iam": bad glob "[ab].txt": unsupported character '['`},
		{"backslash", mutate(t, func(m map[string]any) { firstRule(m, "reads", "blocked")["patterns"] = []any{`a\b`} }), "backslash"},
		{"empty segment", mutate(t, func(m map[string]any) { firstRule(m, "reads", "blocked")["patterns"] = []any{"a//b"} }), "empty segment"},
		{"no patterns", mutate(t, func(m map[string]any) { firstRule(m, "reads", "blocked")["patterns"] = []any{} }), "no patterns"},
		{"command starts with **", mutate(t, func(m map[string]any) { firstRule(m, "commands", "blocked")["patterns"] = []any{"** apply"} }),
			"must start with the program name"},
		{"duplicate id", mutate(t, func(m map[string]any) { firstRule(m, "writes", "blocked")["id"] = "read.secrets.dotenv" }), "duplicate id"},
		{"fixed id", mutate(t, func(m map[string]any) { firstRule(m, "reads", "blocked")["id"] = RuleReadDefault }), "duplicate id"},
		{"bad id", mutate(t, func(m map[string]any) { firstRule(m, "reads", "blocked")["id"] = "Read Secrets" }), "bad id"},
		{"bad severity", mutate(t, func(m map[string]any) { firstRule(m, "reads", "blocked")["severity"] = "urgent" }), `severity "urgent"`},
		{"no reason", mutate(t, func(m map[string]any) { firstRule(m, "reads", "blocked")["reason"] = " " }), "empty reason"},
		{"allow effect", mutate(t, func(m map[string]any) { m["mcp"].(map[string]any)["unknown_server"] = "allow" }),
			`mcp.unknown_server "allow": want block or require_approval`},
		{"missing effect", mutate(t, func(m map[string]any) { delete(m["git"].(map[string]any), "force_push") }), `git.force_push ""`},
		{"bad tier", mutate(t, func(m map[string]any) { m["mcp"].(map[string]any)["min_trust_tier"] = "gold" }), `min_trust_tier "gold"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.data, "test.json")
		if err == nil {
			t.Errorf("%s: got nil error, want one containing %q", tt.name, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "policy: test.json: ") {
			t.Errorf("%s: got error %q, want one starting %q and containing %q", tt.name, err, "policy: test.json: ", tt.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	if _, err := Load(missing); err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing): got %v, want a not-exist error naming the file", err)
	}
	if _, err := LoadRegistry(missing); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadRegistry(missing): got %v, want a not-exist error", err)
	}
	if _, err := Load(dir); err == nil {
		t.Errorf("Load(directory): got nil error, want one")
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema":"cavra.policy/v1"`), 0o600)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("Load(bad): got %v, want an error naming the file", err)
	}
}

func TestRegistryErrors(t *testing.T) {
	const ok = `{"name":"a","approval":"approved","trust_tier":"verified","tools":["x"],"capabilities":[]}`
	tests := []struct {
		data, want string
	}{
		{`{"schema":"cavra.mcp-registry/v1","servers":[` + ok + `]`, "unexpected EOF"},
		{`{"schema":"cavra.mcp-registry/v2","servers":[]}`, "schema is"},
		{`{"schema":"cavra.mcp-registry/v1","servers":[],"extra":1}`, `unknown field "extra"`},
		{`{"schema":"cavra.mcp-registry/v1","servers":[` + ok + `,` + ok + `]}`, `servers[1] "a": duplicate name`},
		{`{"schema":"cavra.mcp-registry/v1","servers":[{"name":"a","approval":"yes","trust_tier":"verified"}]}`, `approval "yes"`},
		{`{"schema":"cavra.mcp-registry/v1","servers":[{"name":"a","approval":"approved","trust_tier":"gold"}]}`, `trust_tier "gold"`},
		{`{"schema":"cavra.mcp-registry/v1","servers":[{"name":"","approval":"approved","trust_tier":"verified"}]}`, "empty name"},
		{`{"schema":"cavra.mcp-registry/v1","servers":[{"name":"a","approval":"approved","trust_tier":"verified","tools":["a/b"]}]}`, `tools: bad pattern "a/b"`},
		{`{"schema":"cavra.mcp-registry/v1","servers":[{"name":"a","approval":"approved","trust_tier":"verified","tools":"x"}]}`, "cannot unmarshal string"},
		{`{"schema":"cavra.mcp-registry/v1","servers":[{"name":"a","approval":"approved","trust_tier":"verified","tool":["x"]}]}`, `unknown field "tool"`},
	}
	for _, tt := range tests {
		_, err := ParseRegistry([]byte(tt.data), "reg.json")
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "registry: reg.json: ") {
			t.Errorf("ParseRegistry(%s): got %v, want an error containing %q", tt.data, err, tt.want)
		}
	}
	r, err := ParseRegistry([]byte(`{"schema":"cavra.mcp-registry/v1","servers":[`+ok+`]}`), "reg.json")
	if err != nil || len(r.list) != 1 {
		t.Errorf("ParseRegistry(valid): got %v, %v; want 1 server", r, err)
	}
}

func TestBuiltinUnknown(t *testing.T) {
	if _, err := BuiltinNative("cavra-nope"); err == nil || !strings.Contains(err.Error(), `unknown native pack "cavra-nope"`) {
		t.Errorf("BuiltinNative(cavra-nope): got %v, want unknown pack error", err)
	}
	if _, err := Builtin("cavra-nope"); err == nil || !strings.Contains(err.Error(), `unknown pack "cavra-nope"`) {
		t.Errorf("Builtin(cavra-nope): got %v, want unknown pack error", err)
	}
}
