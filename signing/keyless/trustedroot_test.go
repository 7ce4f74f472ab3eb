package keyless_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testsigstore"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
	"github.com/cavra/cavra/signing/keyless"
)

// TestTrustedRootStep: the step copies the file CAVRA_SIGSTORE_TRUSTED_ROOT
// names, or fetches Sigstore's trusted root for "fetch", into
// sigstore/trusted_root.json, byte for byte; unset, it writes nothing; it
// refuses what is not a trusted root, and writes nothing then.
func TestTrustedRootStep(t *testing.T) {
	root := testsigstore.New(t).TrustedRoot(t)
	file := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(file, root, 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	if err := os.WriteFile(garbage, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	fetchRoot := func(context.Context) ([]byte, error) { return root, nil }
	for _, c := range []struct {
		name  string
		env   string
		fetch func(context.Context) ([]byte, error)
		want  string // an error, or "" for the root written ("-" for nothing)
	}{
		{"unset", "", nil, "-"},
		{"a file", file, nil, ""},
		{"fetch", "fetch", fetchRoot, ""},
		{"fetch fails", "fetch", func(context.Context) ([]byte, error) { return nil, errors.New("no network") }, "CAVRA_SIGSTORE_TRUSTED_ROOT=fetch: no network"},
		{"fetch serves garbage", "fetch", func(context.Context) ([]byte, error) { return []byte("<html>"), nil }, "CAVRA_SIGSTORE_TRUSTED_ROOT=fetch: trusted root"},
		{"no such file", filepath.Join(t.TempDir(), "missing.json"), nil, "no such file"},
		{"not a trusted root", garbage, nil, "no certificate authority"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			st := keyless.TrustedRootStep{Getenv: func(k string) string {
				if k == keyless.TrustedRootEnv {
					return c.env
				}
				return ""
			}, Fetch: c.fetch}
			list, err := st.Run(context.Background(), &release.State{Config: &release.Config{Version: "v1.2.3"}, Dir: dir})
			written, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(layout.TrustedRoot)))
			switch c.want {
			case "-":
				if err != nil || len(list) != 0 || written != nil {
					t.Fatalf("got %v, %v, %d bytes written; want nothing", list, err, len(written))
				}
			case "":
				sum := sha256.Sum256(root)
				if err != nil || len(list) != 1 || string(written) != string(root) {
					t.Fatalf("got %v, %v; want the trusted root written", list, err)
				}
				if a := list[0]; a.Kind != artifact.TrustedRoot || a.Path != layout.TrustedRoot || a.SHA256 != hex.EncodeToString(sum[:]) || a.Size != int64(len(root)) {
					t.Errorf("artifact %+v", a)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), c.want) || written != nil {
					t.Fatalf("got %v (%d bytes written), want an error saying %q and nothing written", err, len(written), c.want)
				}
			}
		})
	}
}
