package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testrepo"
)

// TestRefusals checks the releases that must not start, and that they write
// nothing.
func TestRefusals(t *testing.T) {
	for _, k := range []string{"COSIGN_KEY", "COSIGN_PRIVATE_KEY", "COSIGN_PASSWORD", "VERSION", "SOURCE_DATE_EPOCH"} {
		t.Setenv(k, "")
	}
	tests := []struct {
		name   string
		setup  func(t *testing.T, repo string)
		args   []string
		code   int
		stderr string
	}{
		{"release without a key", func(t *testing.T, repo string) {
			t.Setenv("CAVRA_RELEASE", "1")
			t.Setenv("VERSION", "v1.2.3")
		}, []string{"release"}, 1, "a release needs a signing key"},
		{"release without a version", func(t *testing.T, repo string) { t.Setenv("CAVRA_RELEASE", "1") },
			[]string{"release"}, 1, "no version for a release"},
		{"release from a dirty tree", func(t *testing.T, repo string) {
			t.Setenv("CAVRA_RELEASE", "1")
			os.WriteFile(filepath.Join(repo, "README.md"), []byte("changed\n"), 0o644)
		}, []string{"release"}, 1, "uncommitted changes"},
		{"version that is not semver", func(t *testing.T, repo string) {}, []string{"release", "-version", "latest"}, 1, "not a semantic version"},
		{"target outside the matrix", func(t *testing.T, repo string) {}, []string{"release", "-targets", "plan9/386"}, 1, "not in the release matrix"},
		{"unknown step", func(t *testing.T, repo string) {}, []string{"run", "-through", "deploy"}, 1, `no step "deploy"`},
		{"bad usage", func(t *testing.T, repo string) {}, []string{"release", "extra"}, 2, "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			repo := testrepo.New(t, dir, "")
			t.Setenv("CAVRA_RELEASE", "")
			t.Setenv("HOME", filepath.Join(dir, "home"))
			tc.setup(t, repo)
			t.Chdir(repo)
			out := filepath.Join(dir, "dist")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append(tc.args, "-out", out), &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
				t.Fatalf("got exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.code, tc.stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a refused release wrote %s", out)
			}
		})
	}
}
