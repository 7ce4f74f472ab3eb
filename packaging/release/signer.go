package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
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

// Fingerprint returns "sha256:" and the hex SHA-256 of the DER public key
// in pemBytes, as package trust computes it.
func Fingerprint(pemBytes []byte) (string, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return "", fmt.Errorf("public key is not PEM")
	}
	s := sha256.Sum256(b.Bytes)
	return "sha256:" + hex.EncodeToString(s[:]), nil
}
