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

// DigestSigner is a [Signer] that can sign a file by the SHA-256 digest its
// step recorded, without reading it again (ECDSA P-256 keys, held locally
// or by a KMS). A signer whose signature needs the bytes (Ed25519) returns
// ok false, and the file is read.
type DigestSigner interface {
	Signer
	// SignSHA256 returns the signature of the data whose SHA-256 is
	// digest, as Sign would return it for the data.
	SignSHA256(ctx context.Context, digest []byte) (sig []byte, ok bool, err error)
	// BundleSHA256 is Bundle for the data whose SHA-256 is digest.
	BundleSHA256(digest, sig []byte) ([]byte, error)
}
