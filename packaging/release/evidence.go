package release

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/releaseevidence"
	"github.com/cavra/cavra/packaging/release/artifact"
	"github.com/cavra/cavra/signing/trust"
)

// EvidenceStep writes release-evidence.json and release-evidence.md.
type EvidenceStep struct{ Signer Signer }

// Name implements [Step].
func (EvidenceStep) Name() string { return "evidence" }

// Run implements [Step].
func (e EvidenceStep) Run(ctx context.Context, s *State) (artifact.List, error) {
	key, err := trust.ParsePublicKey(e.Signer.PublicKeyPEM())
	if err != nil {
		return nil, err
	}
	c := s.Config
	ev := releaseevidence.Document{
		SchemaVersion: releaseevidence.Schema,
		Package: releaseevidence.Package{
			Name: layout.Name, Version: c.Version, Commit: c.Commit, Ref: c.Ref, Repository: c.Repository,
			WorkflowRef: c.WorkflowRef, Snapshot: c.Snapshot, Dirty: c.Dirty, SourceDateEpoch: c.Epoch.Unix(),
		},
		Builder:   c.Builder,
		GoVersion: c.GoVersion,
		Signing: releaseevidence.Signing{
			Kind: e.Signer.Kind(), Identity: e.Signer.Identity(), PublicKey: layout.PublicKey,
			Fingerprint: key.Fingerprint(), Algorithm: key.Algorithm(), TransparencyLog: "none",
		},
		Controls: releaseevidence.Controls(c.Version, c.GoVersion, c.Epoch.Unix()),
	}
	for _, a := range s.Artifacts.Sorted() {
		if a.Kind == artifact.Archive {
			continue
		}
		ev.Artifacts = append(ev.Artifacts, releaseevidence.Artifact{Kind: string(a.Kind), Path: a.Path, Target: a.Target, Format: a.Format, Size: a.Size, SHA256: a.SHA256})
	}
	_, sigs := Planned(s.Artifacts)
	for _, p := range sigs {
		if signed, ok := strings.CutSuffix(p, layout.SigSuffix); ok {
			ev.Signatures = append(ev.Signatures, releaseevidence.Signature{Path: p, Signs: signed, Format: "cosign-blob"})
		} else {
			ev.Signatures = append(ev.Signatures, releaseevidence.Signature{Path: p, Signs: strings.TrimSuffix(p, layout.BundleSuffix), Format: "sigstore-bundle-v0.3"})
		}
	}
	ev.Signatures = append(ev.Signatures,
		releaseevidence.Signature{Path: layout.Provenance, Signs: "the provenance subjects", Format: "dsse-in-toto"},
		releaseevidence.Signature{Path: layout.ProvenanceBundle, Signs: "the provenance subjects", Format: "sigstore-bundle-v0.3-dsse"},
		releaseevidence.Signature{Path: layout.VulnsEnvelope, Signs: layout.Vulns, Format: "dsse-in-toto"},
		releaseevidence.Signature{Path: layout.VulnsBundle, Signs: layout.Vulns, Format: "sigstore-bundle-v0.3-dsse"})
	data, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return nil, err
	}
	j, err := artifact.WriteFile(s.Dir, layout.EvidenceJSON, artifact.Evidence, 0o644, append(data, '\n'))
	if err != nil {
		return nil, err
	}
	j.Format = "json"
	m, err := artifact.WriteFile(s.Dir, layout.EvidenceMD, artifact.Evidence, 0o644, []byte(ev.Markdown()))
	if err != nil {
		return nil, err
	}
	m.Format = "markdown"
	return artifact.List{j, m}, nil
}
