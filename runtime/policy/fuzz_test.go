package policy

import (
	"strings"
	"testing"
)

// FuzzCommand checks properties that must hold for any command line: a
// line that is allowed stops being allowed when a blocked command is
// chained to it or when it is wrapped in sh -c, and a blocked command
// stays blocked whatever is chained in front of it.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{"terraform plan", "ls -la", "git status", "go test ./...", "echo 'a;b'", `cat "x y"`, "a\\ b", "x|y"} {
		f.Add(s)
	}
	p, err := Builtin(Baseline)
	if err != nil {
		f.Fatal(err)
	}
	eval := func(line string) Result {
		return p.Evaluate(&Request{ActionType: ExecuteCommand, Target: line}, nil)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\x00") {
			return
		}
		res := eval(line)
		if res.RuleID == "" || res.Verdict == "" {
			t.Fatalf("%q: empty result %+v", line, res)
		}
		if res.Verdict != Allow {
			return
		}
		for _, l := range []string{
			line + "\nterraform apply",
			line + "; terraform apply",
			line + " && terraform apply",
			line + " | sh",
			"sh -c '" + strings.ReplaceAll(line, "'", `'\''`) + "'",
		} {
			if got := eval(l); got.Verdict == Allow {
				t.Errorf("%q is allowed, and so is %q (rule %s)", line, l, got.RuleID)
			}
		}
		if got := eval(line + "\nterraform apply"); got.Verdict != Block {
			t.Errorf("%q followed by a line with terraform apply: got %v, want block", line, got.Verdict)
		}
	})
}

// FuzzPath checks that a blocked path stays blocked however it is
// spelled.
func FuzzPath(f *testing.F) {
	for _, s := range []string{".env", "deploy/key.pem", "a/b/.ssh/config", "x.tfstate", "src/main.go"} {
		f.Add(s)
	}
	p, err := Builtin(Baseline)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path string) {
		if path == "" || strings.TrimSpace(path) == "" {
			return
		}
		res := p.Evaluate(&Request{ActionType: ReadFile, Target: path}, nil)
		if res.Verdict != Block {
			return
		}
		for _, q := range []string{"./" + path, "x/../" + path, strings.ToUpper(path), strings.ReplaceAll(path, "/", `\`), "./a/./../" + path} {
			if got := p.Evaluate(&Request{ActionType: ReadFile, Target: q}, nil); got.Verdict != Block {
				t.Errorf("%q is blocked but %q is %v (%s)", path, q, got.Verdict, got.RuleID)
			}
		}
	})
}
