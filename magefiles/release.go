//go:build mage

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"

	"github.com/cavra/cavra/internal/cmdcache"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/signing/keyref"
)

// releaseCmd runs the release command, which holds every step of a release:
// the binary built from this checkout once per content hash of what it is
// made of (see package internal/cmdcache), with the build tag of the key
// provider COSIGN_KEY names, if any. When that binary must be built first
// and args run release steps, the runtime's packages are compiled for every
// target at the same time, so that the release's own builds only link.
func releaseCmd(args ...string) error {
	ctx := context.Background()
	spec := cmdcache.Spec{Root: ".", Pkg: "./cmd/cavra-release", Tags: tags(os.Getenv("COSIGN_KEY"), os.Getenv("CAVRA_ONLINE_KEY"), os.Getenv("CAVRA_NEW_KEY"))}
	e, err := cmdcache.Find(ctx, spec)
	if errors.Is(err, cmdcache.ErrUncacheable) {
		fmt.Printf("release command: %v; running it with go run\n", err)
		return sh.RunV("go", append(append([]string{"run", "-tags", strings.Join(spec.Tags, ",")}, "./cmd/cavra-release"), args...)...)
	}
	if err != nil {
		return err
	}
	var warm sync.WaitGroup
	if !e.Cached() {
		fmt.Printf("release command: building %s%s once for this source into %s\n", spec.Pkg, tagNote(spec.Tags), e.Path)
		if len(args) > 0 && (args[0] == "release" || args[0] == "run") {
			warm.Go(func() { compileRuntime(ctx) })
		}
	}
	start := time.Now()
	built, err := e.Build(ctx)
	if err != nil {
		return err
	}
	if built {
		fmt.Printf("release command: built in %.1fs\n", time.Since(start).Seconds())
	}
	warm.Wait()
	cmd := exec.Command(e.Path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return mg.Fatalf(exit.ExitCode(), "cavra-release %s: %v", strings.Join(args, " "), err)
		}
		return err
	}
	return nil
}

// tags returns the build tags the key providers of refs need, once each.
func tags(refs ...string) []string {
	var out []string
	for _, r := range refs {
		for _, t := range keyref.Tags(r) {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func tagNote(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	return " -tags " + strings.Join(tags, ",")
}

// compileRuntime compiles the runtime's packages for every release target
// into the build cache (build.Compile) with the release toolchain, the one
// the release builds with (a cache warmed by another Go is never used),
// and builds govulncheck with it for the vulns step; failures are left for
// the release's own steps to report.
func compileRuntime(ctx context.Context) {
	start := time.Now()
	g, err := releaseToolchain(ctx)
	if err != nil {
		return
	}
	r := g.Runner()
	var wg sync.WaitGroup
	for _, t := range build.Matrix {
		wg.Go(func() { r.Run(ctx, ".", build.Compile(t)) })
	}
	wg.Go(func() {
		cmd := exec.CommandContext(ctx, g.Path, "tool", "-n", "govulncheck")
		cmd.Env = append(os.Environ(), "GOROOT="+g.GOROOT, "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly")
		cmd.Run()
	})
	wg.Wait()
	fmt.Printf("release command: runtime packages compiled for %d targets, and govulncheck, with %s in %.1fs\n", len(build.Matrix), g.Version, time.Since(start).Seconds())
}

// releaseToolchain finds the release toolchain (build.Toolchain), fetching
// it through the module proxy when this machine lacks it.
func releaseToolchain(ctx context.Context) (*build.Go, error) {
	return build.FindGo(ctx, build.Find{Version: build.Toolchain, Download: true})
}

// through runs the release steps up to and including step, into
// dist/steps/<step>/.
func through(step string) error { return releaseCmd("run", "-through", step) }

// Release builds a complete package of the current commit into
// dist/go-runtime-<version>/ and dist/cavra-go-runtime-<version>.zip.
// VERSION, SOURCE_DATE_EPOCH, CAVRA_RELEASE=1 and the COSIGN_* key settings
// are read from the environment; without a release tag or CAVRA_RELEASE=1
// it is a snapshot signed with a machine-local key.
func Release() error {
	if err := releaseCmd("release"); err != nil {
		return err
	}
	return githubOutput()
}

// githubOutput tells a GitHub Actions job where the package is.
func githubOutput() error {
	out := os.Getenv("GITHUB_OUTPUT")
	if out == "" {
		return nil
	}
	pkg, version, err := layout.Find("dist")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "package=%s\nversion=%s\n", filepath.ToSlash(pkg), version)
	return err
}

// All cross-compiles the runtime for the six release targets into
// dist/steps/build/ (the build step of a release, from the source archive).
func (Build) All() error { return through("build") }

// Sbom writes the SPDX and CycloneDX SBOMs of a release into dist/steps/sbom/.
func Sbom() error { return through("sbom") }

// Vulns checks the binaries against the Go vulnerability database go.mod
// pins and writes the VEX documents (and all before them) into
// dist/steps/vulns/; it fails on a reachable vulnerability that
// vex/exceptions.yaml does not explain.
func Vulns() error { return through("vulns") }

// Package writes the .deb, .rpm and .apk packages into dist/steps/packages/.
func Package() error { return through("packages") }

// Evidence writes the release evidence (and all before it) into
// dist/steps/evidence/.
func Evidence() error { return through("evidence") }

// Provenance writes the signed SLSA provenance (and all before it) into
// dist/steps/provenance/.
func Provenance() error { return through("provenance") }

// Sign writes checksums.txt and every signature (and all before them) into
// dist/steps/sign/.
func Sign() error { return through("sign") }

// Steps lists the steps of a release in order.
func Steps() error { return releaseCmd("steps") }

// Keys groups the signing-key targets.
type Keys mg.Namespace

// Generate writes a new cosign key pair into CAVRA_KEY_DIR (default .cavra/):
// cosign.key, encrypted with COSIGN_PASSWORD, and cosign.pub. It never
// replaces existing keys; keep the private key out of git (it is ignored).
func (Keys) Generate() error {
	return releaseCmd("keygen", "-dir", env("CAVRA_KEY_DIR", ".cavra"))
}

// Check loads the signing key COSIGN_KEY or COSIGN_PRIVATE_KEY names (with
// COSIGN_PASSWORD), through the release command built with that provider,
// signs and verifies a probe with it, and prints its fingerprint.
func (Keys) Check() error { return releaseCmd("key") }

// Keyless signs the package in dist/ keyless, as the release workflow's
// isolated signing job does (online: the job's OIDC identity certified by
// Fulcio, Rekor v1 entries, an RFC 3161 timestamp from CAVRA_TSA_URL):
// the zip, checksums.txt and the provenance, each checked offline before
// it is written beside the zip, against the package's
// sigstore/trusted_root.json (which the release put there with
// CAVRA_SIGSTORE_TRUSTED_ROOT=fetch; else Sigstore's, fetched through its
// TUF repository), saved beside them as trusted_root.json. No key is
// involved.
func Keyless() error {
	return releaseCmd("keyless", "-dist", "dist")
}

// Publish uploads the zip, its .sha256, its signature and Sigstore bundle,
// the public key and the keyless bundles and trusted_root.json beside the
// zip, when signed keyless, to the GitHub release of GITHUB_REF_NAME (or
// CAVRA_TAG), with the gh CLI.
func Publish() error {
	dir, zip, err := packagePaths()
	if err != nil {
		return err
	}
	version, _ := layout.ZipVersion(filepath.Base(zip))
	tag := env("CAVRA_TAG", os.Getenv("GITHUB_REF_NAME"))
	if tag == "" {
		return errors.New("publish: no tag: set CAVRA_TAG")
	}
	files := []string{zip, zip + ".sha256", zip + ".sig", zip + ".sigstore.json", filepath.Join(dir, layout.PublicKey)}
	for _, f := range []string{layout.KeylessZip(version), layout.KeylessChecksums(version), layout.KeylessProvenance(version), "trusted_root.json"} {
		if _, err := os.Stat(filepath.Join("dist", f)); err == nil {
			files = append(files, filepath.Join("dist", f))
		}
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
	}
	return sh.RunV("gh", append([]string{"release", "upload", tag, "--clobber"}, files...)...)
}

// packagePaths returns the folder and the zip of the one package in dist/.
func packagePaths() (dir, zip string, err error) {
	_, version, err := layout.Find("dist")
	if err != nil {
		return "", "", err
	}
	dir, zip = filepath.Join("dist", layout.Dir(version)), filepath.Join("dist", layout.Zip(version))
	if _, err := os.Stat(zip); err != nil {
		return "", "", err
	}
	return dir, zip, nil
}
