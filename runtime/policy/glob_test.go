package policy

import "testing"

func TestPathGlob(t *testing.T) {
	tests := []struct {
		pat, path string
		want      bool
	}{
		{"**/.env", ".env", true},
		{"**/.env", "a/b/.env", true},
		{"**/.env", "/home/me/.env", true},
		{"**/.env", "a/.env/b", false},
		{"**/.env", ".envrc", false},
		{"**/*.pem", "deploy/key.pem", true},
		{"**/*.pem", "key.pem.txt", false},
		{"*.pem", "deploy/key.pem", false},
		{"deploy/*", "deploy/a", true},
		{"deploy/*", "deploy/a/b", false},
		{"deploy/**", "deploy", true},
		{"deploy/**", "deploy/a/b", true},
		{"a/**/b", "a/b", true},
		{"a/**/b", "a/x/y/b", true},
		{"a/**/b", "a/x/y/c", false},
		{"a/**/b/**/c", "a/1/b/2/3/c", true},
		{"a/**/b/**/c", "a/1/c/2/b", false},
		{"/etc/**", "/etc/passwd", true},
		{"/etc/**", "etc/passwd", false},
		{"**/id_rsa*", "home/.ssh/id_rsa.pub", true},
		{"**/?.go", "a/b.go", true},
		{"**/?.go", "a/bb.go", false},
		{"**/*x*y*", "a/1x2y3", true},
		{"**/*x*y*", "a/1y2x3", false},
		{"**/é*", "a/été", true},
		{"**/?té", "a/été", true},
		{"**", "", true},
		{"**", "a/b", true},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.pat, false, false)
		if err != nil {
			t.Fatalf("compileGlob(%q): %v", tt.pat, err)
		}
		var buf [16]string
		if got := g.match(splitSegs(tt.path, buf[:0])); got != tt.want {
			t.Errorf("%q matching %q: got %v, want %v", tt.pat, tt.path, got, tt.want)
		}
	}
}

func TestCommandGlob(t *testing.T) {
	tests := []struct {
		pat  string
		argv []string
		want bool
	}{
		{"terraform plan", []string{"terraform", "plan"}, true},
		{"terraform plan", []string{"terraform", "plan", "-x"}, false},
		{"terraform plan **", []string{"terraform", "plan"}, true},
		{"terraform plan **", []string{"terraform", "plan", "-out=a/b"}, true},
		{"terraform ** apply", []string{"terraform", "-chdir=x", "apply"}, true},
		{"dd ** of=/dev/*", []string{"dd", "if=x", "of=/dev/sda"}, true},
		{"git checkout -b *", []string{"git", "checkout", "-b", "x/y"}, true},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.pat, true, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.match(tt.argv); got != tt.want {
			t.Errorf("%q matching %q: got %v, want %v", tt.pat, tt.argv, got, tt.want)
		}
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{"ABC.Pem", "abc.pem"},
		{"\u212aey", "key"},
		{"\u017fecret", "secret"},
		{"ÉTÉ", "été"},
	}
	for _, tt := range tests {
		if got := foldString(tt.in); got != tt.want {
			t.Errorf("foldString(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLex(t *testing.T) {
	tests := []struct {
		line   string
		segs   [][]string
		opaque bool
		unsafe []bool
	}{
		{"a  b\tc", [][]string{{"a", "b", "c"}}, false, []bool{false}},
		{`a 'b c' "d e" f\ g`, [][]string{{"a", "b c", "d e", "f g"}}, false, []bool{false}},
		{`a"b"'c'\d`, [][]string{{"abcd"}}, false, []bool{false}},
		{"a;b&&c||d|e&f\ng", [][]string{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}, {"f"}, {"g"}}, false, []bool{false, false, false, false, false, false, false}},
		{"a 2>&1 >/dev/null", [][]string{{"a"}}, false, []bool{false}},
		{"a > out", [][]string{{"a"}}, false, []bool{true}},
		{"a 2>err", [][]string{{"a"}}, false, []bool{true}},
		{"a <in", [][]string{{"a"}}, false, []bool{true}},
		{"X=1 a", [][]string{{"X=1", "a"}}, false, []bool{true}},
		{"a X=1", [][]string{{"a", "X=1"}}, false, []bool{false}},
		{"a *.go", [][]string{{"a", "*.go"}}, false, []bool{true}},
		{"a '*.go'", [][]string{{"a", "*.go"}}, false, []bool{false}},
		{"a $b", [][]string{{"a", "$b"}}, true, []bool{false}},
		{`a "$b"`, [][]string{{"a", "$b"}}, true, []bool{false}},
		{"a 'b", [][]string{{"a", "b"}}, true, []bool{false}},
		{"a >", [][]string{{"a"}}, true, []bool{false}},
		{"a\\\nb", [][]string{{"ab"}}, false, []bool{false}},
		{"", nil, false, nil},
	}
	for _, tt := range tests {
		var c cmdline
		c.lex(tt.line)
		var segs [][]string
		var unsafe []bool
		for i := range c.ns {
			segs = append(segs, append([]string(nil), c.seg(i)...))
			unsafe = append(unsafe, c.flags[i]&segUnsafe != 0)
		}
		if !equalSegs(segs, tt.segs) || c.opaque != tt.opaque || !equalBools(unsafe, tt.unsafe) {
			t.Errorf("lex(%q): got %q opaque=%v unsafe=%v, want %q opaque=%v unsafe=%v",
				tt.line, segs, c.opaque, unsafe, tt.segs, tt.opaque, tt.unsafe)
		}
	}
}

func TestLexLimits(t *testing.T) {
	var c cmdline
	long := ""
	for range maxWords + 5 {
		long += "w "
	}
	c.lex("ls " + long)
	if !c.opaque {
		t.Errorf("lex of %d words: got opaque=false, want true", maxWords+6)
	}
	p, _ := BuiltinNative(Baseline)
	if got := p.Evaluate(&Request{ActionType: ExecuteCommand, Target: "ls " + long}, nil); got.Verdict == Allow {
		t.Errorf("overlong command line: got %v, want not allow", got.Verdict)
	}
	if got := p.Evaluate(&Request{ActionType: ExecuteCommand, Target: "ls " + long + "; terraform apply"}, nil); got.Verdict != Block {
		t.Errorf("overlong command line ending in terraform apply: got %v, want block", got.Verdict)
	}
}

func equalSegs(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
