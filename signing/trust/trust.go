// Package trust checks release signatures with the standard library alone:
// cosign's detached blob signatures and DSSE envelopes, against a public key
// the operator supplies.
//
// A [Key] is trusted material. Load it from a file the operator obtained
// outside the package ([ParsePublicKey]), or accept a package's own key only
// when its fingerprint equals one the operator supplies ([Key.Fingerprint]).
// A package whose signatures only match the key it carries proves nothing.
//
// # Formats
//
// A public key is a PEM "PUBLIC KEY" block holding a PKIX key, as cosign
// writes cosign.pub: ECDSA P-256 (cosign's default), P-384 or P-521, Ed25519,
// or RSA (2048 bits or more).
//
// A detached signature (.sig) is the base64 (standard encoding) of the
// signature bytes, as `cosign sign-blob --output-signature` writes it:
// ASN.1 DER over the SHA-256 (P-256), SHA-384 (P-384) or SHA-512 (P-521)
// digest of the file for ECDSA; PKCS #1 v1.5 over SHA-256 for RSA; and pure
// Ed25519 over the file's bytes, which is what `cosign verify-blob --key`
// checks.
//
// A DSSE envelope is {"payloadType","payload","signatures":[{"keyid","sig"}]}
// with base64 payload and signatures, each signature over the pre-
// authentication encoding PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP
// LEN(body) SP body.
//
// # Sigstore bundles
//
// A Sigstore bundle (<file>.sigstore.json) holds a signature together with
// what verifies it, as cosign v3 reads it with `verify-blob --bundle`. The
// bundles of a release are key-signed, media type
// application/vnd.dev.sigstore.bundle.v0.3+json:
//
//	{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
//	 "verificationMaterial": {"publicKey": {"hint": BASE64(SHA-256(DER key))}},
//	 "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": BASE64},
//	                      "signature": BASE64}}
//
// or, for an attestation, "dsseEnvelope": {"payload", "payloadType",
// "signatures": [{"sig", "keyid"}]} in place of "messageSignature" (bytes are
// base64, as protobuf's JSON mapping writes them). A bundle is checked
// against the trusted key alone: its hint must name that key, its digest must
// be the file's, and its signature must verify. Certificates, transparency-log
// entries and timestamps cannot be checked offline against a key, so a bundle
// that carries any is refused rather than half-checked.
package trust

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/cavra/cavra/internal/bounded"
	"github.com/cavra/cavra/internal/strictjson"
)

// Key is a public key trusted to sign releases.
type Key struct {
	pub crypto.PublicKey
	der []byte
}

// ParsePublicKey parses a PEM-encoded PKIX public key.
func ParsePublicKey(data []byte) (*Key, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("trust: no PEM block in public key")
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("trust: PEM block %q, want \"PUBLIC KEY\"", block.Type)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("trust: data after the public key")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("trust: %w", err)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, fmt.Errorf("trust: ECDSA curve %s is not supported", k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("trust: RSA key of %d bits, want at least 2048", k.N.BitLen())
		}
	default:
		return nil, fmt.Errorf("trust: %T keys are not supported", pub)
	}
	return &Key{pub: pub, der: block.Bytes}, nil
}

// NewKey returns the Key of a public key (as ParsePublicKey would for its
// PEM PKIX encoding).
func NewKey(pub crypto.PublicKey) (*Key, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("trust: %w", err)
	}
	return ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Public returns the public key.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// ReadPublicKey reads and parses the PEM public key in the file at path,
// such as the cosign.pub an operator was given, of at most [MaxKey] bytes.
func ReadPublicKey(path string) (*Key, error) {
	data, err := bounded.ReadFile(path, MaxKey)
	if err != nil {
		return nil, fmt.Errorf("trust: %w", err)
	}
	k, err := ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return k, nil
}

// MaxKey bounds a public key file.
const MaxKey = 64 << 10

// Fingerprint returns "sha256:" and the hex SHA-256 of the key's DER
// encoding (the bytes inside the PEM block).
func (k *Key) Fingerprint() string {
	s := sha256.Sum256(k.der)
	return "sha256:" + hex.EncodeToString(s[:])
}

// PEM returns the key PEM-encoded.
func (k *Key) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.der})
}

// Equal reports whether k and other are the same key.
func (k *Key) Equal(other *Key) bool { return other != nil && bytes.Equal(k.der, other.der) }

// Algorithm names the signature scheme the key verifies.
func (k *Key) Algorithm() string {
	switch p := k.pub.(type) {
	case *ecdsa.PublicKey:
		return "ecdsa-" + strings.ToLower(strings.ReplaceAll(p.Curve.Params().Name, "-", "")) + "-" + hashName(ecdsaHash(p))
	case ed25519.PublicKey:
		return "ed25519"
	case *rsa.PublicKey:
		return "rsa-pkcs1v15-sha256"
	}
	return "unknown"
}

func hashName(h crypto.Hash) string {
	return strings.ToLower(strings.ReplaceAll(h.String(), "-", ""))
}

func ecdsaHash(p *ecdsa.PublicKey) crypto.Hash {
	switch p.Curve {
	case elliptic.P384():
		return crypto.SHA384
	case elliptic.P521():
		return crypto.SHA512
	}
	return crypto.SHA256
}

// MaxSignature bounds a detached signature file.
const MaxSignature = 64 << 10

// DecodeSignature decodes the contents of a .sig file: base64, optionally
// followed by a newline.
func DecodeSignature(sigFile []byte) ([]byte, error) {
	if len(sigFile) > MaxSignature {
		return nil, fmt.Errorf("signature of %d bytes, more than %d", len(sigFile), MaxSignature)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(sigFile), "\n"), "\r")
	sig, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("signature is not base64: %w", err)
	}
	if len(sig) == 0 {
		return nil, errors.New("empty signature")
	}
	return sig, nil
}

// ErrBadSignature is returned when a signature does not verify.
var ErrBadSignature = errors.New("signature does not verify with the trusted key")

// Verify checks sig, the raw signature bytes, over message.
func (k *Key) Verify(message, sig []byte) error {
	switch p := k.pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(p, digest(ecdsaHash(p), message), sig) {
			return ErrBadSignature
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(p, message, sig) {
			return ErrBadSignature
		}
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(p, crypto.SHA256, digest(crypto.SHA256, message), sig) != nil {
			return ErrBadSignature
		}
	default:
		return ErrBadSignature
	}
	return nil
}

// VerifyBlob checks a cosign detached signature file (base64) over data.
func (k *Key) VerifyBlob(data, sigFile []byte) error {
	sig, err := DecodeSignature(sigFile)
	if err != nil {
		return err
	}
	return k.Verify(data, sig)
}

func digest(h crypto.Hash, msg []byte) []byte {
	var hh hash.Hash
	switch h {
	case crypto.SHA384:
		hh = sha512.New384()
	case crypto.SHA512:
		hh = sha512.New()
	default:
		hh = sha256.New()
	}
	hh.Write(msg)
	return hh.Sum(nil)
}

// Envelope is a DSSE envelope.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"`
	Signatures  []Signature `json:"signatures"`
}

// Signature is one signature of a DSSE envelope.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// MaxEnvelope bounds a DSSE envelope.
const MaxEnvelope = 16 << 20

// PAE returns the DSSE pre-authentication encoding of a payload.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// VerifyDSSE parses a DSSE envelope (one JSON object, optionally followed by
// a newline, as cosign writes .intoto.jsonl) and returns its payload type and
// payload when at least one signature verifies with k. Signatures by other
// keys are ignored, as DSSE allows; none by k is an error.
func (k *Key) VerifyDSSE(data []byte) (payloadType string, payload []byte, err error) {
	env, payload, err := ParseEnvelope(data)
	if err != nil {
		return "", nil, err
	}
	if len(env.Signatures) == 0 {
		return "", nil, errors.New("envelope has no signatures")
	}
	pae := PAE(env.PayloadType, payload)
	for _, s := range env.Signatures {
		if sig, err := decode64(s.Sig); err == nil && k.Verify(pae, sig) == nil {
			return env.PayloadType, payload, nil
		}
	}
	return "", nil, fmt.Errorf("envelope: %w", ErrBadSignature)
}

// ParseEnvelope decodes a DSSE envelope strictly and its payload, WITHOUT
// checking any signature: to read what an envelope says when no key is
// trusted. Use [Key.VerifyDSSE] to trust it.
func ParseEnvelope(data []byte) (env *Envelope, payload []byte, err error) {
	if len(data) > MaxEnvelope {
		return nil, nil, fmt.Errorf("envelope of %d bytes, more than %d", len(data), MaxEnvelope)
	}
	env = &Envelope{}
	if err := strictjson.Decode(bytes.TrimSuffix(data, []byte("\n")), env); err != nil {
		return nil, nil, fmt.Errorf("envelope: %w", err)
	}
	if payload, err = decode64(env.Payload); err != nil { // DSSE allows URL-safe base64 too
		return nil, nil, fmt.Errorf("envelope: payload is not base64: %w", err)
	}
	return env, payload, nil
}
