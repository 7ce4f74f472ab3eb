package policy

import (
	"strings"
	"testing"
)

// FuzzCommand checks properties that must hold for any command line,
// under the CAVRA baseline and the native one: a line that is allowed
// stops being allowed when a blocked command is chained to it or when it
// is wrapped in sh -c, and a blocked command stays blocked whatever is
// chained in front of it.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{"terraform plan", "pytest -x", "ls -la", "git status", "go test ./...", "echo 'a;b'", `cat "x y"`, "a\\ b", "x|y"} {
		f.Add(s)
	}
	e, err := NewEngine(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\x00") {
			return
		}
		for _, pack := range []string{DefaultPack, Baseline} {
			eval := func(line string) Result {
				return e.Evaluate(&Request{ActionType: ExecuteCommand, Target: line, PolicyPack: pack})
			}
			res := eval(line)
			if res.RuleID == "" || res.Verdict == "" {
				t.Fatalf("%s %q: empty result %+v", pack, line, res)
			}
			if res.Verdict != Allow || strings.Contains(line, "#") {
				continue // a comment would swallow what is appended
			}
			for _, l := range []string{
				line + "\nterraform apply",
				line + "; terraform apply",
				line + " && terraform apply",
				"sh -c '" + strings.ReplaceAll(line, "'", `'\''`) + "; terraform apply'",
			} {
				if got := eval(l); got.Verdict != Block {
					t.Errorf("%s: %q is allowed, and %q is %v (rule %s), want block", pack, line, l, got.Verdict, got.RuleID)
				}
			}
			if got := eval(line + " | sh"); got.Verdict == Allow {
				t.Errorf("%s: %q is allowed, and so is %q", pack, line, line+" | sh")
			}
		}
	})
}

// FuzzPath checks that a blocked path stays blocked however it is
// spelled.
func FuzzPath(f *testing.F) {
	for _, s := range []string{".env", "deploy/key.pem", "a/b/.ssh/config", "x/terraform.tfstate", "src/main.go", "config/secrets.yaml"} {
		f.Add(s)
	}
	e, err := NewEngine(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path string) {
		if path == "" || strings.TrimSpace(path) == "" || strings.HasPrefix(path, "/") {
			return
		}
		for _, pack := range []string{DefaultPack, Baseline} {
			eval := func(p string) Result {
				return e.Evaluate(&Request{ActionType: ReadFile, Target: p, PolicyPack: pack})
			}
			if eval(path).Verdict != Block {
				continue
			}
			for _, q := range []string{"./" + path, "x/../" + path, strings.ToUpper(path), strings.ReplaceAll(path, "/", `\`), "./a/./../" + path} {
				if got := eval(q); got.Verdict != Block {
					t.Errorf("%s: %q is blocked but %q is %v (%s)", pack, path, q, got.Verdict, got.RuleID)
				}
			}
		}
	})
}

// FuzzDecode checks the request decoder against encoding/json: what
// Decode accepts, encoding/json accepts too, with the same value for
// every string member (the runtime request's own members are dropped
// when a typed release_governance makes it an EvaluateRequest v1).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"action_type":"read_file","target":".env"}`, `{"target":"\u00e9"}`, `{"record":{"a":[1,{"b":null}]}}`,
		`{"release_governance":{"blocked_count":1}}`, `{"runner_auth":{"identity":{"provider":"p"}}}`, `{}`, `[`,
		`{"Target":"a","server":"s","TOOL":"t","\u017ferver":"x"}`, `{"operation":"o","release_governance":{"metadata_kind":"k"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			return
		}
		var v struct {
			SessionID          string `json:"session_id"`
			AgentID            string `json:"agent_id"`
			Actor              string `json:"actor"`
			ActionType         string `json:"action_type"`
			Target             string `json:"target"`
			Operation          string `json:"operation"`
			RequestedOperation string `json:"requested_operation"`
			PolicyPack         string `json:"policy_pack"`
			Server             string `json:"server"`
			Tool               string `json:"tool"`
			Capability         string `json:"capability"`
		}
		if jerr := jsonUnmarshal(data, &v); jerr != nil {
			t.Fatalf("Decode accepted %q, encoding/json says %v", data, jerr)
		}
		if r.Typed {
			v.Operation, v.Server, v.Tool, v.Capability = "", "", "", ""
		}
		got := [...]string{r.SessionID, r.AgentID, r.Actor, r.ActionType, r.Target, r.Operation, r.RequestedOperation, r.PolicyPack, r.Server, r.Tool, r.Capability}
		want := [...]string{v.SessionID, v.AgentID, v.Actor, v.ActionType, v.Target, v.Operation, v.RequestedOperation, v.PolicyPack, v.Server, v.Tool, v.Capability}
		if got != want {
			t.Fatalf("%q: Decode read %q, encoding/json %q", data, got, want)
		}
	})
}
