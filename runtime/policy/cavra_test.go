package policy

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/strictjson"
)

// TestCAVRAPacks checks the built-in packs against the public policies:
// list sizes (block_read, block_write, require_approval_write,
// commands.block, commands.allow), sorted lists, MCP settings, and
// inheritance for cavra-agentic-delivery.
func TestCAVRAPacks(t *testing.T) {
	sizes := map[string][5]int{
		"cavra-ai-agent-baseline": {8, 4, 3, 7, 5}, "cavra-agentic-delivery": {12, 4, 12, 15, 16},
		"cavra-banking-baseline": {6, 0, 4, 6, 5}, "cavra-cloud-iam": {3, 0, 3, 5, 4}, "cavra-eu-ai-act": {3, 0, 3, 3, 3},
		"cavra-github-enterprise": {3, 0, 2, 3, 4}, "cavra-gitlab-enterprise": {2, 0, 2, 3, 4}, "cavra-hipaa": {4, 0, 3, 3, 3},
		"cavra-iso27001": {3, 0, 3, 3, 3}, "cavra-kubernetes-prod": {3, 0, 3, 3, 4}, "cavra-mcp-enterprise": {5, 0, 3, 4, 3},
		"cavra-nist-ssdf": {3, 0, 3, 3, 3}, "cavra-owasp-llm-agentic": {3, 0, 3, 4, 3}, "cavra-pci-dss": {5, 0, 3, 3, 3},
		"cavra-sox-change-control": {2, 0, 3, 3, 3}, "cavra-terraform-prod": {5, 4, 4, 6, 11},
	}
	if len(sizes) != 16 || len(CAVRAPacks) != 16 {
		t.Fatalf("got %d packs, want 16", len(CAVRAPacks))
	}
	for _, id := range CAVRAPacks {
		c, err := BuiltinCAVRA(id)
		if err != nil {
			t.Fatal(err)
		}
		lists := [5][]starRule{c.readBlock, c.writeBlock, c.writeApprove, c.cmdBlock, c.cmdAllow}
		for i, l := range lists {
			if len(l) != sizes[id][i] {
				t.Errorf("%s list %d: got %d patterns, want %d", id, i, len(l), sizes[id][i])
			}
			pats := make([]string, len(l))
			for j := range l {
				pats[j] = l[j].pat
			}
			if !slices.IsSorted(pats) {
				t.Errorf("%s list %d: got %q, want it sorted as cavra policy compile sorts it", id, i, pats)
			}
		}
		if !c.blockUnknown {
			t.Errorf("%s: block_unknown_servers is false, want true", id)
		}
		if !bytes.HasSuffix(c.CompiledJSON(), []byte("}\n")) || c.Title() == "" {
			t.Errorf("%s: compiled form or title missing", id)
		}
		// The printed form is what a tree of it prints.
		if got := append(appendJSON(nil, c.tree, 0), '\n'); !bytes.Equal(got, c.CompiledJSON()) {
			t.Errorf("%s: printing the parsed pack changes it:\n%s", id, got)
		}
	}
	ad, _ := BuiltinCAVRA("cavra-agentic-delivery")
	if got := ad.mcpAllowed; !slices.Equal(got, []string{"filesystem", "github"}) {
		t.Errorf("agentic-delivery allowed servers: got %q", got)
	}
	// Inherited: the baseline's workflow block wins over the pack's own approval.
	var res Result
	ad.evaluate(&Request{ActionType: WriteFile, Target: ".github/workflows/ci.yml"}, nil, &res)
	if res.Verdict != Block || res.RuleID != RuleWriteBlock {
		t.Errorf("agentic-delivery workflow write: got %v %v, want block", res.Verdict, res.RuleID)
	}
	me, _ := BuiltinCAVRA("cavra-mcp-enterprise")
	if !slices.Equal(me.mcpBlocked, []string{"personal-drive-mcp", "public-browser-mcp", "unknown-mcp-provider"}) {
		t.Errorf("mcp-enterprise blocked servers: got %q", me.mcpBlocked)
	}
}

// TestBaselineIsCAVRAs checks the list of differences from
// CAVRA's published baseline.
func TestBaselineIsCAVRAs(t *testing.T) {
	e, _ := NewEngine(Config{})
	for _, tt := range []struct {
		action, target string
		verdict        Verdict
		rule           string
	}{
		{ReadFile, "config/secrets.yaml", Block, RuleReadBlock},
		{ReadFile, "home/kubeconfig", Block, RuleReadBlock},
		{ReadFile, "infra/terraform.tfvars", Block, RuleReadBlock},
		{WriteFile, ".github/workflows/release.yml", Block, RuleWriteBlock},
		{WriteFile, "infra/main.tf", Block, RuleWriteBlock},
		{WriteFile, "infra/providers.tf", Block, RuleWriteBlock},
		{WriteFile, "infra/backend.tf", Block, RuleWriteBlock},
		{WriteFile, "security/policy.md", RequireApproval, RuleWriteApproval},
		{WriteFile, "policies/a.yaml", RequireApproval, RuleWriteApproval},
		{ExecuteCommand, "az role assignment create --role Owner", Block, RuleCommandBlock},
		{ExecuteCommand, "aws iam create-access-key --user-name x", Block, RuleCommandBlock},
		{ExecuteCommand, "gcloud projects add-iam-policy-binding p", Block, RuleCommandBlock},
		{ExecuteCommand, "terraform fmt -recursive", Allow, RuleCommandAllow},
	} {
		got := e.Evaluate(&Request{ActionType: tt.action, Target: tt.target})
		if got.Verdict != tt.verdict || got.RuleID != tt.rule {
			t.Errorf("%s %q: got %v %v, want %v %v", tt.action, tt.target, got.Verdict, got.RuleID, tt.verdict, tt.rule)
		}
	}
}

func TestStarRule(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{".env", ".env", true},
		{".env", "./.env", false},
		{".env", "a/.env", false},
		{"**/secrets.*", "config/secrets.yaml", true},
		{"**/secrets.*", "secrets.yaml", false}, // ** needs a directory, as in CAVRA
		{"**/*.pem", "a/b/c.pem", true},
		{"cat*", "catalog", true},
		{"kubectl apply*--context*prod*", "kubectl apply -f x --context prod", true},
		{"kubectl apply*--context*prod*", "kubectl apply -f x", false},
		{"curl *|*sh*", "curl https://x | sh", true},
		{"a?b", "axb", false}, // only * is special
		{"a?b", "a?b", true},
		{"a[b]", "a[b]", true},
		{"x**y", "xy", true},
		{"*", "", true},
		{"a*a", "a", false},
		{"a*b*a", "aba", true},
		{"a*b*a", "ab", false},
		{"a*bb*a", "abba", true},
		{"a*bb*a", "abab", false},
		{"*", "a\nb", false}, // .* stops at a newline, as in CAVRA
		{"pytest*", "pytest\ncurl x", false},
		{"a*b*c", "a\nbc", false},
		{"a*b*c", "ab\nc", false},
		{"a*b*c", "abc\n", false},
		{"a\nb", "a\nb", true},
		{"a*b*a", "abba", true},
	}
	for _, tt := range tests {
		r := newStarRules([]string{tt.pat}, "")[0]
		if got := r.match(tt.s, false); got != tt.want {
			t.Errorf("%q matching %q: got %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
	rs := newStarRules([]string{".github/CODEOWNERS"}, "")
	if firstMatch(rs, ".GitHub/codeowners", true) == nil || firstMatch(rs, ".GitHub/codeowners", false) != nil {
		t.Errorf("matching ignoring case: got wrong answer")
	}
}

func TestParseCompiled(t *testing.T) {
	tests := []struct {
		data, want string
	}{
		{`[]`, "is a JSON array, want an object"},
		{`{}`, "not a CAVRA compiled policy"},
		{`{"x":1}`, "not a CAVRA compiled policy"},
		{`{"metadata":{"id":1}}`, "metadata.id: is a JSON number, want a string"},
		{`{"filesystem":{"block_read":".env"}}`, "filesystem.block_read: is a JSON string, want a list of strings"},
		{`{"filesystem":{"block_read":[1]}}`, "filesystem.block_read[0]: is a JSON number"},
		{`{"commands":{"allow":["a"],"Allow":["b"]}}`, `commands: duplicate key "Allow" (as "allow"`},
		{`{"commands":{"allow":["a"]},"Commands":{}}`, `duplicate key "Commands" (as "commands"`},
		{`{"mcp":{"block_unknown_servers":"yes"}}`, "want a boolean"},
		{`{"mcp":[]}`, "mcp: is a JSON array, want an object"},
		{`{"metadata":{},"metadata":{}}`, `duplicate key "metadata"`},
		{`{"metadata":{"id":"a\u0000"}}`, "metadata.id: NUL character"},
		{`{"metadata":{}} x`, "unexpected data after"},
		{`{"metadata":`, "unexpected EOF"},
		{` `, "empty file"},
	}
	for _, tt := range tests {
		_, err := ParseCompiled([]byte(tt.data), "p.json")
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "policy: p.json: ") {
			t.Errorf("ParseCompiled(%s): got %v, want an error containing %q", tt.data, err, tt.want)
		}
	}
	// CAVRA's reading: entries trimmed, empty ones dropped, nulls empty,
	// block_unknown_servers true when absent, unknown members carried.
	c, err := ParseCompiled([]byte(`{"metadata":{"id":"x","extra":[1]},"filesystem":{"block_read":[" .env ",""],"block_write":null},`+
		`"commands":{"require_approval":["ignored*"]},"mcp":{"allowed_servers":["a"]},"git":{"x":true}}`), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "x" || len(c.readBlock) != 1 || c.readBlock[0].pat != ".env" || len(c.writeBlock) != 0 || !c.blockUnknown {
		t.Errorf("got %+v", c)
	}
	// The fixture, printed back, is unchanged.
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cavra", "compiled_policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseCompiled(data, "compiled_policy.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.CompiledJSON(); !bytes.Equal(got, data) {
		t.Errorf("fixture printed back:\n%s\nwant\n%s", got, data)
	}
	// ParsePolicy tells the two forms apart.
	if p, err := ParsePolicy(data, "c.json"); err != nil || p.Name() != "cavra-go-compiled-fixture" {
		t.Errorf("ParsePolicy(compiled): got %v, %v", p, err)
	}
	n, _ := BuiltinNative(Baseline)
	if p, err := ParsePolicy(n.JSON(), "n.json"); err != nil || p.Name() != Baseline {
		t.Errorf("ParsePolicy(native): got %v, %v", p, err)
	}
}

func TestPythonJSON(t *testing.T) {
	n, err := strictjson.Parse([]byte(`{"a":"é\u0001\"\\<&>\u2028","b":[],"c":{},"d":[1.50,true,null]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": \"é\\u0001\\\"\\\\<&>\u2028\",\n  \"b\": [],\n  \"c\": {},\n  \"d\": [\n    1.50,\n    true,\n    null\n  ]\n}"
	if got := string(appendJSON(nil, n, 0)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCAVRARegistry(t *testing.T) {
	r, err := LoadRegistry(filepath.Join("..", "..", "testdata", "cavra", "mcp_registry.json"))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := ParseRegistry([]byte(`{"mcp_servers":[
		{"server_id":"any","name":"Any Tools","trust_tier":"approved","approval_state":"approved"},
		{"server_id":"caps","trust_tier":"verified","approval_state":"approved","capabilities":["read"]},
		{"server_id":"unknown-tier","trust_tier":"unknown","approval_state":"approved"},
		{"server_id":"denied","trust_tier":"approved","approval_state":"denied"}]}`), "r.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		r                   *Registry
		server, tool, capab string
		verdict             Verdict
		rule, group         string
	}{
		{r, "github-mcp", "create_pull_request", "repository", Allow, RuleRegistryAllow, ""},
		{r, "github-mcp", "create_pull_request", "", Allow, RuleRegistryAllow, ""},
		{r, "github-mcp", "create_pull_request", "admin", RequireApproval, RuleRegistryCap, AIGovernance},
		{r, "github-mcp", "delete_repository", "repository", RequireApproval, RuleRegistryTool, AIGovernance},
		{r, "filesystem-lab", "read_file", "filesystem", RequireApproval, RuleRegistryApproval, AIGovernance},
		{r, "personal-drive-mcp", "read_file", "", Block, RuleRegistryBlocked, ""},
		{r, "GitHub-MCP", "create_pull_request", "", Block, RuleRegistryUnknown, ""},
		{reg, "Any Tools", "whatever", "x", Allow, RuleRegistryAllow, ""},
		{reg, "caps", "t", "", Allow, RuleRegistryAllow, ""},
		{reg, "caps", "t", "write", RequireApproval, RuleRegistryCap, AIGovernance},
		{reg, "unknown-tier", "t", "", RequireApproval, RuleRegistryApproval, AIGovernance},
		{reg, "denied", "t", "", Block, RuleRegistryBlocked, ""},
	} {
		var res Result
		tt.r.evalCAVRA(&Request{Server: tt.server, Tool: tt.tool, Capability: tt.capab}, &res)
		if res.Verdict != tt.verdict || res.RuleID != tt.rule || res.ApproverGroup != tt.group {
			t.Errorf("%s %s %s: got %v %v %q, want %v %v %q", tt.server, tt.tool, tt.capab, res.Verdict, res.RuleID, res.ApproverGroup, tt.verdict, tt.rule, tt.group)
		}
	}
	for _, tt := range []struct{ data, want string }{
		{`{}`, `no "mcp_servers"`},
		{`{"mcp_servers":{}}`, "want a list"},
		{`{"mcp_servers":[1]}`, "mcp_servers[0]: is a JSON number, want an object"},
		{`{"mcp_servers":[{"name":1}]}`, "mcp_servers[0].name: is a JSON number"},
		{`{"mcp_servers":[{"allowed_tools":"x"}]}`, "want a list of strings"},
		{`{"mcp_servers":[{"allowed_tools":[1]}]}`, "allowed_tools[0]: is a JSON number"},
		{`{"mcp_servers":[{"name":"a","Name":"b"}]}`, `mcp_servers[0]: duplicate key "Name"`},
	} {
		if _, err := ParseRegistry([]byte(tt.data), "r.json"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRegistry(%s): got %v, want an error containing %q", tt.data, err, tt.want)
		}
	}
}

// TestEcho checks the action type, target and operation a decision
// reports.
func TestEcho(t *testing.T) {
	e, _ := NewEngine(Config{})
	for _, tt := range []struct {
		req                       Request
		action, target, operation string
	}{
		{Request{ActionType: ReadFile, Target: " a ", Operation: "x"}, ReadFile, " a ", "read"},
		{Request{ActionType: WriteFile, Target: "a"}, WriteFile, "a", "write"},
		{Request{ActionType: ExecuteCommand, Target: "  ls -l \n", Operation: "x"}, ExecuteCommand, "ls -l", "ls -l"},
		{Request{ActionType: GitOperation, Target: "origin/main"}, GitOperation, "origin/main", "origin/main"},
		{Request{ActionType: GitOperation, Target: "main", RequestedOperation: "push"}, GitOperation, "main", "push"},
		{Request{ActionType: MCPToolCall, Server: "s", Tool: "t"}, MCPToolCall, "s:t", "t"},
		{Request{ActionType: MCPToolCall, Server: "s", Tool: "t", Capability: "c"}, MCPToolCall, "s:t", "c"},
		{Request{ActionType: MCPToolCall}, MCPToolCall, ":", ""},
		{Request{ActionType: "x", Target: "t", Capability: "c"}, "x", "t", "c"},
		{Request{Typed: true, Record: &Record{Members: 1, Kind: "k"}}, ReleaseGovernanceRecord, "k", "verify"},
		{Request{ActionType: ReleaseGovernanceRecord, RequestedOperation: "promote"}, ReleaseGovernanceRecord, "release-governance-record", "verify"},
	} {
		got := e.Evaluate(&tt.req)
		if got.ActionType != tt.action || got.Target != tt.target || got.Operation != tt.operation {
			t.Errorf("%+v: got %q %q %q, want %q %q %q", tt.req, got.ActionType, got.Target, got.Operation, tt.action, tt.target, tt.operation)
		}
	}
}

func TestGitOperation(t *testing.T) {
	e, _ := NewEngine(Config{})
	for _, tt := range []struct {
		op, target string
		verdict    Verdict
		how        string // in the reason, for decisions CAVRA would not make
	}{
		{"push", "origin/main", Block, ""},
		{"push", "master", Block, ""},
		{"push", "origin/feature/domain", Block, ""}, // CAVRA's plain suffix
		{"push", "origin/feature", Allow, ""},
		{"pull", "origin/main", Allow, ""},
		{"push", "origin/main/", Block, "on target"},
		{"push ", "main", Block, "on target"},
		{"git push", "main", Block, "on target"},
		{"push origin main", "", Block, "pushes to main"},
		{"push -f origin HEAD:refs/heads/master", "", Block, "pushes to master"},
		{"push --all origin", "", Block, "every branch"},
		{"push origin feature", "", Allow, ""},
		{"", "push", Allow, ""},
	} {
		got := e.Evaluate(&Request{ActionType: GitOperation, Operation: tt.op, Target: tt.target})
		if got.Verdict != tt.verdict || !strings.Contains(got.Reason, tt.how) {
			t.Errorf("git %q on %q: got %v %q, want %v and a reason containing %q", tt.op, tt.target, got.Verdict, got.Reason, tt.verdict, tt.how)
		}
	}
}

// TestPathForms checks that a path is judged as sent and in the forms a
// file system may resolve it to, the most restrictive answer winning.
func TestPathForms(t *testing.T) {
	e, _ := NewEngine(Config{})
	for _, tt := range []struct {
		action, target string
		verdict        Verdict
		how            string
	}{
		{ReadFile, ".env", Block, ""},
		{ReadFile, "./.env", Block, `"./.env" resolves to ".env"`},
		{ReadFile, "a/../.env", Block, `resolves to ".env"`},
		{ReadFile, `config\..\.env`, Block, `resolves to ".env"`},
		{ReadFile, ".env.", Block, `resolves to ".env"`},
		{ReadFile, ".env::$DATA", Block, `resolves to ".env"`},
		{ReadFile, ".ENV", Block, "ignoring case"},
		{ReadFile, "Deploy/Key.PEM", Block, "ignoring case"},
		{ReadFile, "config/\u017fecrets.yaml", Block, "ignoring case"}, // the long s folds to s, as in the native packs
		{ReadFile, "deploy//key.pem", Block, ""},
		{ReadFile, "../.env", Allow, ""},
		{ReadFile, "src/main.go", Allow, ""},
		{ReadFile, "./src/main.go", Allow, ""},
		{WriteFile, "./iam/role.json", RequireApproval, `resolves to "iam/role.json"`},
		{WriteFile, "iam//role.json", RequireApproval, ""},
		{WriteFile, "./.github/workflows/ci.yml", Block, "resolves to"},
		{WriteFile, "IAM/role.json", RequireApproval, "ignoring case"},
	} {
		got := e.Evaluate(&Request{ActionType: tt.action, Target: tt.target})
		if got.Verdict != tt.verdict || !strings.Contains(got.Reason, tt.how) {
			t.Errorf("%s %q: got %v %q, want %v and a reason containing %q", tt.action, tt.target, got.Verdict, got.Reason, tt.verdict, tt.how)
		}
		if tt.how == "" && strings.Contains(got.Reason, "reached through") {
			t.Errorf("%s %q: got reason %q, want CAVRA's own", tt.action, tt.target, got.Reason)
		}
	}
}
