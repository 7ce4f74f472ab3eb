package release

import (
	"slices"

	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// Signed reports whether a file of kind k gets a detached signature and a
// Sigstore bundle: every file checksums.txt lists, and checksums.txt itself.
func Signed(k artifact.Kind) bool { return Listed(k) || k == artifact.Checksums }

// Planned returns every file a finished package holds, given the artifacts
// written before the bootstrap step: those, the bootstrap, the evidence,
// the provenance envelope and its bundle, the vulnerability statement's
// envelope and bundle, checksums.txt, and a .sig and a .sigstore.json for
// each signed file.
// The bootstrap's required-file list and the evidence's signature list come
// from it; a test checks it against finished packages.
func Planned(before artifact.List) (files, sigs []string) {
	kinds := map[string]artifact.Kind{}
	for _, a := range before {
		if a.Kind != artifact.Archive {
			kinds[a.Path] = a.Kind
		}
	}
	kinds[layout.Bootstrap] = artifact.Bootstrap
	kinds[layout.EvidenceJSON] = artifact.Evidence
	kinds[layout.EvidenceMD] = artifact.Evidence
	kinds[layout.Provenance] = artifact.Provenance
	kinds[layout.ProvenanceBundle] = artifact.Provenance
	kinds[layout.VulnsEnvelope] = artifact.Attestation
	kinds[layout.VulnsBundle] = artifact.Attestation
	kinds[checksums.Name] = artifact.Checksums
	for p, k := range kinds {
		files = append(files, p)
		if Signed(k) {
			sigs = append(sigs, p+layout.SigSuffix, p+layout.BundleSuffix)
		}
	}
	files = append(files, sigs...)
	slices.Sort(files)
	slices.Sort(sigs)
	return files, sigs
}
