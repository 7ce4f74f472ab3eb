//go:build unix

package artifact_test

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cavra/cavra/packaging/release/artifact"
)

// TestModeIgnoresUmask sets a restrictive umask for the whole process; the
// tests of this package do not run in parallel.
func TestModeIgnoresUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	t.Cleanup(func() { syscall.Umask(old) })

	root := t.TempDir()
	for i, mode := range []fs.FileMode{0o644, 0o755, 0o600, 0o444, 0o750, 0o640} {
		p := "f" + string(rune('a'+i))
		if _, err := artifact.Create(root, p, artifact.Source, mode, func(w io.Writer) error {
			_, err := w.Write([]byte("x"))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != mode {
			t.Errorf("Create with %v: got %v, want %v", mode, got, mode)
		}
		// Stat sets the mode of an existing file too.
		if _, err := artifact.Stat(root, p, artifact.Source, 0o640); err != nil {
			t.Fatal(err)
		}
		if st, err = os.Stat(filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o640 {
			t.Errorf("Stat with 0640: got %v, want %v", got, fs.FileMode(0o640))
		}
	}
	if _, err := artifact.WriteFile(root, "w", artifact.Source, 0o755, []byte("x")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(root, "w"))
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o755 {
		t.Errorf("WriteFile with 0755: got %v, want %v", got, fs.FileMode(0o755))
	}
}
