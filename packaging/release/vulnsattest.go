package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/vex"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// VulnsAttestationStep signs the in-toto vulnerability statement the vulns
// step wrote (layout.Vulns) as the provenance is signed: a DSSE envelope
// whose payload is the statement's bytes (layout.VulnsEnvelope, cosign v2's
// --signature) and the same envelope as a Sigstore bundle
// (layout.VulnsBundle, cosign v3's --bundle). The statement itself is a
// listed, reproducible file; only the signatures differ between releases.
type VulnsAttestationStep struct{ Signer Signer }

// Name implements [Step].
func (VulnsAttestationStep) Name() string { return "vulns-attestation" }

// Run implements [Step].
func (v VulnsAttestationStep) Run(ctx context.Context, s *State) (artifact.List, error) {
	st, ok := s.Artifacts.Find(layout.Vulns)
	if !ok {
		return nil, fmt.Errorf("no %s: the vulns step runs first", layout.Vulns)
	}
	payload, err := os.ReadFile(filepath.Join(s.Dir, filepath.FromSlash(st.Path)))
	if err != nil {
		return nil, err
	}
	if checksums.SHA256(payload) != st.SHA256 {
		return nil, fmt.Errorf("%s changed on disk after its step recorded it", st.Path)
	}
	env, err := v.Signer.SignDSSE(ctx, vex.PayloadType, payload)
	if err != nil {
		return nil, err
	}
	bundle, err := v.Signer.DSSEBundle(env)
	if err != nil {
		return nil, err
	}
	a, err := artifact.WriteFile(s.Dir, layout.VulnsEnvelope, artifact.Attestation, 0o644, append(env, '\n'))
	if err != nil {
		return nil, err
	}
	a.Format, a.Signs = "dsse-in-toto-jsonl", layout.Vulns
	b, err := artifact.WriteFile(s.Dir, layout.VulnsBundle, artifact.Attestation, 0o644, bundle)
	if err != nil {
		return nil, err
	}
	b.Format, b.Signs = "sigstore-bundle-v0.3-dsse", layout.Vulns
	return artifact.List{a, b}, nil
}
