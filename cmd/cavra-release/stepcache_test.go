package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/internal/testrepo"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/packaging/release/reprotest"
)

// TestStepCacheSameBytes releases one commit three times with one key: with
// the step cache off, then on (empty: the steps run and fill it), then on
// again (the Linux packages and SBOMs come from it). Every file but the
// signatures is the same in all three.
func TestStepCacheSameBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("three releases")
	}
	dir := t.TempDir()
	repo := testrepo.New(t, dir, "")
	priv, _ := testrelease.GenerateKey(t, filepath.Join(dir, "keys"))
	// The step cache of this test is its own; the build cache is the
	// caller's, as it would be without XDG_CACHE_HOME.
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	env := append(testrelease.Env(dir), "COSIGN_KEY="+priv, "COSIGN_PASSWORD="+testrelease.Password,
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "GOCACHE="+strings.TrimSpace(string(gocache)))
	release := func(name string, extra ...string) (log string, sums map[string]string) {
		t.Helper()
		out := filepath.Join(dir, name)
		cmd := exec.Command(testrelease.Tool(t), "release", "-out", out, "-targets", "linux/amd64")
		cmd.Dir, cmd.Env = repo, append(slices.Clone(env), extra...)
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, b.String())
		}
		return b.String(), unsigned(t, out)
	}
	_, off := release("off", "CAVRA_STEP_CACHE=off")
	fillLog, fill := release("fill")
	hitLog, hit := release("hit")
	if strings.Contains(fillLog, "from the step cache") {
		t.Errorf("the first release with the cache found it full:\n%s", fillLog)
	}
	for _, step := range []string{"packages", "sbom"} {
		if !strings.Contains(hitLog, step+": ") || !strings.Contains(hitLog, "from the step cache") {
			t.Errorf("the second release did not take %s from the step cache:\n%s", step, hitLog)
		}
	}
	// The files the cache holds are among those compared.
	var cached []string
	for p := range off {
		if strings.HasPrefix(p, "packages/") || strings.HasPrefix(p, "sbom/") {
			cached = append(cached, p)
		}
	}
	if len(cached) != 5 {
		t.Fatalf("compared %d Linux packages and SBOMs (%v), want 3 and 2", len(cached), cached)
	}
	for _, other := range []struct {
		name string
		sums map[string]string
	}{{"filled the cache", fill}, {"read the cache", hit}} {
		for _, p := range slices.Sorted(maps.Keys(off)) {
			if other.sums[p] != off[p] {
				t.Errorf("%s: the release that %s has %q, the one without a cache %q", p, other.name, other.sums[p], off[p])
			}
		}
		if len(other.sums) != len(off) {
			t.Errorf("the release that %s has %d files, the one without a cache %d", other.name, len(other.sums), len(off))
		}
	}
}

// unsigned returns the SHA-256 of every file of the package folder in out
// but the signatures (random for ECDSA): .sig, .sigstore.json and the DSSE
// envelope; of the TUF metadata, the digest of what it signs but for the
// digests of signed files (see reprotest.SignedDigest).
func unsigned(t *testing.T, out string) map[string]string {
	t.Helper()
	pkg, _, err := layout.Find(out)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	err = filepath.WalkDir(pkg, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := filepath.ToSlash(p[len(pkg)+1:])
		if strings.HasSuffix(name, layout.SigSuffix) || strings.HasSuffix(name, layout.BundleSuffix) || strings.HasSuffix(name, ".intoto.jsonl") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		sums[name] = hex.EncodeToString(sum[:])
		if _, root := tuf.RootVersion(name); tuf.IsMetadata(name) && !root {
			sums[name] = reprotest.SignedDigest(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}
