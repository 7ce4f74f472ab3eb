package bounded

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		max  int64
		err  string
	}{
		{"fits", small, 5, ""},
		{"too large", small, 4, "larger than 4 bytes"},
		{"folder", dir, 5, "not a regular file"},
		{"missing", filepath.Join(dir, "nope"), 5, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := ReadFile(tc.path, tc.max)
			switch {
			case tc.err == "" && (err != nil || string(data) != "12345"):
				t.Errorf("got %q, %v, want 12345", data, err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("got error %v, want %q", err, tc.err)
			}
		})
	}
}
