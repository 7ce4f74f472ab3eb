// Package layout names a cavra-go-runtime package and the files in it. The
// release that writes a package and the verifier that reads it both spell
// every name through this package, and neither knows how the other works:
// like debug/buildinfo, which reads what the linker writes without linking.
//
// A package of version V is the folder go-runtime-V, zipped as
// cavra-go-runtime-V.zip with that folder as its one top entry:
//
//	bin/<os>-<arch>/cavra-runtime[.exe]       the binaries
//	packages/...                              Linux packages (see package linuxpkg)
//	source/cavra-runtime-V-src.tar.gz         the source archive, one top folder cavra-runtime-V
//	goproxy/<escaped module>/@v/...           the offline module proxy (mage)
//	sbom/cavra-runtime.spdx.json, .cdx.json   the SBOMs
//	vex/cavra-runtime.openvex.json            the vulnerability evidence (see package vex): OpenVEX,
//	vex/cavra-runtime.vex.cdx.json            CycloneDX VEX,
//	vex/cavra-runtime.vulns.intoto.json       the in-toto vulns statement,
//	vex/cavra-runtime.vulns.intoto.jsonl      its DSSE envelope
//	vex/cavra-runtime.vulns.sigstore.json     and its Sigstore bundle
//	cavra-runtime.reproducibility.json        the manifest (see package manifest)
//	cavra-runtime.provenance.intoto.jsonl     the provenance envelope (see package provenance)
//	cavra-runtime.provenance.sigstore.json    the same envelope as a Sigstore bundle
//	offline-trust-root-bootstrap.json         see package bootstrap
//	release-evidence.json, .md                see package evidence
//	cavra-runtime.signing-operations.json     who holds which key, see package signingops
//	cosign.pub                                the release public key
//	sigstore/trusted_root.json                Sigstore's trusted root, when the release was given one
//	                                          (see package sigstore): for the keyless bundles below
//	checksums.txt                             see package checksums
//	trust/                                    TUF metadata: N.root.json, targets, snapshot,
//	                                          timestamp (see package tuf)
//
// and, beside checksums.txt and every file it lists, a detached signature
// (<file>.sig) and a Sigstore bundle (<file>.sigstore.json). The TUF
// metadata is written last, over every other file, and signs itself.
//
// Keyless signatures are made after the package, by the release workflow's
// isolated signing job, so they sit beside the zip, never inside the
// package, with the trusted root they were checked against:
//
//	cavra-go-runtime-V.zip.keyless.sigstore.json            the zip, keyless
//	cavra-go-runtime-V.checksums.txt.keyless.sigstore.json  the package's checksums.txt, keyless
//	cavra-go-runtime-V.provenance.keyless.sigstore.json     its provenance statement, a keyless DSSE attestation
//	trusted_root.json                                       Sigstore's trusted root: the bytes of the package's
//	                                                        sigstore/trusted_root.json when it has one, else
//	                                                        the one the job fetched
//
// The package's own sigstore/trusted_root.json is written by the release,
// before checksums.txt, so it is signed, listed and a TUF target like any
// other file: a verifier with a trust folder (or the release key) needs no
// other copy of it.
//
// The extracted folder go-runtime-V is checked with the neighbours of its
// parent folder, where the zip was unpacked.
package layout

import (
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The names of the files of a package, relative to its root.
const (
	PublicKey        = "cosign.pub"
	Bootstrap        = "offline-trust-root-bootstrap.json"
	EvidenceJSON     = "release-evidence.json"
	EvidenceMD       = "release-evidence.md"
	Provenance       = "cavra-runtime.provenance.intoto.jsonl"
	ProvenanceBundle = "cavra-runtime.provenance.sigstore.json"
	SPDX             = "sbom/cavra-runtime.spdx.json"
	SigningOps       = "cavra-runtime.signing-operations.json"
	CycloneDX        = "sbom/cavra-runtime.cdx.json"
	OpenVEX          = "vex/cavra-runtime.openvex.json"
	CycloneDXVEX     = "vex/cavra-runtime.vex.cdx.json"
	Vulns            = "vex/cavra-runtime.vulns.intoto.json"
	VulnsEnvelope    = "vex/cavra-runtime.vulns.intoto.jsonl"
	VulnsBundle      = "vex/cavra-runtime.vulns.sigstore.json"
	// TrustedRoot is Sigstore's trusted_root.json that the keyless
	// bundles beside the package are checked against, when the release
	// was given one (it is optional).
	TrustedRoot = "sigstore/trusted_root.json"
	// ProxyDir holds the offline module proxy (GOPROXY=file://...).
	ProxyDir = "goproxy"
	// TrustDir holds the TUF metadata (see package tuf).
	TrustDir = "trust"
)

// The suffixes of the two signature files of a signed file: the detached
// signature cosign v2 reads, and the Sigstore bundle cosign v3 reads.
const (
	SigSuffix    = ".sig"
	BundleSuffix = ".sigstore.json"
)

// KeylessSuffix ends the name of a keyless Sigstore bundle beside the zip.
const KeylessSuffix = ".keyless.sigstore.json"

// KeylessZip returns the name of the keyless bundle of the zip of a
// version.
func KeylessZip(version string) string { return Zip(version) + KeylessSuffix }

// KeylessChecksums returns the name of the keyless bundle of the
// checksums.txt of a version.
func KeylessChecksums(version string) string {
	return zipPrefix + version + ".checksums.txt" + KeylessSuffix
}

// KeylessProvenance returns the name of the keyless DSSE bundle of the
// provenance statement of a version.
func KeylessProvenance(version string) string {
	return zipPrefix + version + ".provenance" + KeylessSuffix
}

// Name is the product name a package carries in its documents.
const Name = "cavra-go-runtime"

const (
	dirPrefix = "go-runtime-"
	zipPrefix = "cavra-go-runtime-"
	zipSuffix = ".zip"
)

// Dir returns the name of the package folder of a version: go-runtime-V.
func Dir(version string) string { return dirPrefix + version }

// Zip returns the name of the package zip of a version:
// cavra-go-runtime-V.zip.
func Zip(version string) string { return zipPrefix + version + zipSuffix }

// DirVersion returns the version a package folder's name carries.
func DirVersion(name string) (string, bool) { return strings.CutPrefix(name, dirPrefix) }

// ZipVersion returns the version a zip's name carries, when the name has
// the release form cavra-go-runtime-V.zip.
func ZipVersion(name string) (string, bool) {
	v, ok := strings.CutPrefix(name, zipPrefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(v, zipSuffix)
}

// Source returns the path of the source archive of a version.
func Source(version string) string { return "source/cavra-runtime-" + version + "-src.tar.gz" }

// SourceRoot returns the one top folder of the source archive of a version.
func SourceRoot(version string) string { return "cavra-runtime-" + version }

// ProxyFile returns the path of a file of the offline module proxy: file is
// "list", "<version>.info", "<version>.mod" or "<version>.zip".
func ProxyFile(module, file string) string {
	return ProxyDir + "/" + EscapePath(module) + "/@v/" + file
}

// EscapePath escapes a module path for a module proxy: each upper-case letter
// becomes "!" and its lower-case form.
func EscapePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SignedBy returns the file a signature file (<file>.sig or
// <file>.sigstore.json) signs.
func SignedBy(name string) (string, bool) {
	if f, ok := strings.CutSuffix(name, SigSuffix); ok {
		return f, true
	}
	return strings.CutSuffix(name, BundleSuffix)
}

// Find returns the path and version of the one package in the folder out:
// the folder go-runtime-V, or else the zip cavra-go-runtime-V.zip. It is an
// error when out holds packages of more than one version, or none.
func Find(out string) (path, version string, err error) {
	entries, err := os.ReadDir(out)
	if err != nil {
		return "", "", fmt.Errorf("no package found: %w", err)
	}
	found := map[string]string{} // version -> path, folder preferred
	for _, e := range entries {
		name := e.Name()
		if v, ok := DirVersion(name); ok && e.IsDir() {
			found[v] = filepath.Join(out, name)
		} else if v, ok := ZipVersion(name); ok && !e.IsDir() {
			if _, ok := found[v]; !ok {
				found[v] = filepath.Join(out, name)
			}
		}
	}
	switch len(found) {
	case 0:
		return "", "", fmt.Errorf("no package in %s (set CAVRA_PACKAGE to a package folder or zip)", out)
	case 1:
		for v, p := range found {
			return p, v, nil
		}
	}
	versions := slices.Sorted(maps.Keys(found))
	return "", "", fmt.Errorf("%s holds packages of %d versions (%s); set CAVRA_PACKAGE to choose one", out, len(versions), strings.Join(versions, ", "))
}

// CheckPath reports whether p is a clean, relative, slash-separated path that
// stays inside its root: what every path inside a package must be.
func CheckPath(p string) error {
	switch {
	case p == "" || p == ".":
		return fmt.Errorf("empty path")
	case strings.Contains(p, `\`):
		return fmt.Errorf("path %q has a backslash", p)
	case path.IsAbs(p) || filepath.IsAbs(p) || (len(p) > 1 && p[1] == ':'):
		return fmt.Errorf("path %q is absolute", p)
	case path.Clean(p) != p:
		return fmt.Errorf("path %q is not clean", p)
	case p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("path %q leaves its root", p)
	}
	if !utf8.ValidString(p) {
		return fmt.Errorf("path %q is not UTF-8", p)
	}
	for _, r := range p {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return fmt.Errorf("path %q has a control character", p)
		}
		if r == ':' {
			return fmt.Errorf("path %q has a colon (a drive or an alternate data stream on Windows)", p)
		}
	}
	return nil
}
