package attestation

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/cavra/cavra/signing/trust"
)

// The key algorithms of [GenerateKey].
const (
	ECDSAP256 = "ecdsa-p256" // the default, as cosign's
	Ed25519   = "ed25519"
)

// Signer signs rebuild attestations with a rebuilder's private key, with
// the standard library alone, so a rebuilder needs nothing but Go:
//
//   - ECDSA P-256: an ASN.1 DER signature over the SHA-256 of the DSSE
//     pre-authentication encoding (PAE), as cosign signs and checks it;
//   - Ed25519: pure Ed25519 over the PAE.
//
// A rebuilder's key is a PEM "PRIVATE KEY" block holding PKCS #8, as
// `cavra keygen` writes it; its public half a PEM "PUBLIC KEY" block
// (PKIX), which cosign and package trust read.
type Signer struct {
	priv crypto.Signer
	pub  *trust.Key
}

// GenerateKey returns a new key of the algorithm alg ([ECDSAP256] or
// [Ed25519]; "" means ECDSAP256).
func GenerateKey(alg string) (*Signer, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case "", ECDSAP256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("attestation: key algorithm %q, want %s or %s", alg, ECDSAP256, Ed25519)
	}
	if err != nil {
		return nil, err
	}
	return newSigner(priv)
}

func newSigner(priv crypto.Signer) (*Signer, error) {
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	pub, err := trust.ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil {
		return nil, err
	}
	return &Signer{priv: priv, pub: pub}, nil
}

// ParsePrivateKey parses a PEM "PRIVATE KEY" block holding an unencrypted
// PKCS #8 ECDSA P-256 or Ed25519 key.
func ParsePrivateKey(data []byte) (*Signer, error) {
	block, rest := pem.Decode(data)
	switch {
	case block == nil:
		return nil, errors.New("attestation: no PEM block in the private key")
	case block.Type == "ENCRYPTED SIGSTORE PRIVATE KEY":
		return nil, errors.New("attestation: a cosign key pair; a rebuilder signs with a PKCS #8 key that `cavra keygen` makes")
	case block.Type != "PRIVATE KEY":
		return nil, fmt.Errorf("attestation: PEM block %q, want \"PRIVATE KEY\" (PKCS #8, as `cavra keygen` writes)", block.Type)
	case len(strings.TrimSpace(string(rest))) != 0:
		return nil, errors.New("attestation: data after the private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("attestation: %w", err)
	}
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("attestation: ECDSA curve %s, want P-256", k.Curve.Params().Name)
		}
		return newSigner(k)
	case ed25519.PrivateKey:
		return newSigner(k)
	}
	return nil, fmt.Errorf("attestation: %T keys are not supported; want ECDSA P-256 or Ed25519", k)
}

// ReadPrivateKey reads a private key file. On Unix it refuses a file that
// its group or others may read, as ssh does: a rebuilder's key is what
// makes its word count.
func ReadPrivateKey(path string) (*Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("attestation: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("attestation: %w", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("attestation: %s: private key readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKey+1))
	if err == nil && len(data) > maxKey {
		err = fmt.Errorf("more than %d bytes: not a key", maxKey)
	}
	if err != nil {
		return nil, fmt.Errorf("attestation: %s: %w", path, err)
	}
	s, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return s, nil
}

// maxKey bounds a private key file.
const maxKey = 64 << 10

// Public returns the public half, as the verifier trusts it.
func (s *Signer) Public() *trust.Key { return s.pub }

// Algorithm names the key's signature scheme.
func (s *Signer) Algorithm() string { return s.pub.Algorithm() }

// PrivatePEM returns the private key as a PEM "PRIVATE KEY" block (PKCS #8).
func (s *Signer) PrivatePEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(s.priv)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// WriteKeyPair writes the private key to privPath (mode 0600) and its public
// half to pubPath (mode 0644). It never replaces a file: when either
// exists, it writes nothing and says so.
func (s *Signer) WriteKeyPair(privPath, pubPath string) error {
	priv, err := s.PrivatePEM()
	if err != nil {
		return err
	}
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("attestation: %s exists; a key is never overwritten", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("attestation: %w", err)
		}
	}
	if err := createExcl(privPath, priv, 0o600); err != nil {
		return err
	}
	if err := createExcl(pubPath, s.pub.PEM(), 0o644); err != nil {
		os.Remove(privPath)
		return err
	}
	return nil
}

// createExcl writes data to a new file at path with mode perm, failing if
// path exists. The mode is set explicitly, whatever the umask.
func createExcl(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("attestation: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("attestation: %w", err)
	}
	return nil
}

// sign signs the DSSE pre-authentication encoding of payload.
func (s *Signer) sign(payloadType string, payload []byte) ([]byte, error) {
	pae := trust.PAE(payloadType, payload)
	switch k := s.priv.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(k, pae), nil
	case *ecdsa.PrivateKey:
		sum := sha256.Sum256(pae)
		return ecdsa.SignASN1(rand.Reader, k, sum[:])
	}
	return nil, fmt.Errorf("attestation: cannot sign with %T", s.priv)
}

// Sign signs st and returns the two forms of the attestation: the DSSE
// envelope (one JSON line, rebuild.intoto.jsonl), whose signature's keyid
// is the key's fingerprint, and the same envelope as a key-signed Sigstore
// bundle v0.3 (rebuild.sigstore.json), whose public-key hint names the key.
// The bundle's signature carries no keyid: cosign v3 refuses one it cannot
// match.
func (s *Signer) Sign(st *Statement) (envelope, bundle []byte, err error) {
	payload, err := Marshal(st)
	if err != nil {
		return nil, nil, err
	}
	sig, err := s.sign(PayloadType, payload)
	if err != nil {
		return nil, nil, err
	}
	b64 := base64.StdEncoding.EncodeToString
	envelope, err = json.Marshal(trust.Envelope{
		PayloadType: PayloadType,
		Payload:     b64(payload),
		Signatures:  []trust.Signature{{KeyID: s.pub.Fingerprint(), Sig: b64(sig)}},
	})
	if err != nil {
		return nil, nil, err
	}
	var b bundleJSON
	b.MediaType = trust.BundleMediaType
	b.VerificationMaterial.PublicKey.Hint = s.pub.Hint()
	b.DSSEEnvelope.Payload, b.DSSEEnvelope.PayloadType = b64(payload), PayloadType
	b.DSSEEnvelope.Signatures = []bundleSig{{Sig: b64(sig)}}
	if bundle, err = json.Marshal(b); err != nil {
		return nil, nil, err
	}
	return append(envelope, '\n'), append(bundle, '\n'), nil
}

// bundleJSON is a key-signed Sigstore bundle v0.3 holding a DSSE envelope,
// as package trust reads it.
type bundleJSON struct {
	MediaType            string `json:"mediaType"`
	VerificationMaterial struct {
		PublicKey struct {
			Hint string `json:"hint"`
		} `json:"publicKey"`
	} `json:"verificationMaterial"`
	DSSEEnvelope struct {
		Payload     string      `json:"payload"`
		PayloadType string      `json:"payloadType"`
		Signatures  []bundleSig `json:"signatures"`
	} `json:"dsseEnvelope"`
}

type bundleSig struct {
	Sig string `json:"sig"`
}
