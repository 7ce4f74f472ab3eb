package release

import (
	"context"

	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// ChecksumsStep writes checksums.txt: the SHA-256 of every file of the package
// except itself and the signature files (detached .sig files, the DSSE
// envelopes of the provenance and of the vulnerability statement, and their
// bundles), which are checked by their signatures instead; so a
// package re-signed with the same key keeps the same checksums.txt.
type ChecksumsStep struct{}

// Name implements [Step].
func (ChecksumsStep) Name() string { return "checksums" }

// Listed reports whether checksums.txt lists artifacts of kind k.
func Listed(k artifact.Kind) bool {
	switch k {
	case artifact.Signature, artifact.Provenance, artifact.Attestation, artifact.Checksums, artifact.Archive, artifact.TUF:
		return false
	}
	return true
}

// Run implements [Step].
func (ChecksumsStep) Run(ctx context.Context, s *State) (artifact.List, error) {
	var lines []checksums.Line
	for _, a := range s.Artifacts {
		if Listed(a.Kind) {
			lines = append(lines, checksums.Line{Path: a.Path, SHA256: a.SHA256})
		}
	}
	data, err := checksums.Format(lines)
	if err != nil {
		return nil, err
	}
	a, err := artifact.WriteFile(s.Dir, checksums.Name, artifact.Checksums, 0o644, data)
	if err != nil {
		return nil, err
	}
	return artifact.List{a}, nil
}
