package shell

import (
	"fmt"
	"strings"
	"testing"
)

// lexed prints a Line compactly: each command's words joined by commas,
// with its raw text after @ and its marks (a assignment, g glob, r
// redirection); then the substitutions, documents, files, flags and error.
func lexed(line string) string {
	var x lexer
	var l Line
	x.lex(&l, line)
	var b strings.Builder
	for i, c := range l.Cmds {
		if i > 0 {
			b.WriteString(map[bool]string{true: " | ", false: " ; "}[c.Pipeline == l.Cmds[i-1].Pipeline])
		}
		b.WriteString(strings.Join(l.Words[c.Start:c.End], ","))
		if c.Prog != c.Start {
			fmt.Fprintf(&b, "^%d", c.Prog-c.Start)
		}
		b.WriteString("@" + c.Raw)
		for _, m := range []struct {
			on bool
			s  string
		}{{c.Assign, " a"}, {c.Glob, " g"}, {c.Redirect, " r"}} {
			if m.on {
				b.WriteString(m.s)
			}
		}
	}
	for _, s := range l.Subs {
		fmt.Fprintf(&b, " sub(%s)", s)
	}
	for _, d := range l.Docs {
		fmt.Fprintf(&b, " doc%d(%q)", d.Cmd, d.Text)
	}
	for _, f := range l.Files {
		fmt.Fprintf(&b, " file(%s)", f)
	}
	for i, n := range []string{"expansion", "comment", "odd", "broken", "backslash"} {
		if l.Flags&(1<<i) != 0 {
			b.WriteString(" " + n)
		}
	}
	if l.Err != "" {
		b.WriteString(" err(" + l.Err + ")")
	}
	return b.String()
}

func TestLex(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{"a  b\tc", "a,b,c@a  b\tc"},
		{`a 'b c' "d e" f\ g`, `a,b c,d e,f g@a 'b c' "d e" f\ g backslash`},
		{`a"b"'c'\d`, `abcd@a"b"'c'\d backslash`},
		{"a;b&&c||d|e&f\ng", "a@a ; b@b ; c@c ; d@d | e@e ; f@f ; g@g"},
		{"a |& b", "a@a | b@b"},
		{"a 2>&1 >/dev/null", "a@a 2>&1 >/dev/null"},
		{"a > out", "a@a > out r file(out)"},
		{"a 2>err &>> log", "a@a 2>err &>> log r file(err) file(log)"},
		{"a <in", "a@a <in r file(in)"},
		{"> out", "@> out r file(out)"},
		{"X=1 Y=2 a b", "X=1,Y=2,a,b^2@X=1 Y=2 a b a"},
		{"a X=1", "a,X=1@a X=1"},
		{"if true; then a; fi", "if,true^1@if true ; then,a^1@then a ; fi^1@fi"},
		{"a *.go", "a,*.go@a *.go g"},
		{"a '*.go'", "a,*.go@a '*.go'"},
		{"a $b", "a,$b@a $b expansion"},
		{`a "$b"`, `a,$b@a "$b" expansion`},
		{"a $(b c) `d`", "a,$(b c),`d`@a $(b c) `d` sub(b c) sub(d) expansion"},
		{`echo "x $(kubectl delete ns) ${y:-$(z)}"`, `echo,x $(kubectl delete ns) ${y:-$(z)}@echo "x $(kubectl delete ns) ${y:-$(z)}" sub(kubectl delete ns) sub(y:-$(z)) expansion`},
		{"(a b) && diff <(c) x", "(a b)@(a b) ; diff,(c),x@diff <(c) x sub(a b) sub(c) expansion"},
		{"a { b; }", "a,{,b@a { b ; }^1@} expansion"},
		{"a # comment ; b\nc", "a@a # comment ; b ; c@c comment"},
		{"! a", "!,a^1@! a comment"},
		{`$'a\x20b\tc\101'`, "a b\tcA@$'a\\x20b\\tc\\101' expansion"},
		{`$'a\'b\q\x4g' x`, "a'bq\x04g,x@$'a\\'b\\q\\x4g' x expansion"},
		{`$'ab\`, "ab\\@$'ab\\ expansion broken err(unterminated $'...' string)"},
		{"a\\\nb", "ab@a\\\nb backslash"},
		{"a 'b", "a,b@a 'b broken err(unterminated single quote)"},
		{`a "b`, `a,b@a "b broken err(unterminated double quote)`},
		{"a $(b", "a,$(b@a $(b sub(b) expansion broken err(unbalanced '(')"},
		{"a `b", "a,`b@a `b sub(b) expansion broken err(unterminated backquote)"},
		{"a >", "a@a > broken err(redirection without a target)"},
		{"a > > b", "a@a > > b r file(b) broken err(redirection without a target)"},
		{"a )", "a@a ) broken err(unbalanced ')')"},
		{"a \\", "a@a \\ broken backslash"},
		{"a <<EOF\nb", `a@a <<EOF doc0("b\n") expansion broken err(here-document without its end line)`},
		{"cat <<-'E' | sh\n\tx $(y)\n\tE\nz", `cat@cat <<-'E' | sh@sh ; z@z doc0("\tx $(y)\n") expansion`},
		{"sh <<< 'a b'", `sh@sh <<< 'a b' doc0("a b") expansion`},
		{"a\rb", "a,b@a\rb odd"},
		{"a\u00a0b \x01", "a\u00a0b,\x01@a\u00a0b \x01 odd"},
		{"", ""},
	} {
		if got := lexed(tt.line); got != tt.want {
			t.Errorf("lex(%q):\ngot  %s\nwant %s", tt.line, got, tt.want)
		}
	}
}

// read prints a Reading compactly: each command's Norm, with its marks
// (x exact, v a pipeline view) and how it was reached.
func read(line string) string {
	rd := Read(line)
	defer rd.Release()
	var l []string
	for _, c := range rd.Commands {
		s := c.Norm
		if c.Exact {
			s += " x"
		}
		if c.View {
			s += " v"
		}
		if c.Via != 0 {
			s += " [" + strings.TrimSuffix(c.How(), ": "+fmt.Sprintf("%q", c.Norm)) + "]"
		}
		l = append(l, s)
	}
	if rd.Why != "" {
		l = append(l, "why: "+rd.Why)
	}
	return strings.Join(l, "; ")
}

func TestRead(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{"terraform plan -out=x", "terraform plan -out=x x"},
		{"terraform  plan", "terraform plan x [normalised quoting and white space]"},
		{"a && b | c", "a x [a command chain]; b x [a command chain, a pipeline]; c x [a command chain, a pipeline]; b | c v [a command chain, a pipeline]"},
		{"sudo -E terraform apply", "sudo -E terraform apply x; -E terraform apply [a wrapper or shell string (sudo)]; terraform apply [a wrapper or shell string (sudo)]; apply [a wrapper or shell string (sudo)]" +
			"; sudo -E terraform apply [the line read with its quoting and expansions ignored]"},
		{"X=1 /usr/bin/tf apply", "tf apply x [a variable assignment, a program path]"},
		{"echo $(kubectl delete ns)", "echo $(kubectl delete ns) x; kubectl delete ns x [a command substitution or subshell]; echo [the line read with its quoting and expansions ignored]; kubectl delete ns [the line read with its quoting and expansions ignored]"},
		{"echo tf apply | bash", "echo tf apply x [a pipeline]; bash x [a pipeline]; echo tf apply | bash v [a pipeline]; tf apply x [a pipeline, text piped into a shell]" +
			"; echo tf apply [the line read with its quoting and expansions ignored]; bash [the line read with its quoting and expansions ignored]"},
		{"bash <<E\ntf apply\nE", "bash x [normalised quoting and white space]; tf apply x [a here-document fed to a shell]; bash E [the line read with its quoting and expansions ignored]; tf apply [the line read with its quoting and expansions ignored]; E [the line read with its quoting and expansions ignored]"},
		{`C:\bin\tf.exe apply`, `C:bintf apply x [a program path]; tf apply [a program path, backslashes read as Windows path separators]; C:bintf apply [the line read with its quoting and expansions ignored]; tf apply [backslashes read as Windows path separators, the line read with its quoting and expansions ignored]`},
		{"a 'b", "a b x [normalised quoting and white space]; a b [the line read with its quoting and expansions ignored]; why: unterminated single quote"},
		{"pytest " + strings.Repeat("$(", 9) + strings.Repeat(")", 9), ""},
	} {
		got := read(tt.line)
		if tt.want == "" {
			if !strings.Contains(got, "why: too deeply nested") {
				t.Errorf("Read(%q): got %s, want it too deeply nested", tt.line, got)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("Read(%q):\ngot  %s\nwant %s", tt.line, got, tt.want)
		}
	}
}

// TestReadAllocs pins what reading a plain line costs: nothing.
func TestReadAllocs(t *testing.T) {
	Read("warm up").Release()
	for _, line := range []string{"terraform plan -out=tf.plan", "make deploy", "cat README.md"} {
		if got := testing.AllocsPerRun(100, func() { Read(line).Release() }); got != 0 {
			t.Errorf("Read(%q): got %v allocations, want 0", line, got)
		}
	}
}

func TestPlain(t *testing.T) {
	for _, tt := range []struct {
		line string
		want bool
	}{
		{"terraform plan -out=tf.plan", true},
		{"ls", true},
		{"git status", true},
		{"git push origin x", false},
		{"terraform  plan", false},
		{" ls", false},
		{"ls ", false},
		{"sudo ls", false},
		{"time ls", false},
		{"/bin/ls", false},
		{"X=1 ls", false},
		{"ls;x", false},
		{"ls 'a'", false},
		{"l?s", false},
		{"ls *.go", true},
		{"sh", false},
		{"", false},
	} {
		if got := Plain(tt.line); got != tt.want {
			t.Errorf("Plain(%q): got %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestReadPush(t *testing.T) {
	for _, tt := range []struct {
		args string
		want string // refs, then flags
	}{
		{"status", "not a push"},
		{"push", "[]"},
		{"push origin", "[] remote=origin"},
		{"push origin main", "[main] remote=origin"},
		{"-C repo -c a=b --git-dir x push -u origin main", "[main] remote=origin"},
		{"push origin HEAD:refs/heads/master +x:main :gone", "[refs/heads/master main gone] force remote=origin"},
		{"push --force-with-lease=main:abc origin x", "[x] force remote=origin"},
		{"push -uf origin x", "[x] force remote=origin"},
		{"push --all origin", "[] all(--all) remote=origin"},
		{"push --mirror origin", "[] all(--mirror) force remote=origin"},
		{"push origin : refs/heads/*:refs/heads/*", "[] all(the refspec refs/heads/*:refs/heads/*) remote=origin"},
		{"push --repo=x -o opt origin x", "[x] remote=origin"},
		{"push --receive-pack git-rp origin x", "[x] unknown remote=origin"},
		{"push --exec=y origin x", "[x] unknown remote=origin"},
		{"push -- -weird x", "[x] remote=-weird"},
	} {
		p, ok := ReadPush(strings.Fields(tt.args), nil)
		got := "not a push"
		if ok {
			got = fmt.Sprint(p.Refs)
			if p.All {
				got += " all(" + p.AllBy + ")"
			}
			if p.Force {
				got += " force"
			}
			if p.Unknown {
				got += " unknown"
			}
			if p.Remote != "" {
				got += " remote=" + p.Remote
			}
		}
		if got != tt.want {
			t.Errorf("ReadPush(%q): got %s, want %s", tt.args, got, tt.want)
		}
	}
	for _, tt := range []struct {
		ref, branch string
		ok          bool
	}{
		{"main", "main", true}, {"refs/heads/main", "main", true}, {"refs/tags/v1", "", true},
		{"HEAD", "", false}, {"head", "", false}, {"@{u}", "", false}, {"a..b", "", false}, {"x/", "", false},
		{"feature/x", "feature/x", true},
	} {
		if b, ok := Branch(tt.ref); b != tt.branch || ok != tt.ok {
			t.Errorf("Branch(%q): got %q %v, want %q %v", tt.ref, b, ok, tt.branch, tt.ok)
		}
	}
}
