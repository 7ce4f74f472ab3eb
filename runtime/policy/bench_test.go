package policy

import "testing"

func benchEval(b *testing.B, pack string, reg *Registry, req Request) {
	b.Helper()
	p, err := BuiltinNative(pack)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Evaluate(&req, reg)
	}
}

func BenchmarkEvaluateAllowCommand(b *testing.B) {
	benchEval(b, Baseline, nil, Request{ActionType: ExecuteCommand, Target: "terraform plan -out=tf.plan"})
}

func BenchmarkEvaluateBlockedCommand(b *testing.B) {
	benchEval(b, Baseline, nil, Request{ActionType: ExecuteCommand, Target: "terraform apply -auto-approve"})
}

func BenchmarkEvaluateChainedCommand(b *testing.B) {
	benchEval(b, Baseline, nil, Request{ActionType: ExecuteCommand, Target: `go test ./... && git commit -m "fix: tests" && git push origin feature/x`})
}

func BenchmarkEvaluateShellWrapper(b *testing.B) {
	benchEval(b, Baseline, nil, Request{ActionType: ExecuteCommand, Target: `sh -c "terraform plan && terraform apply"`})
}

func BenchmarkEvaluateBlockedRead(b *testing.B) {
	benchEval(b, Baseline, nil, Request{ActionType: ReadFile, Target: "deploy/key.pem"})
}

func BenchmarkEvaluateAllowedRead(b *testing.B) {
	benchEval(b, Baseline, nil, Request{ActionType: ReadFile, Target: "internal/server/handler.go"})
}

func BenchmarkEvaluateApprovalWrite(b *testing.B) {
	benchEval(b, Banking, nil, Request{ActionType: WriteFile, Target: "infra/iam/role.json"})
}

func BenchmarkEvaluateGitPush(b *testing.B) {
	benchEval(b, Banking, nil, Request{ActionType: GitOperation, Operation: "push origin release/2.1"})
}

func BenchmarkEvaluateMCPRegistry(b *testing.B) {
	reg, err := ParseRegistry([]byte(benchRegistry), "bench")
	if err != nil {
		b.Fatal(err)
	}
	benchEval(b, MCPEnterprise, reg, Request{ActionType: MCPToolCall, Server: "github", Tool: "get_file_contents", Capability: "repo:read"})
}

const benchRegistry = `{"schema":"cavra.mcp-registry/v1","servers":[
 {"name":"github","approval":"approved","trust_tier":"verified","tools":["get_*","list_*","create_pull_request"],"capabilities":["repo:read","repo:write"]},
 {"name":"jira","approval":"pending","trust_tier":"community","tools":["*"],"capabilities":[]}
]}`
