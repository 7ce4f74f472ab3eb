package signing

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"google.golang.org/protobuf/encoding/protojson"
)

// BundleMediaType is the media type of the Sigstore bundles a release
// writes: version 0.3, which cosign v3 reads with `verify-blob --bundle`.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// Bundle returns a key-signed Sigstore bundle (JSON) for sig, the signature
// of data that [Key.Sign] made: the SHA-256 of data, the signature, and the
// public-key hint, with no transparency-log entry (air gap).
func (k *Key) Bundle(data, sig []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	return k.BundleSHA256(sum[:], sig)
}

// BundleSHA256 is [Key.Bundle] for the data whose SHA-256 is digest.
func (k *Key) BundleSHA256(digest, sig []byte) ([]byte, error) {
	if len(digest) != sha256.Size {
		return nil, fmt.Errorf("signing: %s: bundle: a SHA-256 digest has 32 bytes, not %d", k.ref, len(digest))
	}
	return k.bundle(&protobundle.Bundle{Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
		MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: digest},
		Signature:     sig,
	}}})
}

// DSSEBundle returns a key-signed Sigstore bundle holding the DSSE envelope
// env (JSON, as [Key.SignDSSE] writes it), for `cosign
// verify-blob-attestation --bundle`.
func (k *Key) DSSEBundle(env []byte) ([]byte, error) {
	var e struct {
		PayloadType string `json:"payloadType"`
		Payload     []byte `json:"payload"` // base64 in JSON
		Signatures  []struct {
			KeyID string `json:"keyid"`
			Sig   []byte `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(env, &e); err != nil {
		return nil, fmt.Errorf("signing: DSSE bundle: %w", err)
	}
	d := &protodsse.Envelope{Payload: e.Payload, PayloadType: e.PayloadType}
	for _, s := range e.Signatures {
		d.Signatures = append(d.Signatures, &protodsse.Signature{Sig: s.Sig, Keyid: s.KeyID})
	}
	return k.bundle(&protobundle.Bundle{Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: d}})
}

// bundle completes pb, whose content is set, with the media type and the
// public-key hint, and encodes it.
func (k *Key) bundle(pb *protobundle.Bundle) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return nil, fmt.Errorf("signing: %s: bundle: %w", k.ref, err)
	}
	hint := sha256.Sum256(der)
	pb.MediaType = BundleMediaType
	pb.VerificationMaterial = &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_PublicKey{
			PublicKey: &protocommon.PublicKeyIdentifier{Hint: base64.StdEncoding.EncodeToString(hint[:])},
		},
	}
	// The JSON encoding of the Sigstore bundle protocol buffer, as
	// sigstore-go and cosign write it. A key-signed bundle has no
	// transparency-log entry and no certificate, so sigstore-go's checks of
	// those have nothing to check; package trust and the tests' cosign v3
	// read every bundle a release writes.
	out, err := protojson.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("signing: %s: bundle: %w", k.ref, err)
	}
	return out, nil
}
