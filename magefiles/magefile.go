//go:build mage

// The mage targets of the CAVRA runtime release system (go run mage.go <target>).
package main

// Targets are thin: the logic lives in packages under packaging/ that the
// tests call directly, and the release steps that need syft, sigstore or
// nfpm run in the release command (cmd/cavra-release, built once per content
// hash into the user cache folder: see releaseCmd), so this binary builds
// with the standard library and mage alone.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"

	"github.com/cavra/cavra/internal/lint"
	"github.com/cavra/cavra/packaging/format/build"
)

// Build groups the build targets.
type Build mg.Namespace

// Test groups the test targets; `go run mage.go test` is test:all, what CI
// runs (.ci/run).
type Test mg.Namespace

// All runs the house rules (see Lint), then the whole test suite (go test
// ./...), installing first the tools the tests need (see TestTools). The
// end-to-end tests make real releases, so a test binary may take longer
// than go test's default 10 minutes on a busy machine: the limit is 30.
// This is what CI runs (.ci/run, through the alias test).
func (Test) All() error {
	mg.SerialDeps(Lint, TestTools)
	env, err := toolEnv()
	if err != nil {
		return err
	}
	return sh.RunWithV(env, "go", "test", "-count=1", "-timeout=30m", "./...")
}

// Short is the edit-test loop: the house rules, then every test but those
// that make a real release or rebuild or drive a browser (go test -short),
// in a few minutes. Run test:all (or test) before you push.
func (Test) Short() error {
	mg.SerialDeps(Lint)
	return sh.RunV("go", "test", "-short", "-count=1", "./...")
}

// Lint checks the house rules (package internal/lint): gofmt, a tidy go.mod,
// go vet and staticcheck on every package with every build tag, actionlint
// on the workflows. Each finding names its file and line.
func Lint() error {
	return lint.Run(context.Background(), ".", os.Stdout)
}

// Runtime builds cavra-runtime for this machine into bin/, with the pinned
// release flags and the release toolchain.
func (Build) Runtime() error {
	t := build.Target{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	out, err := filepath.Abs(filepath.Join("bin", t.Exe()))
	if err != nil {
		return err
	}
	ctx := context.Background()
	g, err := releaseToolchain(ctx)
	if err != nil {
		return err
	}
	if err := g.Runner().Run(ctx, ".", build.Spec(t, "devel", out)); err != nil {
		return err
	}
	fmt.Println("built", filepath.Join("bin", t.Exe()))
	return nil
}

// env returns the value of the environment variable name, or def.
func env(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}
