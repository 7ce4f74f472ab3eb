package trust

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cavra/cavra/internal/strictjson"
)

// Bundle media types: the one releases write, and the older spelling of
// version 0.3 that cosign v3 itself writes.
const (
	BundleMediaType       = "application/vnd.dev.sigstore.bundle.v0.3+json"
	bundleMediaTypeLegacy = "application/vnd.dev.sigstore.bundle+json;version=0.3"
)

// MaxBundle bounds a bundle file.
const MaxBundle = 16 << 20

type bundleJSON struct {
	MediaType            string `json:"mediaType"`
	VerificationMaterial *struct {
		PublicKey *struct {
			Hint string `json:"hint"`
		} `json:"publicKey"`
		Certificate               json.RawMessage   `json:"certificate"`
		X509CertificateChain      json.RawMessage   `json:"x509CertificateChain"`
		TlogEntries               []json.RawMessage `json:"tlogEntries"`
		TimestampVerificationData *struct {
			RFC3161Timestamps []json.RawMessage `json:"rfc3161Timestamps"`
		} `json:"timestampVerificationData"`
	} `json:"verificationMaterial"`
	MessageSignature *struct {
		MessageDigest *struct {
			Algorithm string `json:"algorithm"`
			Digest    string `json:"digest"`
		} `json:"messageDigest"`
		Signature string `json:"signature"`
	} `json:"messageSignature"`
	DSSEEnvelope *struct {
		Payload     string `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []struct {
			Sig   string `json:"sig"`
			KeyID string `json:"keyid"`
		} `json:"signatures"`
	} `json:"dsseEnvelope"`
}

// Hint returns the public-key hint of a key-signed bundle: the base64 of the
// SHA-256 of the key's DER encoding, as cosign writes it.
func (k *Key) Hint() string {
	s := sha256.Sum256(k.der)
	return base64.StdEncoding.EncodeToString(s[:])
}

// parseBundle decodes a bundle and checks what does not depend on its
// content: size, strict JSON, media type, and verification material that
// names k and nothing this verifier cannot check.
func (k *Key) parseBundle(data []byte) (*bundleJSON, error) {
	if len(data) > MaxBundle {
		return nil, fmt.Errorf("bundle of %d bytes, more than %d", len(data), MaxBundle)
	}
	var b bundleJSON
	if err := strictjson.Decode(bytes.TrimSuffix(data, []byte("\n")), &b); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if b.MediaType != BundleMediaType && b.MediaType != bundleMediaTypeLegacy {
		return nil, fmt.Errorf("bundle: media type %q, want %q", b.MediaType, BundleMediaType)
	}
	vm := b.VerificationMaterial
	switch {
	case vm == nil:
		return nil, errors.New("bundle: no verificationMaterial")
	case len(vm.Certificate) > 0 || len(vm.X509CertificateChain) > 0:
		return nil, errors.New("bundle: carries a certificate; a release bundle is signed by the trusted key")
	case len(vm.TlogEntries) > 0:
		return nil, errors.New("bundle: carries transparency-log entries, which cannot be checked offline")
	case vm.TimestampVerificationData != nil && len(vm.TimestampVerificationData.RFC3161Timestamps) > 0:
		return nil, errors.New("bundle: carries signed timestamps, which this verifier does not check")
	case vm.PublicKey == nil:
		return nil, errors.New("bundle: no publicKey hint")
	case vm.PublicKey.Hint != k.Hint():
		return nil, fmt.Errorf("bundle: public-key hint %q names another key than the trusted one (%q)", vm.PublicKey.Hint, k.Hint())
	}
	if (b.MessageSignature == nil) == (b.DSSEEnvelope == nil) {
		return nil, errors.New("bundle: want exactly one of messageSignature and dsseEnvelope")
	}
	return &b, nil
}

// VerifyBundle checks a key-signed Sigstore bundle holding a message
// signature over a file whose bytes are data and whose SHA-256 is sum.
func (k *Key) VerifyBundle(data []byte, sum [32]byte, bundle []byte) error {
	b, err := k.parseBundle(bundle)
	if err != nil {
		return err
	}
	ms := b.MessageSignature
	if ms == nil {
		return errors.New("bundle: holds a DSSE envelope, not a message signature")
	}
	if ms.MessageDigest == nil || ms.MessageDigest.Algorithm != "SHA2_256" {
		return errors.New("bundle: messageDigest is not SHA2_256")
	}
	d, err := decode64(ms.MessageDigest.Digest)
	if err != nil {
		return fmt.Errorf("bundle: messageDigest: %w", err)
	}
	if subtle.ConstantTimeCompare(d, sum[:]) != 1 {
		return errors.New("bundle: messageDigest is not the file's SHA-256: the bundle is for another file")
	}
	sig, err := decode64(ms.Signature)
	if err != nil || len(sig) == 0 {
		return errors.New("bundle: signature is empty or not base64")
	}
	if err := k.verifySum(data, sum, sig); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

// VerifyDSSEBundle checks a key-signed Sigstore bundle holding a DSSE
// envelope and returns its payload type and payload.
func (k *Key) VerifyDSSEBundle(bundle []byte) (payloadType string, payload []byte, err error) {
	b, err := k.parseBundle(bundle)
	if err != nil {
		return "", nil, err
	}
	env := b.DSSEEnvelope
	if env == nil {
		return "", nil, errors.New("bundle: holds a message signature, not a DSSE envelope")
	}
	if payload, err = decode64(env.Payload); err != nil {
		return "", nil, fmt.Errorf("bundle: payload: %w", err)
	}
	pae := PAE(env.PayloadType, payload)
	for _, s := range env.Signatures {
		if sig, err := decode64(s.Sig); err == nil && k.Verify(pae, sig) == nil {
			return env.PayloadType, payload, nil
		}
	}
	return "", nil, fmt.Errorf("bundle: DSSE envelope: %w", ErrBadSignature)
}

// VerifyBlobSum checks a cosign detached signature file over a file whose
// bytes are data and whose SHA-256 is sum. For keys that sign a SHA-256
// digest (ECDSA P-256, RSA) the digest is used and the bytes are not hashed
// again; data may then be nil.
func (k *Key) VerifyBlobSum(data []byte, sum [32]byte, sigFile []byte) error {
	sig, err := DecodeSignature(sigFile)
	if err != nil {
		return err
	}
	return k.verifySum(data, sum, sig)
}

func (k *Key) verifySum(data []byte, sum [32]byte, sig []byte) error {
	switch p := k.pub.(type) {
	case *ecdsa.PublicKey:
		if ecdsaHash(p) == crypto.SHA256 {
			if !ecdsa.VerifyASN1(p, sum[:], sig) {
				return ErrBadSignature
			}
			return nil
		}
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(p, crypto.SHA256, sum[:], sig) != nil {
			return ErrBadSignature
		}
		return nil
	}
	if data == nil {
		return fmt.Errorf("a %s signature needs the file's bytes", k.Algorithm())
	}
	return k.Verify(data, sig)
}

// decode64 decodes standard base64, or the URL-safe form that protobuf's
// JSON mapping also accepts.
func decode64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return base64.URLEncoding.DecodeString(s)
	}
	return b, nil
}
