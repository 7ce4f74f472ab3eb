package main

import (
	"archive/zip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavra/cavra/packaging/archive"
)

// unzip extracts a package zip with the standard library, keeping modes.
func unzip(t *testing.T, zipPath, dir string) {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if err := archive.CheckName(f.Name); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_EXCL, f.Mode().Perm())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		out.Close()
	}
}

// TestOfflineFlow follows the README's air-gap flow on a six-target package:
// verify the zip, extract it, check it with standard tools, build the
// verifier from the shipped source and rebuild every binary with no network
// and an empty module cache, through the CLI and through mage.
func TestOfflineFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds six targets and runs mage")
	}
	p := pkg(t)
	if code, out, errOut := cli("release", "verify-airgap-bundle", "-key", p.PublicKey, p.Zip); code != 0 {
		t.Fatalf("verify-airgap-bundle: exit %d\n%s%s", code, out, errOut)
	}

	site := t.TempDir()
	unzip(t, p.Zip, site)
	dir := filepath.Join(site, "go-runtime-"+p.Version)
	src := filepath.Join(site, "cavra-runtime-"+p.Version)
	cmd := exec.Command("tar", "-xzf", filepath.Join(dir, "source", "cavra-runtime-"+p.Version+"-src.tar.gz"))
	cmd.Dir = site
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}

	// The restricted network: no proxy, no checksum database, an empty
	// module cache, only the Go toolchain.
	gocache, _ := exec.Command("go", "env", "GOCACHE").Output()
	env := append(os.Environ(),
		"GOPROXY=off", "GOSUMDB=off", "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local", "GOWORK=off",
		"GOMODCACHE="+filepath.Join(site, "empty-modcache"), "GOCACHE="+strings.TrimSpace(string(gocache)),
		"HOME="+site,
	)
	pre := offline(t)
	runIn := func(dir string, env []string, args ...string) string {
		t.Helper()
		args = append(pre, args...)
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() {
		// The module cache is read-only; make it removable.
		exec.Command("chmod", "-R", "u+w", filepath.Join(site, "empty-modcache")).Run()
	})

	// Standard tools alone (the stock cosign CLI: see TestCosignInterop).
	if _, err := exec.LookPath("sha256sum"); err == nil {
		runIn(dir, env, "sha256sum", "--strict", "-c", "checksums.txt")
	}
	if out := runIn(dir, env, "go", "version", "-m", filepath.Join("bin", "linux-amd64", "cavra-runtime")); !strings.Contains(out, "-trimpath=true") || !strings.Contains(out, "CGO_ENABLED=0") {
		t.Errorf("go version -m does not show the pinned settings:\n%s", out)
	}

	// The verifier, built from the shipped source.
	cavra := filepath.Join(site, "cavra")
	runIn(src, env, "go", "build", "-o", cavra, "./cmd/cavra")
	runIn(site, env, cavra, "release", "verify-go-package", "-key", p.PublicKey, dir)
	evidence := filepath.Join(site, "evidence")
	out := runIn(site, env, cavra, "release", "rebuild", dir, "-key", p.PublicKey, "-out", evidence)
	if !strings.Contains(out, "6 rebuilt and matched, 0 failed, 0 skipped") {
		t.Errorf("rebuild did not match all six targets:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(evidence, "rebuild-evidence.md")); err != nil {
		t.Error(err)
	}

	// The mage spelling offline teams type, with mage from the package's
	// own module proxy.
	mageEnv := append(env[:len(env):len(env)],
		"GOPROXY=file://"+filepath.ToSlash(filepath.Join(dir, "goproxy")),
		"CAVRA_PACKAGE="+dir, "CAVRA_KEY="+p.PublicKey, "CAVRA_OUT="+filepath.Join(site, "mage-evidence"), "CAVRA_TARGET=linux/arm64")
	out = runIn(src, mageEnv, "go", "run", "mage.go", "verify", "rebuild")
	if !strings.Contains(out, "PASS  go-runtime-"+p.Version) || !strings.Contains(out, "1 rebuilt and matched, 0 failed, 5 skipped") {
		t.Errorf("go run mage.go verify rebuild: want the verify report and one rebuilt target:\n%s", out)
	}
}
