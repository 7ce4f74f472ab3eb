// Package steps lists the steps of a release, in order: the light steps of
// package release and the steps that need a heavy library, each in that
// library's package (nfpm.Step, sbom.Step, vulns.Step, tufrepo.Step,
// keyless.TrustedRootStep). Only
// the release command and the test tools import it; the runtime, the
// verifier and the magefiles never do.
//
// Steps in one stage (one line of the list) run at the same time; every
// stage sees the artifacts of the stages before it.
package steps

import (
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/nfpm"
	"github.com/cavra/cavra/packaging/release/tufrepo"
	"github.com/cavra/cavra/packaging/release/vulns"
	"github.com/cavra/cavra/sbom"
	"github.com/cavra/cavra/signing/keyless"
)

// Release returns every step of a release, signing with key (nil only to
// list the step names); the Linux packages and the SBOMs come from cache
// when it holds them for the same inputs (nil: always made).
//
// The TUF metadata comes from the trust repository trust finds (nil only to
// list the step names); Sigstore's trusted root, when one is configured,
// from root (see keyless.TrustedRootStep).
//
// Before the list runs, on a machine whose caches are cold, the mage
// target compiles the runtime's packages for every target while the release
// command itself is built (magefiles/release.go, compileRuntime), so that
// the build step only links.
func Release(key *Key, cache *release.StepCache, trust *tufrepo.Source, root keyless.TrustedRootStep) release.Pipeline {
	return append(release.Pipeline{
		{release.Background{Step: key}},               // background: the release key loads (scrypt, or its KMS); the steps that sign wait for it
		{release.PrepackStep{}},                       // background: each file is packed for the zip as soon as it is written
		{release.SourceStep{}, release.ModulesStep{}}, // the source archive of the commit; mage, for the offline verify targets
		{release.BuildStep{}},                         // six binaries, built from the source archive
	}, AfterBuild(key, cache, trust, root)...)
}

// AfterBuild returns the steps after the build, for a package whose
// binaries, source archive and modules exist.
func AfterBuild(key release.Signer, cache *release.StepCache, trust *tufrepo.Source, root keyless.TrustedRootStep) release.Pipeline {
	return release.Pipeline{
		{release.Cached{Step: nfpm.Step{}, Cache: cache, Runs: sbom.Prepare}},            // .deb, .rpm and .apk of the Linux binaries; when made anew, the SBOM step's licence matcher is built meanwhile (background)
		{release.Cached{Step: sbom.Step{}, Cache: cache}},                                // SPDX and CycloneDX SBOMs of the binaries, packages and source archive
		{release.Cached{Step: vulns.Step{Scans: cache}, Cache: cache}},                   // govulncheck per target: OpenVEX, CycloneDX VEX, in-toto vulns statement; fails on a reachable vulnerability
		{release.ManifestStep{}},                                                         // cavra-runtime.reproducibility.json
		{root},                                                                           // sigstore/trusted_root.json when CAVRA_SIGSTORE_TRUSTED_ROOT is set: a file, or fetched through Sigstore's TUF repository; listed, signed and a TUF target like every file
		{release.PublicKeyStep{Signer: key}},                                             // cosign.pub
		{tufrepo.OperationsStep{Trust: trust, Signer: key}},                              // cavra-runtime.signing-operations.json: the keys, as the trust repository records them
		{release.BootstrapStep{Signer: key}},                                             // offline-trust-root-bootstrap.json
		{release.EvidenceStep{Signer: key}},                                              // release-evidence.json and .md
		{release.ProvenanceStep{Signer: key}, release.VulnsAttestationStep{Signer: key}}, // SLSA provenance, and the vulns statement: DSSE envelopes and Sigstore bundles
		{release.ChecksumsStep{}},                                                        // checksums.txt
		{release.SignStep{Signer: key}},                                                  // a .sig and a .sigstore.json for every listed file and checksums.txt
		{tufrepo.Step{Trust: trust, Signer: key}},                                        // trust/: the root chain, targets.json over every file so far, snapshot, timestamp
		{release.ZipStep{Signer: key}},                                                   // cavra-go-runtime-<version>.zip, its .sha256, .sig and .sigstore.json
	}
}
