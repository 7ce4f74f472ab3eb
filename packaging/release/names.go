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
	SPDXName       = "sbom/cavra-runtime.spdx.json"
	CycloneDXName  = "sbom/cavra-runtime.cdx.json"
	SigSuffix      = ".sig"
)

// Signed reports whether a file of kind k gets a detached signature: every
// file checksums.txt lists, and checksums.txt itself.
func Signed(k artifact.Kind) bool { return Listed(k) || k == artifact.Checksums }

// Planned returns every file a finished package holds, given the artifacts
// written before the bootstrap step: those, the bootstrap, the evidence,
// the provenance envelope, checksums.txt, and a .sig for each signed file.
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
	kinds[ChecksumsName] = artifact.Checksums
	for p, k := range kinds {
		files = append(files, p)
		if Signed(k) {
			sigs = append(sigs, p+SigSuffix)
		}
	}
	files = append(files, sigs...)
	slices.Sort(files)
	slices.Sort(sigs)
	return files, sigs
}
