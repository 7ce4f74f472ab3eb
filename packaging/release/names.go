package release

import (
	"slices"

	"github.com/cavra/cavra/packaging/artifact"
	"github.com/cavra/cavra/packaging/checksums"
	"github.com/cavra/cavra/packaging/manifest"
)

// The files of a package, besides the binaries, the source archive and the
// offline module proxy.
const (
	ManifestName   = manifest.Name
	ChecksumsName  = checksums.Name
	PublicKeyName  = "cosign.pub"
	BootstrapName  = "offline-trust-root-bootstrap.json"
	EvidenceJSON   = "release-evidence.json"
	EvidenceMD     = "release-evidence.md"
	ProvenanceName = "cavra-runtime.provenance.intoto.jsonl"
	// ProvenanceBundleName is the provenance's DSSE envelope as a Sigstore
	// bundle, for cosign v3's verify-blob-attestation --bundle.
	ProvenanceBundleName = "cavra-runtime.provenance.sigstore.json"
	SPDXName             = "sbom/cavra-runtime.spdx.json"
	CycloneDXName        = "sbom/cavra-runtime.cdx.json"
	SigSuffix            = ".sig"
	// BundleSuffix names the Sigstore bundle beside each .sig: the same
	// signature in the format cosign v3 expects.
	BundleSuffix = ".sigstore.json"
)

// Signed reports whether a file of kind k gets a detached signature and a
// Sigstore bundle: every file checksums.txt lists, and checksums.txt itself.
func Signed(k artifact.Kind) bool { return Listed(k) || k == artifact.Checksums }

// Planned returns every file a finished package holds, given the artifacts
// written before the bootstrap step: those, the bootstrap, the evidence,
// the provenance envelope and its bundle, checksums.txt, and a .sig and a
// .sigstore.json for each signed file.
// The bootstrap's required-file list and the evidence's signature list come
// from it; a test checks it against finished packages.
func Planned(before artifact.List) (files, sigs []string) {
	kinds := map[string]artifact.Kind{}
	for _, a := range before {
		if a.Kind != artifact.Archive {
			kinds[a.Path] = a.Kind
		}
	}
	kinds[BootstrapName] = artifact.Bootstrap
	kinds[EvidenceJSON] = artifact.Evidence
	kinds[EvidenceMD] = artifact.Evidence
	kinds[ProvenanceName] = artifact.Provenance
	kinds[ProvenanceBundleName] = artifact.Provenance
	kinds[ChecksumsName] = artifact.Checksums
	for p, k := range kinds {
		files = append(files, p)
		if Signed(k) {
			sigs = append(sigs, p+SigSuffix, p+BundleSuffix)
		}
	}
	files = append(files, sigs...)
	slices.Sort(files)
	slices.Sort(sigs)
	return files, sigs
}
