// Package signing loads the release key with the sigstore libraries and signs
// release files with it: detached blob signatures in the format of `cosign
// sign-blob`, and DSSE envelopes for in-toto attestations. It is the heavy
// side of signing; checking signatures needs only the standard library (see
// package github.com/cavra/cavra/signing/trust).
//
// # Where the key comes from
//
// [Load] looks, in order, at:
//
//	COSIGN_KEY           a key reference as cosign reads it: a path to an encrypted
//	                     cosign.key, env://VAR, an http(s) URL, or a key held by a
//	                     provider (awskms://, gcpkms://, azurekms://, hashivault://,
//	                     openbao://, k8s://)
//	COSIGN_PRIVATE_KEY   the contents of an encrypted cosign.key (for CI secrets)
//	COSIGN_PASSWORD      the password of either; may be empty
//
// When neither is set, a snapshot uses a local key generated on first use in
// the user's configuration folder (cavra/snapshot-signing/ under
// os.UserConfigDir) and kept there for later snapshots on that machine; a
// release (not a snapshot) refuses to run. The key is decrypted once per
// release. Nothing is uploaded to a transparency log.
//
// # Providers are linked by build tag
//
// Key files, COSIGN_PRIVATE_KEY and the snapshot key need no cloud SDK, and
// a release command built without tags links none. Each provider comes with
// the build tag package [github.com/cavra/cavra/signing/keyref] names
// (awskms, gcpkms, azurekms, hashivault, k8s), through the same sigstore KMS
// packages and cosign Kubernetes client that cosign's command registers;
// `go run mage.go release` adds the tag COSIGN_KEY needs. A reference to a
// provider that was not linked is refused with an error naming the tag.
package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/blob"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/cavra/cavra/internal/atomicfile"
	"github.com/cavra/cavra/signing/keyref"
	"github.com/cavra/cavra/signing/trust"
)

// Kinds of key.
const (
	KindKey      = "cosign-key" // an encrypted cosign key file or secret
	KindKMS      = "kms"        // a key held by a KMS or token
	KindSnapshot = "snapshot"   // the machine-local snapshot key
)

// Key is a loaded release signing key.
type Key struct {
	sv   signature.SignerVerifier
	pub  []byte
	kind string
	ref  string
}

// Options control [Load].
type Options struct {
	Getenv func(string) string // nil means os.Getenv
	// Snapshot allows the machine-local snapshot key when no key is
	// configured.
	Snapshot bool
	// SnapshotExisting uses the snapshot key only if it exists: it is
	// never generated (a missing one gives an error wrapping
	// fs.ErrNotExist).
	SnapshotExisting bool
	// SnapshotDir holds the snapshot key; "" means
	// <os.UserConfigDir()>/cavra/snapshot-signing.
	SnapshotDir string
}

// Configured reports whether the environment names a release key
// (COSIGN_KEY or COSIGN_PRIVATE_KEY), which [Load] prefers to the snapshot
// key.
func Configured(getenv func(string) string) bool {
	return getenv("COSIGN_KEY") != "" || getenv("COSIGN_PRIVATE_KEY") != ""
}

// ErrNoKey is returned when a release has no configured key.
var ErrNoKey = errors.New("signing: a release needs a signing key: set COSIGN_KEY (a cosign.key path or a KMS URI) or COSIGN_PRIVATE_KEY, and COSIGN_PASSWORD")

// loadOptions makes Ed25519 keys sign pure Ed25519, which `cosign
// verify-blob --key` checks, rather than cosign's default Ed25519ph.
var loadOptions = &[]signature.LoadOption{}

// Load loads the release key; see the package documentation for where from.
func Load(ctx context.Context, o Options) (*Key, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var (
		sv   signature.SignerVerifier
		err  error
		kind string
		ref  string
	)
	switch {
	case getenv("COSIGN_KEY") != "":
		ref = getenv("COSIGN_KEY")
		kind = KindKey
		if strings.Contains(ref, "://") {
			kind = KindKMS
		}
		sv, err = fromRef(ctx, ref, []byte(getenv("COSIGN_PASSWORD")))
	case getenv("COSIGN_PRIVATE_KEY") != "":
		ref, kind = "env:COSIGN_PRIVATE_KEY", KindKey
		sv, err = Decrypt([]byte(getenv("COSIGN_PRIVATE_KEY")), []byte(getenv("COSIGN_PASSWORD")))
	case o.Snapshot:
		dir := o.SnapshotDir
		if dir == "" {
			cfg, err := os.UserConfigDir()
			if err != nil {
				return nil, fmt.Errorf("signing: no folder for the snapshot key: %w", err)
			}
			dir = filepath.Join(cfg, "cavra", "snapshot-signing")
		}
		kind, ref = KindSnapshot, filepath.Join(dir, "cosign.key")
		sv, err = snapshotKey(dir, !o.SnapshotExisting)
	default:
		return nil, ErrNoKey
	}
	if err != nil {
		return nil, fmt.Errorf("signing: load %s: %w", ref, err)
	}
	pub, err := sv.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing: %s: public key: %w", ref, err)
	}
	pem, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return nil, fmt.Errorf("signing: %s: public key: %w", ref, err)
	}
	return &Key{sv: sv, pub: pem, kind: kind, ref: ref}, nil
}

// snapshotKey loads the snapshot key from dir, generating it (with an empty
// password) on first use when generate is set.
func snapshotKey(dir string, generate bool) (signature.SignerVerifier, error) {
	path := filepath.Join(dir, "cosign.key")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && generate {
		if _, _, err := Generate(dir, nil); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	return Decrypt(data, nil)
}

// providers are the key providers linked into this binary, by scheme;
// each registers itself from a file built with its tag.
var providers = map[string]func(ctx context.Context, ref string) (signature.SignerVerifier, error){}

// fromRef loads the key COSIGN_KEY names, as cosign reads a key reference:
// a provider's scheme, else a file, env://VAR or an http(s) URL holding an
// encrypted key.
func fromRef(ctx context.Context, ref string, password []byte) (signature.SignerVerifier, error) {
	if p, ok := keyref.Lookup(ref); ok {
		load := providers[p.Scheme]
		if load == nil {
			return nil, fmt.Errorf("%s keys (%s) are not linked into this release command: run it through `go run mage.go release`, which adds them when COSIGN_KEY names one, or build it with `go build -tags %s ./cmd/cavra-release`", p.Name, p.Scheme, p.Tag)
		}
		return load(ctx, ref)
	}
	data, err := blob.LoadFileOrURL(ref)
	if err != nil {
		return nil, err
	}
	return Decrypt(data, password)
}

// Decrypt decrypts an encrypted cosign private key (PEM "ENCRYPTED SIGSTORE
// PRIVATE KEY", or the older "ENCRYPTED COSIGN PRIVATE KEY") with password,
// as `cosign sign-blob --key` does, with the sigstore library: scrypt and
// secretbox around a PKCS #8 key.
func Decrypt(data, password []byte) (signature.SignerVerifier, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("invalid pem block")
	}
	switch cryptoutils.PEMType(block.Type) {
	case cryptoutils.EncryptedSigstorePrivateKeyPEMType, "ENCRYPTED COSIGN PRIVATE KEY":
	default:
		return nil, fmt.Errorf("unsupported pem type: %s", block.Type)
	}
	// A nil password would make cryptoutils skip decryption; an empty one
	// is a password too.
	pw := append([]byte{}, password...)
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(data, func(bool) ([]byte, error) { return pw, nil })
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	return signature.LoadDefaultSignerVerifier(priv, *loadOptions...)
}

// Generate writes a new cosign key pair into dir: cosign.key (encrypted with
// password, mode 0600) and cosign.pub. It refuses to replace existing files.
func Generate(dir string, password []byte) (keyPath, pubPath string, err error) {
	keyPath, pubPath = filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	return keyPath, pubPath, GenerateFiles(keyPath, pubPath, password, ECDSAP256)
}

// The algorithms of the keys [GenerateFiles] makes.
const (
	ECDSAP256 = "ecdsa-p256" // the cosign default
	Ed25519   = "ed25519"
)

// GenerateFiles writes a new key pair of algorithm alg: the private key at
// keyPath in cosign's encrypted format (with password; mode 0600), which
// [Load] and `cosign sign-blob --key` read, and the PEM public key at
// pubPath. Folders are made with mode 0700. It refuses to replace
// existing files.
func GenerateFiles(keyPath, pubPath string, password []byte, alg string) error {
	// Encrypted as `cosign generate-key-pair` writes it (a nil password
	// would leave it unencrypted).
	pw := append([]byte{}, password...)
	var priv crypto.Signer
	var err error
	switch alg {
	case ECDSAP256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return fmt.Errorf("signing: no key algorithm %q", alg)
	}
	if err != nil {
		return fmt.Errorf("signing: generate key pair: %w", err)
	}
	der, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(priv, func(bool) ([]byte, error) { return pw, nil })
	if err != nil {
		return fmt.Errorf("signing: encrypt key: %w", err)
	}
	pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		return err
	}
	for _, p := range []string{keyPath, pubPath} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
	}
	if err := atomicfile.Create(keyPath, cryptoutils.PEMEncode(cryptoutils.EncryptedSigstorePrivateKeyPEMType, der), 0o600); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if err := atomicfile.Create(pubPath, pubPEM, 0o644); err != nil {
		os.Remove(keyPath)
		return fmt.Errorf("signing: %w", err)
	}
	return nil
}

// Sign returns the signature of data as cosign sign-blob computes it (before
// base64): ECDSA ASN.1 over the SHA-256 digest, or pure Ed25519.
func (k *Key) Sign(ctx context.Context, data []byte) ([]byte, error) {
	sig, err := k.sv.SignMessage(bytes.NewReader(data), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing: %s: %w", k.ref, err)
	}
	return sig, nil
}

// SignSHA256 returns the signature Sign would return for the data whose
// SHA-256 is digest, for an ECDSA P-256 key (whose signatures are over the
// SHA-256 digest); for any other key it returns ok false and Sign needs
// the data.
func (k *Key) SignSHA256(ctx context.Context, digest []byte) (sig []byte, ok bool, err error) {
	pub, isEC := k.Public().(*ecdsa.PublicKey)
	if !isEC || pub.Curve != elliptic.P256() || len(digest) != sha256.Size {
		return nil, false, nil
	}
	sig, err = k.sv.SignMessage(nil, options.WithContext(ctx), options.WithDigest(digest), options.WithCryptoSignerOpts(crypto.SHA256))
	if err != nil {
		return nil, false, fmt.Errorf("signing: %s: %w", k.ref, err)
	}
	return sig, true, nil
}

// SignDSSE returns a DSSE envelope (JSON) over payload, as cosign
// attest-blob writes it.
func (k *Key) SignDSSE(ctx context.Context, payloadType string, payload []byte) ([]byte, error) {
	env, err := dsse.WrapSigner(k.sv, payloadType).SignMessage(bytes.NewReader(payload), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing: %s: DSSE: %w", k.ref, err)
	}
	return env, nil
}

// Fingerprint returns the key's fingerprint as package trust computes it:
// "sha256:" and the hex SHA-256 of the DER public key.
func (k *Key) Fingerprint() string {
	pub, err := trust.ParsePublicKey(k.pub)
	if err != nil {
		return "unknown: " + err.Error()
	}
	return pub.Fingerprint()
}

// PublicKeyPEM returns the public key as cosign.pub holds it.
func (k *Key) PublicKeyPEM() []byte { return bytes.Clone(k.pub) }

// Kind returns KindKey, KindKMS or KindSnapshot.
func (k *Key) Kind() string { return k.kind }

// Identity describes the signer without a secret or a local path: a KMS
// URI, "cosign-key:<file name>", "cosign-key:env:COSIGN_PRIVATE_KEY", or
// "snapshot:local".
func (k *Key) Identity() string {
	switch {
	case k.kind == KindSnapshot:
		return "snapshot:local"
	case k.kind == KindKMS:
		return "kms:" + k.ref
	case strings.HasPrefix(k.ref, "env:"):
		return KindKey + ":" + k.ref
	}
	return KindKey + ":" + filepath.Base(k.ref)
}

// SignerVerifier returns the key as the sigstore libraries sign with it
// (go-tuf's metadata signing among them).
func (k *Key) SignerVerifier() signature.SignerVerifier { return k.sv }

// Public returns the public key.
func (k *Key) Public() crypto.PublicKey {
	pub, _ := k.sv.PublicKey()
	if e, ok := pub.(ed25519.PublicKey); ok {
		return e
	}
	return pub
}
