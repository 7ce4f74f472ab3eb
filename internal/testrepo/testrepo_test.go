package testrepo

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// privateKey matches a PEM private key block of any kind.
var privateKey = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`)

// TestNoPrivateKeyInRepository fails when any file of the repository, tracked
// or about to be, holds a private key: test keys are generated at test time.
func TestNoPrivateKeyInRepository(t *testing.T) {
	root := ModuleRoot(t)
	files := Files(t, root)
	if len(files) < 50 {
		t.Fatalf("listed only %d files", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if privateKey.Match(data) {
			t.Errorf("%s holds a private key", f)
		}
	}
}

// TestNoBinaries fails on an executable or a file over 4 MiB in the
// repository: a command built in the checkout (go build ./cmd/cavra writes
// ./cavra) must never be committed, and test fixtures stay small.
func TestNoBinaries(t *testing.T) {
	root := ModuleRoot(t)
	magics := [][]byte{{0x7f, 'E', 'L', 'F'}, {'M', 'Z'}, {0xcf, 0xfa, 0xed, 0xfe}, {0xfe, 0xed, 0xfa, 0xcf}, {0xca, 0xfe, 0xba, 0xbe}}
	for _, f := range Files(t, root) {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 4<<20 {
			t.Errorf("%s: %d bytes; keep large files out of the repository", f, len(data))
		}
		for _, m := range magics {
			if bytes.HasPrefix(data, m) {
				t.Errorf("%s is an executable (starts %q); build commands outside the checkout", f, m)
			}
		}
	}
}
