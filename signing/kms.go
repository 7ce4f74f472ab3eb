//go:build awskms || gcpkms || azurekms || hashivault

package signing

import (
	"context"
	"crypto"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms"
)

// registerKMS links the sigstore KMS provider of scheme, which the file
// that calls it imports for its side effect.
func registerKMS(scheme string) {
	providers[scheme] = func(ctx context.Context, ref string) (signature.SignerVerifier, error) {
		return kms.Get(ctx, ref, crypto.SHA256)
	}
}
