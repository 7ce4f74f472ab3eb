package policy

import "testing"

// TestAllocs pins the allocation figures the README gives: a decision on
// any built-in pack allocates nothing but an MCP call's server:tool
// target and, under a native pack, a git_operation's command line ("git "
// and the operation); writing a decision nothing; decoding a request one
// string, the copy of its input; deciding a release-governance record
// one, its reason.
func TestAllocs(t *testing.T) {
	e, err := NewEngine(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pack := range BuiltinNames() {
		for _, req := range benchRequests(pack) {
			want := 0.0
			if _, native := e.packs[pack].(*Policy); req.ActionType == MCPToolCall || native && req.ActionType == GitOperation {
				want = 1
			}
			var res Result
			if got := testing.AllocsPerRun(100, func() { e.evaluate(&req, &res) }); got != want {
				t.Errorf("%s %s %q%s: got %v allocations, want %v", pack, req.ActionType, req.Target, req.Server, got, want)
			}
		}
	}
	req := Request{SessionID: "sess-42", ActionType: ExecuteCommand, Target: "terraform plan -out=tf.plan"}
	d := NewDecision(&req, e.Evaluate(&req))
	buf := make([]byte, 0, 1024)
	if got := testing.AllocsPerRun(100, func() { d.AppendV1(buf[:0]); d.AppendRuntime(buf[:0], true) }); got != 0 {
		t.Errorf("writing a decision: got %v allocations, want 0", got)
	}
	data := []byte(`{"session_id":"sess-42","agent_id":"claude-code","action_type":"execute_command","target":"terraform plan","policy_pack":"cavra-ai-agent-baseline"}`)
	if got := testing.AllocsPerRun(100, func() { Decode(data) }); got != 1 {
		t.Errorf("decoding a request: got %v allocations, want 1", got)
	}
	rg, err := Decode([]byte(`{"action_type":"release_governance_record","release_governance":{"metadata_kind":"rollout-artifact-integrity","integrity_status":"mismatch"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if got := testing.AllocsPerRun(100, func() { e.evaluate(&rg, &res) }); got != 1 {
		t.Errorf("deciding a release-governance record: got %v allocations, want 1", got)
	}
}
