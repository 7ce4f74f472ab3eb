package release

import (
	"context"

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release/artifact"
	"github.com/cavra/cavra/signing/trust"
)

// PublicKeyStep writes cosign.pub, the release public key, for convenience: a
// verifier trusts the key it is given, or this one only when its fingerprint
// matches one it is given.
type PublicKeyStep struct{ Signer Signer }

// Name implements [Step].
func (PublicKeyStep) Name() string { return "public-key" }

// Run implements [Step].
func (p PublicKeyStep) Run(ctx context.Context, s *State) (artifact.List, error) {
	if _, err := trust.ParsePublicKey(p.Signer.PublicKeyPEM()); err != nil {
		return nil, err
	}
	a, err := artifact.WriteFile(s.Dir, layout.PublicKey, artifact.PublicKey, 0o644, p.Signer.PublicKeyPEM())
	if err != nil {
		return nil, err
	}
	return artifact.List{a}, nil
}
