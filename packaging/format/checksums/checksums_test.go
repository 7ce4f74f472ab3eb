package checksums

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const h1 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" // sha256 of ""

func TestFormatParse(t *testing.T) {
	lines := []Line{{"z", h1}, {"a/b", h1}, {"a", h1}}
	b, err := Format(lines)
	if err != nil {
		t.Fatal(err)
	}
	want := h1 + "  a\n" + h1 + "  a/b\n" + h1 + "  z\n"
	if string(b) != want {
		t.Fatalf("got %q, want %q", b, want)
	}
	got, err := Parse(b)
	if err != nil || len(got) != 3 || got[1].Path != "a/b" {
		t.Fatalf("got %v %v", got, err)
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"empty", "", "empty"},
		{"no final newline", h1 + "  a", "no newline"},
		{"one space", h1 + " a\n", "want"},
		{"short digest", "abc  a\n", "64 lowercase hex"},
		{"upper case", strings.ToUpper(h1) + "  a\n", "64 lowercase hex"},
		{"binary marker", h1 + "  *a\n", "binary-mode marker"},
		{"absolute", h1 + "  /etc/passwd\n", "absolute"},
		{"escaping", h1 + "  ../x\n", "leaves its root"},
		{"unclean", h1 + "  a/./b\n", "not clean"},
		{"backslash", h1 + `  a\b` + "\n", "backslash"},
		{"duplicate", h1 + "  a\n" + h1 + "  a\n", "listed twice"},
		{"unsorted", h1 + "  b\n" + h1 + "  a\n", "out of order"},
		{"blank line", h1 + "  a\n\n", "want"},
		{"CRLF", h1 + "  a\r\n", "control character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestSha256sum checks the format against GNU sha256sum -c.
func TestSha256sum(t *testing.T) {
	tool, err := exec.LookPath("sha256sum")
	if err != nil {
		if os.Getenv("CAVRA_REQUIRE_TOOLS") == "1" {
			t.Fatal("sha256sum not found")
		}
		t.Skip("sha256sum not found")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sub dir"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub dir", "f"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "g"), nil, 0o644)
	b, _ := Format([]Line{{"sub dir/f", h1}, {"g", h1}})
	os.WriteFile(filepath.Join(dir, Name), b, 0o644)
	cmd := exec.Command(tool, "-c", "--strict", Name)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(dir, "g"), []byte("x"), 0o644)
	cmd = exec.Command(tool, "-c", "--strict", Name)
	cmd.Dir = dir
	if err := cmd.Run(); err == nil {
		t.Fatal("sha256sum -c passed a changed file")
	}
}
