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
