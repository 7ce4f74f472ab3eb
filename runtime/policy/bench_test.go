package policy

import (
	"strings"
	"testing"
)

// benchRequests are typical requests of each kind: a blocked, an
// approved and an allowed file, blocked, allowed and unlisted commands,
// a push and an MCP call.
func benchRequests(pack string) []Request {
	return []Request{
		{ActionType: ReadFile, Target: ".env", PolicyPack: pack},
		{ActionType: ReadFile, Target: "src/service/handler.go", PolicyPack: pack},
		{ActionType: WriteFile, Target: "infra/iam/role.json", PolicyPack: pack},
		{ActionType: ExecuteCommand, Target: "terraform apply -auto-approve", PolicyPack: pack},
		{ActionType: ExecuteCommand, Target: "terraform plan -out=tf.plan", PolicyPack: pack},
		{ActionType: ExecuteCommand, Target: "make deploy", PolicyPack: pack},
		{ActionType: GitOperation, Operation: "push", Target: "origin/main", PolicyPack: pack},
		{ActionType: MCPToolCall, Server: "github-enterprise", Tool: "get_issue", PolicyPack: pack},
	}
}

// BenchmarkDecision measures one decision on each built-in pack: the
// time and allocations per decision, over the mix of benchRequests.
func BenchmarkDecision(b *testing.B) {
	e, err := NewEngine(Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, pack := range BuiltinNames() {
		reqs := benchRequests(pack)
		b.Run(pack, func(b *testing.B) {
			b.ReportAllocs()
			var res Result
			n := 0
			for b.Loop() {
				e.evaluate(&reqs[n%len(reqs)], &res)
				n++
			}
		})
	}
}

// BenchmarkDecisionKind measures each kind of request on the CAVRA
// baseline.
func BenchmarkDecisionKind(b *testing.B) {
	e, err := NewEngine(Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, req := range benchRequests(DefaultPack) {
		name := req.ActionType + "/" + strings.ReplaceAll(req.Target+req.Server, "/", "_")
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var res Result
			for b.Loop() {
				e.evaluate(&req, &res)
			}
		})
	}
}

// BenchmarkDecisionEvasion measures lines that are read as a shell would
// run them (chains, wrappers, substitutions): slower than plain lines,
// which BenchmarkDecision covers.
func BenchmarkDecisionEvasion(b *testing.B) {
	e, err := NewEngine(Config{})
	if err != nil {
		b.Fatal(err)
	}
	for name, line := range map[string]string{
		"chain":        `go test ./... && git commit -m "fix: tests" && terraform plan`,
		"wrapper":      `sudo -E timeout 60 terraform apply`,
		"shell-string": `sh -c "terraform plan && terraform apply"`,
		"substitution": `echo "$(kubectl delete ns prod)"`,
		"path":         `./.github//workflows/ci.yml`,
	} {
		req := Request{ActionType: ExecuteCommand, Target: line}
		if name == "path" {
			req.ActionType = WriteFile
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var res Result
			for b.Loop() {
				e.evaluate(&req, &res)
			}
		})
	}
}

// BenchmarkReleaseGovernance measures a release-governance record,
// decoded (typed and untyped) and decided, and decided alone.
func BenchmarkReleaseGovernance(b *testing.B) {
	e, err := NewEngine(Config{})
	if err != nil {
		b.Fatal(err)
	}
	for name, data := range map[string]string{
		"typed": `{"session_id":"s","action_type":"release_governance_record","target":"rollout-artifacts","requested_operation":"verify",` +
			`"release_governance":{"metadata_kind":"rollout-artifact-integrity","release_channel":"stable","release_version":"v0.2.0",` +
			`"integrity_status":"mismatch","integrity_failure_count":1,"evidence_refs":["evidence://rollout/artifact-integrity"]}}`,
		"untyped": `{"session_id":"s","action_type":"release_governance_record","record":{"metadata_kind":"endpoint-drift-remediation-request",` +
			`"approval":{"state":"denied","approval_id":"apr_endpoint_denied"}}}`,
	} {
		req, err := Decode([]byte(data))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/decide", func(b *testing.B) {
			b.ReportAllocs()
			var res Result
			for b.Loop() {
				e.evaluate(&req, &res)
			}
		})
		b.Run(name+"/decode+decide", func(b *testing.B) {
			b.ReportAllocs()
			var res Result
			for b.Loop() {
				r, _ := Decode([]byte(data))
				e.evaluate(&r, &res)
			}
		})
	}
}

// BenchmarkDecode measures decoding a typical request.
func BenchmarkDecode(b *testing.B) {
	data := []byte(`{"session_id":"sess-42","agent_id":"claude-code","actor":"dev@example.com","action_type":"execute_command","target":"terraform plan -out=tf.plan","policy_pack":"cavra-ai-agent-baseline"}`)
	b.ReportAllocs()
	for b.Loop() {
		Decode(data)
	}
}

// BenchmarkEncode measures writing a decision as a DecisionResponse line.
func BenchmarkEncode(b *testing.B) {
	e, _ := NewEngine(Config{})
	req := Request{SessionID: "sess-42", ActionType: ExecuteCommand, Target: "terraform plan -out=tf.plan"}
	d := NewDecision(&req, e.Evaluate(&req))
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = d.AppendV1(buf[:0])
	}
}

// BenchmarkPathological measures the worst lines the command reader
// bounds: long runs of wrappers, pipes and commands.
func BenchmarkPathological(b *testing.B) {
	e, _ := NewEngine(Config{})
	for name, line := range map[string]string{
		"wrappers":  strings.Repeat("sudo ", 10000) + "x",
		"pipes":     strings.Repeat("a | ", 10000) + "x",
		"shells":    strings.Repeat("sh -c ", 3000),
		"commands":  strings.Repeat("a; ", 30000),
		"words":     "sudo " + strings.Repeat("x ", 100000),
		"substs":    strings.Repeat("$(", 5000) + strings.Repeat(")", 5000),
		"heredocs":  strings.Repeat("<<E\n", 1000),
		"pipeshell": strings.Repeat("echo x | sh; ", 3000),
	} {
		req := Request{ActionType: ExecuteCommand, Target: line}
		b.Run(name, func(b *testing.B) {
			var res Result
			for b.Loop() {
				e.evaluate(&req, &res)
			}
		})
	}
}
