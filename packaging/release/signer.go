package release

import (
	"context"
)

// Signer signs release files. The release command loads a cosign key (see
// package signing); this package only calls it.
type Signer interface {
	// Sign returns the raw signature over data, as cosign sign-blob
	// computes it before base64 encoding.
	Sign(ctx context.Context, data []byte) ([]byte, error)
	// Bundle returns the Sigstore bundle (JSON) of sig, a signature of
	// data that Sign made.
	Bundle(data, sig []byte) ([]byte, error)
	// SignDSSE returns a DSSE envelope (JSON) over payload.
	SignDSSE(ctx context.Context, payloadType string, payload []byte) ([]byte, error)
	// DSSEBundle returns the Sigstore bundle (JSON) holding the DSSE
	// envelope env that SignDSSE made.
	DSSEBundle(env []byte) ([]byte, error)
	// PublicKeyPEM returns the PEM-encoded PKIX public key.
	PublicKeyPEM() []byte
	// Kind is "cosign-key", "kms" or "snapshot".
	Kind() string
	// Identity describes the key without a secret, e.g. "kms:awskms:///alias/release".
	Identity() string
}
