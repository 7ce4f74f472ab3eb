package release

import "context"

// Signer signs release files. Implementations live outside this package (the
// release command loads a cosign key); this package only calls them.
type Signer interface {
	// Sign returns a signature over data in the encoding cosign's
	// sign-blob writes (the raw signature bytes; callers base64 them).
	Sign(ctx context.Context, data []byte) ([]byte, error)
	// PublicKeyPEM returns the PEM-encoded PKIX public key.
	PublicKeyPEM() []byte
}
