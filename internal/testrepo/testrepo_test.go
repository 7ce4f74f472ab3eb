package testrepo

import (
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
