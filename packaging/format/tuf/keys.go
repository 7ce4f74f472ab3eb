package tuf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The key types and schemes this package reads and writes.
const (
	KeyTypeEd25519     = "ed25519"
	KeyTypeECDSA       = "ecdsa"               // as go-tuf and python-tuf write it
	KeyTypeECDSACompat = "ecdsa-sha2-nistp256" // the specification's older spelling
	SchemeEd25519      = "ed25519"
	SchemeECDSAP256    = "ecdsa-sha2-nistp256"
)

// NewKey returns the TUF key of a public key: an ed25519 key as hex, an
// ECDSA P-256 key as keytype "ecdsa", scheme "ecdsa-sha2-nistp256" and its
// PEM PKIX encoding (what cosign.pub holds, and what go-tuf writes).
func NewKey(pub crypto.PublicKey) (*Key, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return &Key{Type: KeyTypeEd25519, Scheme: SchemeEd25519, Value: KeyValue{Public: hex.EncodeToString(k)}}, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("ECDSA key on %s: only P-256 (ecdsa-sha2-nistp256) is used", k.Curve.Params().Name)
		}
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, err
		}
		return &Key{Type: KeyTypeECDSA, Scheme: SchemeECDSAP256, Value: KeyValue{Public: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}, nil
	}
	return nil, fmt.Errorf("a %T key: only ed25519 and ECDSA P-256 keys are used", pub)
}

// ID returns the key id: the hex SHA-256 of the key's canonical JSON.
func (k *Key) ID() (string, error) {
	data, err := json.Marshal(k)
	if err != nil {
		return "", err
	}
	v, err := Decode(data)
	if err != nil {
		return "", err
	}
	c, err := EncodeCanonical(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// Public returns the key's public half, refusing a type or scheme this
// package does not check.
func (k *Key) Public() (crypto.PublicKey, error) {
	switch {
	case k.Type == KeyTypeEd25519 && k.Scheme == SchemeEd25519:
		b, err := hex.DecodeString(k.Value.Public)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, errors.New("ed25519 key: want 64 hex digits")
		}
		return ed25519.PublicKey(b), nil
	case (k.Type == KeyTypeECDSA || k.Type == KeyTypeECDSACompat) && k.Scheme == SchemeECDSAP256:
		block, rest := pem.Decode([]byte(k.Value.Public))
		if block == nil || block.Type != "PUBLIC KEY" || strings.TrimSpace(string(rest)) != "" {
			return nil, errors.New("ecdsa key: want one PEM PUBLIC KEY block")
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("ecdsa key: %w", err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || ec.Curve != elliptic.P256() {
			return nil, errors.New("ecdsa key: not a P-256 key")
		}
		return ec, nil
	}
	return nil, fmt.Errorf("keytype %q with scheme %q: only ed25519 and ecdsa-sha2-nistp256 keys are checked", k.Type, k.Scheme)
}

// Fingerprint returns the hex SHA-256 of a public key's PKIX encoding: the
// same for one key however a root spells it, so a threshold counts each key
// once.
func Fingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// VerifySignature checks sig (raw bytes) over msg with pub under the
// key's scheme: pure ed25519, or ECDSA ASN.1 over the SHA-256 of msg.
func VerifySignature(pub crypto.PublicKey, msg, sig []byte) error {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if ed25519.Verify(k, msg, sig) {
			return nil
		}
	case *ecdsa.PublicKey:
		sum := sha256.Sum256(msg)
		if ecdsa.VerifyASN1(k, sum[:], sig) {
			return nil
		}
	default:
		return fmt.Errorf("a %T key", pub)
	}
	return errors.New("signature does not verify")
}

// Threshold is the outcome of checking a role's signatures on a file.
type Threshold struct {
	Role      string
	Need      int
	Signers   []string // key ids whose signature verified, one per distinct key
	Duplicate []string // key ids whose signature was not counted: a key already counted
	Bad       []string // key ids of the role whose signature did not verify
}

// Met reports whether enough distinct keys signed.
func (t *Threshold) Met() bool { return len(t.Signers) >= t.Need }

func (t *Threshold) String() string {
	s := fmt.Sprintf("signed by %d of the %d %s key(s) required", len(t.Signers), t.Need, t.Role)
	if len(t.Duplicate) > 0 {
		s += fmt.Sprintf("; %d more signature(s) by a key already counted, counted once", len(t.Duplicate))
	}
	if len(t.Bad) > 0 {
		short := make([]string, len(t.Bad))
		for i, id := range t.Bad {
			short[i] = Short(id)
		}
		s += "; not verifying: " + strings.Join(short, ", ")
	}
	return s
}

// Verify checks m's signatures against the keys of role in root: each
// signature by a key id the role lists is checked, and each distinct key
// (by [Fingerprint]) counts once. The error is nil when the threshold is
// met; the Threshold says who signed either way.
func (m *Metadata) Verify(root *Root, role string) (*Threshold, error) {
	r := root.Roles[role]
	if r == nil {
		return nil, fmt.Errorf("root version %d has no %s role", root.Version, role)
	}
	t := &Threshold{Role: role, Need: r.Threshold}
	counted := map[string]bool{}
	for _, s := range m.Signatures {
		if !slices.Contains(r.KeyIDs, s.KeyID) {
			continue
		}
		k := root.Keys[s.KeyID]
		pub, err := k.Public()
		if err != nil {
			t.Bad = append(t.Bad, s.KeyID)
			continue
		}
		sig, err := hex.DecodeString(s.Sig)
		if err != nil || VerifySignature(pub, m.Signed, sig) != nil {
			t.Bad = append(t.Bad, s.KeyID)
			continue
		}
		fp := Fingerprint(pub)
		if counted[fp] {
			t.Duplicate = append(t.Duplicate, s.KeyID)
			continue
		}
		counted[fp] = true
		t.Signers = append(t.Signers, s.KeyID)
	}
	if !t.Met() {
		return t, fmt.Errorf("threshold: %s", t)
	}
	return t, nil
}

// RoleKeys returns the public keys of a role of root, in key id order.
func (r *Root) RoleKeys(role string) ([]crypto.PublicKey, []string) {
	var keys []crypto.PublicKey
	var ids []string
	if r.Roles[role] == nil {
		return nil, nil
	}
	for _, id := range r.Roles[role].KeyIDs {
		if k := r.Keys[id]; k != nil {
			if pub, err := k.Public(); err == nil {
				keys, ids = append(keys, pub), append(ids, id)
			}
		}
	}
	return keys, ids
}

// SameKeys reports whether role has the same keys and threshold in a and b.
func SameKeys(a, b *Root, role string) bool {
	ra, rb := a.Roles[role], b.Roles[role]
	if ra == nil || rb == nil || ra.Threshold != rb.Threshold {
		return false
	}
	ka, kb := slices.Clone(ra.KeyIDs), slices.Clone(rb.KeyIDs)
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}
