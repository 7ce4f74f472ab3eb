// Package verify checks a cavra-go-runtime package, as a zip before transfer
// or as an extracted folder inside a restricted network, with the standard
// library alone.
//
// The verifier trusts what its caller supplies (the expected target matrix
// and the release key, see [Options]) and its own rules, never what the
// package says about itself: the list of required files, the pinned build
// settings, the operator controls and the rebuild commands are the
// verifier's, and the package's manifest must agree with them. A package
// whose signatures only match the key it carries fails.
//
// This package and its subpackages are the verifier side, used by the
// command cavra and the mage targets, with the standard library alone:
//
//	verify             the checks of a package, zip or folder (the table below)
//	verify/tufclient   the offline TUF client: a trust folder, the root chain, rollback and freeze
//	verify/rebuild     rebuild every binary from the shipped source, compare digests, sign the verdict
//	verify/upgrade     may a candidate package replace the installed one
//	verify/htmlreport  the auditor's page of a verify report
//	verify/vulns       re-check a package's binaries against a newer vulnerability database
//
// It reads the documents of package github.com/cavra/cavra/packaging/format
// and never imports the release side (package
// github.com/cavra/cavra/packaging/release).
//
// # Checks
//
// Each check yields PASS, FAIL or SKIP for one file, in this order:
//
//	archive            (zip only) one top folder; no absolute, escaping or duplicate names
//	                   (case-insensitively); no links or special files; sizes and
//	                   compression ratios within limits
//	layout             (folder only) regular files only, safe names
//	read               each file reads once, to the size its header declares
//	manifest           cavra-runtime.reproducibility.json parses strictly (no unknown fields,
//	                   no duplicate keys) with the known schema
//	version            the top folder is go-runtime-<version> of the manifest's version; a zip
//	                   named cavra-go-runtime-<V>.zip holds version V; the version is the
//	                   operator's --expect-version, when given
//	required           every file of the verifier's own list is present
//	checksum           every file checksums.txt lists has that SHA-256; every file but
//	                   checksums.txt and signatures of listed files is listed
//	manifest.identity  name, full commit hash, SOURCE_DATE_EPOCH, snapshot label
//	manifest.matrix    the declared targets are exactly the expected matrix
//	manifest.go        Go release version, module path, main package, module dir
//	manifest.build     CGO_ENABLED=0, GOFLAGS, GOTOOLCHAIN=local, GOEXPERIMENT=, GOWORK=off,
//	                   GOAMD64=v1, GOARM64=v8.0, ldflags -s -w -buildid= and the version stamp
//	manifest.controls  the operator controls: GOPROXY=off, GOSUMDB=off, GOENV=off, ... no network
//	manifest.source    the source archive's path, digest and size
//	manifest.modules   the offline module proxy holds mage
//	rebuild-command    per target: the recorded env and argv equal the verifier's own
//	binary             per target: size and SHA-256 equal the manifest's
//	buildinfo          per target, read with debug/buildinfo without running the binary:
//	                   go version, main package and module, GOOS, GOARCH, GOAMD64/GOARM64,
//	                   CGO_ENABLED=0, -trimpath=true, -buildmode=exe, -compiler=gc, no vcs.*,
//	                   no other setting but DefaultGODEBUG, every dependency with a go.sum hash
//	package            per Linux package (deb, rpm, apk for each Linux target): the manifest
//	                   records it with the verifier's name and version; its metadata is right;
//	                   the binary it installs at /usr/bin/cavra-runtime is the target's binary
//	tuf.root           (with --trust-dir, the operator's trust folder; see package tufclient)
//	                   the root chain trust/1.root.json ... N.root.json from the trusted root:
//	                   no gap, no skipped version, each new version signed by a threshold of
//	                   its predecessor's root keys and of its own, a version the folder trusts
//	                   byte for byte the same, the newest not expired
//	tuf.timestamp      trust/timestamp.json: the canonical form, at most 16 KiB, _type, a
//	                   threshold of distinct timestamp keys, no version or snapshot version
//	                   lower than the trusted one (rollback), not expired (freeze)
//	tuf.snapshot       trust/snapshot.json: the length and hashes the timestamp lists, a
//	                   threshold of snapshot keys, the version it names, no targets version
//	                   lower than the trusted one, not expired
//	tuf.targets        trust/targets.json: the length and hashes the snapshot lists, a
//	                   threshold of targets keys, the version it names, not expired, every
//	                   target of the manifest's release (custom version and commit)
//	tuf.files          every file but the metadata is listed in targets.json with its length,
//	                   SHA-256 and SHA-512; every listed file is there
//	signing-operations cavra-runtime.signing-operations.json: of this release; each role's
//	                   keys and threshold those of the root (the trusted one, with
//	                   --trust-dir); no revoked key in a role; cosign.pub a targets key; a key
//	                   past its rotation age is a warning, a FAIL with
//	                   --require-rotation-policy
//	trust              the key: the operator's (--key), or the package's cosign.pub only when
//	                   its fingerprint is the operator's (--key-fingerprint) or, with
//	                   --trust-dir, it is a targets key of the trusted TUF root (and --key, if
//	                   given too, must be one), or, with no key, the keyless bundles beside
//	                   the package (an identity policy, see keyless); none
//	                   fails, and --allow-unsigned (snapshots only) skips the signature checks
//	                   as UNSIGNED
//	signature          every file checksums.txt lists, and checksums.txt, has a .sig and a
//	                   .sigstore.json (key-signed Sigstore bundle v0.3) that verify with the
//	                   trusted key (ECDSA, Ed25519, RSA); a bundle's hint names that key, its
//	                   digest is the file's, it carries no certificate, log entry or timestamp.
//	                   No signature file goes unchecked: the module proxy's are signed files too
//	provenance         the DSSE envelope verifies; in-toto Statement v1, SLSA provenance v1,
//	                   the verifier's build type; version, repository, ref, commit and Go
//	                   version agree with the manifest; subjects cover every listed file with
//	                   its digest and name no other
//	provenance.bundle  the Sigstore bundle of the provenance verifies and holds the same
//	                   statement as the envelope
//	keyless            the trusted root: the operator's (--trusted-root), or else the package's
//	                   own sigstore/trusted_root.json only when trusted material vouches for it:
//	                   with --trust-dir, the verified targets.json lists it with its length,
//	                   SHA-256 and SHA-512; without, its .sig and .sigstore.json and
//	                   checksums.txt's verify with the trusted key and checksums.txt lists its
//	                   digest. Not vouched for (or missing, or not a trusted root) fails, and
//	                   the bundles are SKIPped, never checked against it. Vouched for, it is
//	                   as trustworthy as the keys that vouched, and the PASS line says so.
//	                   Then per keyless bundle the release's signing job wrote beside the
//	                   package (the zip's, for a zip; checksums.txt's; the provenance's, see
//	                   package layout), with
//	                   that trusted root and the identity policy (--certificate-identity or
//	                   -regexp, --certificate-oidc-issuer or -regexp, the
//	                   --certificate-github-workflow-* claims): every check of package
//	                   github.com/cavra/cavra/signing/trust/keyless passes over the file's
//	                   digest, or, for the provenance, the statement of the envelope; a missing
//	                   one fails. Without a policy, bundles found are SKIPped. The report names
//	                   the trusted root (the operator's, or the package's and what vouched for
//	                   it: TUF targets version N, or key F) and each signer: identity, issuer,
//	                   repository, ref, commit, log index, integration time
//	sbom               SPDX 2.3 and CycloneDX: the runtime and Go versions, SOURCE_DATE_EPOCH,
//	                   the snapshot label, and exactly the manifest's binaries, Linux packages
//	                   and source archive with their digests
//	sbom.ntia          per SBOM: the NTIA minimum elements of the document (author, timestamp)
//	                   and of every component (supplier, name, version, unique identifier,
//	                   dependency relationship); one FAIL per missing element, naming it
//	sbom.bsi           per SBOM: the required data fields of BSI TR-03183-2 v2.0.0: format,
//	                   creator and timestamp of the document; creator, name, version,
//	                   dependencies and licences of every component; file name, SHA-512 and
//	                   the executable, archive and structured properties of every deployable
//	                   (see package github.com/cavra/cavra/sbom/inspect); the report's
//	                   sbom_compliance holds every result
//	vex                vex/cavra-runtime.openvex.json: OpenVEX v0.2.0 by the specification's
//	                   rules (context, @id, author, statuses, justifications, an action for
//	                   affected), issued at SOURCE_DATE_EPOCH; every product is a binary of
//	                   the manifest, by its package URL and SHA-256 (another product or
//	                   digest fails). The report's vex lists every statement
//	vex.cyclonedx      vex/cavra-runtime.vex.cdx.json: a CycloneDX 1.7 VEX BOM that references
//	                   the package's CycloneDX SBOM by serial number, each affects a BOM-Link
//	                   to a binary of it, each analysis state OpenVEX's status in CycloneDX's
//	                   words; it states exactly what the OpenVEX document states
//	vulns              vex/cavra-runtime.vulns.intoto.json and its DSSE envelope: the envelope
//	                   verifies and holds exactly the statement; an in-toto Statement v1 with
//	                   the vulns v0.2 predicate (scanner, database uri, version and last
//	                   update), its subjects exactly the binaries with their digests, its
//	                   results exactly the vulnerabilities OpenVEX does not state as fixed
//	vulns.bundle       the Sigstore bundle of the vulns statement verifies and holds the
//	                   envelope's statement
//	bootstrap          its file list covers the verifier's list and every file present; its key
//	                   is cosign.pub and the trusted key; its identity is the manifest's
//	evidence           its identity is the manifest's; every artifact it lists has that size and
//	                   digest; it lists every listed file and exactly the package's signatures;
//	                   its key is the trusted key; it declares every release control
//	rebuild.attestation
//	                   per rebuild attestation the operator gives (--rebuild-attestation, see
//	                   package attestation): a DSSE envelope, signed by one of the trusted
//	                   rebuilder keys (--rebuilder-key); signed by none, it is ignored (SKIP),
//	                   unless its keyid names a trusted key, which means it was altered (FAIL).
//	                   An in-toto Statement v1 with a SLSA VSA v1 predicate about this package:
//	                   resourceUri pkg:generic/cavra-go-runtime@<version>, the rebuild policy with
//	                   the digest of this manifest's build settings, and this package's manifest
//	                   and provenance as inputAttestations, by digest (an attestation of another
//	                   package fails). FAILED fails the package. PASSED counts when its verified
//	                   levels include CAVRA_REPRODUCED and its subjects are every binary of the
//	                   manifest with its digest (fewer: SKIP, not counted; another digest: FAIL),
//	                   once per key. The report lists each rebuilder, verdict and time
//	rebuild.policy     at least --min-rebuilds attestations counted, each by a different trusted
//	                   key, and no trusted rebuilder attested FAILED
//	tuf.state          (with --trust-dir) when every check above passed, the trust folder's
//	                   state.json records the versions seen, written atomically, under a
//	                   lock, and only over the state the check started from (FAIL when
//	                   another verifier recorded other versions meanwhile); else nothing
//	                   is written (SKIP)
//
// Go does not record -ldflags in binaries built with -trimpath, so the linker
// flags are checked in the manifest alone.
//
// Warnings (WARN lines, "warnings" in JSON) fail nothing: expiry checked at
// the time --at gives instead of now, keys past their rotation age.
//
// A report passes when no check failed and at least one passed.
package verify
