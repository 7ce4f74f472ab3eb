package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	good := Request{SessionID: "s", AgentID: "a", Actor: "me", ActionType: ReadFile, Target: "x",
		Operation: "o", PolicyPack: "p", Server: "sv", Tool: "t", Capability: "c"}
	tests := []struct {
		in   string
		want Request
		err  string // in the error, if one is expected
	}{
		{`{"session_id":"s","agent_id":"a","actor":"me","action_type":"read_file","target":"x","operation":"o","policy_pack":"p","server":"sv","tool":"t","capability":"c"}`, good, ""},
		{` {"action_type":"read_file","target":"x"} ` + "\n", Request{ActionType: ReadFile, Target: "x"}, ""},
		{`{"action_type":"read_file","extra":{"a":[1,2,{"b":null}]},"n":5,"target":"x"}`, Request{ActionType: ReadFile, Target: "x"}, ""},
		{`{}`, Request{}, ""},
		{`{"target":5}`, Request{}, `member "target" is a JSON number, want a string`},
		{`{"target":null}`, Request{}, `member "target" is a JSON null`},
		{`{"target":true}`, Request{}, "JSON boolean"},
		{`{"target":["a"]}`, Request{}, "JSON array"},
		{`{"target":{"a":1}}`, Request{}, "JSON object"},
		{`{"target":"a","target":"b"}`, Request{}, `member "target" given more than once`},
		{`{"action_type":"read_file","ACTION_TYPE":"execute_command"}`, Request{}, "given more than once"},
		{`{"Target":"x"}`, Request{Target: "x"}, ""},
		{`{"target":"a\u0000b"}`, Request{}, "NUL"},
		{"{\"target\":\"\xff\"}", Request{}, "not valid UTF-8"},
		{`[]`, Request{}, "JSON array, want an object"},
		{`"x"`, Request{}, "JSON string, want an object"},
		{`null`, Request{}, "JSON null, want an object"},
		{``, Request{}, "empty request"},
		{`   `, Request{}, "empty request"},
		{`{"target":"x"} {}`, Request{}, "after the request"},
		{`{"target":"x"}x`, Request{}, "after the request"},
		{`{"target":"x"`, Request{}, "bad JSON"},
		{`{"target" "x"}`, Request{}, "bad JSON"},
		{`{"target":"x",}`, Request{}, "bad JSON"},
		{`{'target':'x'}`, Request{}, "bad JSON"},
	}
	for _, tt := range tests {
		got, err := Decode([]byte(tt.in))
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("Decode(%q): got error %v, want none", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Decode(%q): got error %v, want one containing %q", tt.in, err, tt.err)
		case tt.err == "" && got != tt.want:
			t.Errorf("Decode(%q): got %+v, want %+v", tt.in, got, tt.want)
		}
	}
	big := `{"target":"` + strings.Repeat("a", MaxRequestSize) + `"}`
	if _, err := Decode([]byte(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Decode(oversize): got %v, want ErrTooLarge", err)
	}
}
