package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/strictjson"
)

func TestDecode(t *testing.T) {
	good := Request{SessionID: "s", AgentID: "a", Actor: "me", ActionType: ReadFile, Target: "x",
		Operation: "o", RequestedOperation: "ro", PolicyPack: "p", Server: "sv", Tool: "t", Capability: "c"}
	tests := []struct {
		in   string
		want Request
		err  string // in the error, if one is expected
	}{
		{`{"session_id":"s","agent_id":"a","actor":"me","action_type":"read_file","target":"x","operation":"o","requested_operation":"ro","policy_pack":"p","server":"sv","tool":"t","capability":"c"}`, good, ""},
		{` {"action_type":"read_file","target":"x"} ` + "\n", Request{ActionType: ReadFile, Target: "x"}, ""},
		{`{"action_type":"read_file","extra":{"a":[1,2,{"b":null}]},"n":5,"target":"x"}`, Request{ActionType: ReadFile, Target: "x"}, ""},
		{`{}`, Request{}, ""},
		{`{"target":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`, Request{Target: "a\"\\/\b\f\n\r\té😀"}, ""},
		{`{"target":5}`, Request{}, `member "target": is a JSON number, want a string`},
		{`{"target":null}`, Request{}, `member "target": is a JSON null`},
		{`{"target":true}`, Request{}, "JSON boolean"},
		{`{"target":["a"]}`, Request{}, "JSON array"},
		{`{"target":{"a":1}}`, Request{}, "JSON object"},
		{`{"target":"a","target":"b"}`, Request{}, `duplicate key "target"`},
		{`{"action_type":"read_file","ACTION_TYPE":"execute_command"}`, Request{}, `duplicate key "ACTION_TYPE" (as "action_type"`},
		{`{"requested_operation":"a","Requested_Operation":"b"}`, Request{}, "duplicate key"},
		{`{"x":1,"X":2}`, Request{}, `duplicate key "X" (as "x"`},
		{`{"Target":"x"}`, Request{Target: "x"}, ""},
		{"{\"\u017fession_id\":\"x\"}", Request{SessionID: "x"}, ""}, // long s folds to s, as in encoding/json
		{`{"target":"a\u0000b"}`, Request{}, "NUL"},
		{"{\"target\":\"\xff\"}", Request{}, "not valid UTF-8"},
		{`{"target":"\ud800"}`, Request{}, "surrogate"},
		{"{\"target\":\"a\tb\"}", Request{}, "in string literal"},
		{`[]`, Request{}, "JSON array, want an object"},
		{`"x"`, Request{}, "JSON string, want an object"},
		{`null`, Request{}, "JSON null, want an object"},
		{``, Request{}, "empty request"},
		{`   `, Request{}, "empty request"},
		{`{"target":"x"} {}`, Request{}, "unexpected data after the JSON value"},
		{`{"target":"x"}x`, Request{}, "unexpected data after the JSON value"},
		{`{"target":"x"`, Request{}, "bad JSON"},
		{`{"target" "x"}`, Request{}, "bad JSON"},
		{`{"target":"x",}`, Request{}, "bad JSON"},
		{`{'target':'x'}`, Request{}, "bad JSON"},
		{`{"n":01}`, Request{}, "bad JSON"},
		{`{"n":[1,]}`, Request{}, "bad JSON"},
		{`{"n":` + strings.Repeat("[", strictjson.MaxDepth+1) + strings.Repeat("]", strictjson.MaxDepth+1) + `}`, Request{}, "nested deeper"},
		// Payloads.
		{`{"record":"x"}`, Request{}, `member "record": is a JSON string, want an object`},
		{`{"record":null,"release_governance":null,"runner_auth":null}`, Request{}, ""},
		{`{"record":{},"release_governance":{}}`, Request{}, `both "record" and "release_governance"`},
		{`{"record":{"a":1,"a":2}}`, Request{}, `member "record": duplicate key "a"`},
		{`{"release_governance":{"approval_required_count":1.5}}`, Request{}, "want an integer"},
		{`{"release_governance":{"approval_required_count":"1"}}`, Request{}, "JSON string, want an integer"},
		{`{"release_governance":{"delivery_success":"yes"}}`, Request{}, "want a boolean"},
		{`{"release_governance":{"failed_providers":"x"}}`, Request{}, "want a list of strings"},
		{`{"release_governance":{"metadata_kind":"a","Metadata_Kind":"b"}}`, Request{}, "duplicate key"},
		{`{"runner_auth":{"identity":{"provider":1}}}`, Request{}, "JSON number, want a string"},
		{`{"runner_auth":{"signature":"a","SIGNATURE":"b"}}`, Request{}, "duplicate key"},
		{`{"runner_auth":[]}`, Request{}, "want an object"},
	}
	for _, tt := range tests {
		got, err := Decode([]byte(tt.in))
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("Decode(%q): got error %v, want none", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Decode(%q): got error %v, want one containing %q", tt.in, err, tt.err)
		case tt.err == "" && !reflect.DeepEqual(got, tt.want):
			t.Errorf("Decode(%q): got %+v, want %+v", tt.in, got, tt.want)
		}
	}
	big := `{"target":"` + strings.Repeat("a", MaxRequestSize) + `"}`
	if _, err := Decode([]byte(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Decode(oversize): got %v, want ErrTooLarge", err)
	}
}

// TestDecodePayloads checks how release-governance payloads are read:
// the typed one strictly, the untyped one as CAVRA reads its map.
func TestDecodePayloads(t *testing.T) {
	// Typed: an EvaluateRequest v1; operation, server, tool and
	// capability are dropped, and the action defaults to a record.
	r, err := Decode([]byte(`{"operation":"o","server":"s","tool":"t","capability":"c","requested_operation":"verify",` +
		`"release_governance":{"Metadata_Kind":"rollout-promotion-execution","approval_required_count":2,"delivery_success":true,` +
		`"failed_providers":["a","b"],"blocked_count":0,"alert_level":""}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Record{Members: 4, Kind: "rollout-promotion-execution", ApprovalRequired: 2, DeliverySuccess: true, FailedProviders: []string{"a", "b"}}
	if !r.Typed || !reflect.DeepEqual(r.Record, want) || r.Operation != "" || r.Server != "" || r.Tool != "" || r.Capability != "" {
		t.Errorf("typed: got %+v record %+v, want typed, record %+v and no operation, server, tool, capability", r, r.Record, want)
	}
	if got := r.Action(); got != ReleaseGovernanceRecord {
		t.Errorf("typed action: got %q, want %q", got, ReleaseGovernanceRecord)
	}
	// An empty typed payload is no record, and does not set the action.
	r, _ = Decode([]byte(`{"release_governance":{"blocked_count":0}}`))
	if !r.Typed || r.Record != nil || r.Action() != "" {
		t.Errorf("empty typed: got typed %v record %+v action %q, want typed, no record, no action", r.Typed, r.Record, r.Action())
	}
	// Untyped: exact keys, lenient values.
	r, err = Decode([]byte(`{"action_type":"release_governance_record","record":{"metadata_kind":7,"Approval_State":"denied",` +
		`"approval":{"state":" Pending ","approval_id":null},"blocked_count":2.9,"critical_count":"3","delivery_success":"Succeeded",` +
		`"drift_status":{"a":[1,true]},"failed_delivery_count":1e300,"evidence_refs":["x",1,"y"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	want = &Record{Members: 9, Kind: "7", NestedState: " Pending ", Blocked: 2, DeliverySuccess: true,
		DriftStatus: "map[a:[1 true]]", FailedDelivery: 1<<63 - 1, EvidenceRefs: []string{"x", "y"}}
	if r.Typed || !reflect.DeepEqual(r.Record, want) {
		t.Errorf("untyped: got %+v, want %+v", r.Record, want)
	}
	// An empty record is no record.
	if r, _ := Decode([]byte(`{"record":{}}`)); r.Record != nil {
		t.Errorf("empty record: got %+v, want nil", r.Record)
	}
	// runner_auth.
	r, err = Decode([]byte(`{"runner_auth":{"Identity":{"provider":"p","RUNNER_NAME":"n"},"algorithm":"HMAC-SHA256","key_id":"k","signature":"s","x":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	wa := &RunnerAuth{Identity: RunnerIdentity{Provider: "p", RunnerName: "n"}, Algorithm: "HMAC-SHA256", KeyID: "k", Signature: "s"}
	if !reflect.DeepEqual(r.RunnerAuth, wa) {
		t.Errorf("runner_auth: got %+v, want %+v", r.RunnerAuth, wa)
	}
}

// TestWithRunnerAuth checks that the --daemon client's runner_auth takes
// the place of the request's own, in any spelling, and that every other
// member stays as it was, compact, strings escaped as encoding/json does.
func TestWithRunnerAuth(t *testing.T) {
	a := &RunnerAuth{Identity: RunnerIdentity{Provider: "p", Repository: "r"}, Algorithm: "HMAC-SHA256", Signature: "s"}
	const auth = `"runner_auth":{"identity":{"provider":"p","repository":"r"},"algorithm":"HMAC-SHA256","signature":"s"}}`
	for _, tt := range []struct{ in, want string }{
		{`{}`, `{` + auth},
		{` {"target":"a<b","Runner_Auth":{"x":1},"record":{"n":[1.50,true,null,{}],"e":[]}} `,
			`{"target":"a\u003cb","record":{"n":[1.50,true,null,{}],"e":[]},` + auth},
		{"{\n  \"operation\": \"push\"\n}", `{"operation":"push",` + auth},
	} {
		got, err := WithRunnerAuth([]byte(tt.in), a)
		if err != nil || string(got) != tt.want {
			t.Errorf("WithRunnerAuth(%s): got %s, %v, want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`[]`, `{"a":1,"a":2}`, `{`} {
		if _, err := WithRunnerAuth([]byte(bad), a); err == nil {
			t.Errorf("WithRunnerAuth(%s): got no error", bad)
		}
	}
}
