// Package format is the map of the documents and files a cavra-go-runtime
// package is made of: each subpackage defines one of them, and both sides
// use it: the release (package github.com/cavra/cavra/packaging/release)
// writes it and the verifier (package github.com/cavra/cavra/packaging/verify)
// reads it, so that neither side needs the other's code. Every package here
// builds with the standard library alone and imports no other group.
//
//	layout           the names of the package, its zip and every file in it
//	build            the target matrix, the pinned build settings and the exact go command per target,
//	                 the release toolchain and how a machine finds it
//	manifest         cavra-runtime.reproducibility.json: how every binary was built, how to rebuild it
//	checksums        checksums.txt, in the format of sha256sum
//	provenance       the SLSA provenance statement, cavra-runtime.provenance.intoto.jsonl
//	bootstrap        offline-trust-root-bootstrap.json: every file, the key, the verify commands
//	releaseevidence  release-evidence.json and .md: identity, artifacts, signatures, controls
//	vex              the vulnerability evidence: OpenVEX, CycloneDX VEX, the in-toto vulns statement
//	vulndb           the Go vulnerability database: its layout, OSV entries, matching module versions
//	attestation      rebuild.intoto.jsonl, a rebuilder's signed verdict (SLSA VSA), and its keys
//	tuf              trust/: TUF root chain, targets, snapshot, timestamp; canonical JSON, keys, thresholds
//	signingops       cavra-runtime.signing-operations.json: each role's keys, custody, policy, revocations
//	archive          reproducible zip and tar.gz, written and read as hostile input
//	linuxpkg         the names of the .deb, .rpm and .apk and a reader for each
//	explain          why two builds of one file differ: binaries, archives, Linux packages
//
// The SBOM readers are package github.com/cavra/cavra/sbom/inspect, and the
// signature formats (cosign signatures, DSSE, Sigstore bundles) package
// github.com/cavra/cavra/signing/trust.
package format
