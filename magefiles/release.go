//go:build mage

package main

import (
	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// releaseCmd runs the release command, which holds every step of a release.
func releaseCmd(args ...string) error {
	return sh.RunV("go", append([]string{"run", "./cmd/cavra-release"}, args...)...)
}

// Release builds a complete package of the current commit into
// dist/go-runtime-<version>/ and dist/cavra-go-runtime-<version>.zip.
// VERSION, SOURCE_DATE_EPOCH and CAVRA_RELEASE=1 are read from the
// environment; without a release tag or CAVRA_RELEASE=1 it is a snapshot.
func Release() error { return releaseCmd("release") }

// All cross-compiles the runtime for the six release targets into
// dist/steps/build/ (the build step of a release, from the source archive).
func (Build) All() error { return releaseCmd("run", "-through", "build") }

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
