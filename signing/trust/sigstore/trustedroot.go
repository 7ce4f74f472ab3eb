package sigstore

import (
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// TrustedRootMediaType is the media type of trusted_root.json.
const TrustedRootMediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"

// TrustedRootName is the file name Sigstore's TUF repository, cosign's
// --trusted-root and a release's neighbours use.
const TrustedRootName = "trusted_root.json"

// MaxTrustedRoot bounds a trusted root file.
const MaxTrustedRoot = 4 << 20

// trustedRootJSON is dev.sigstore.trustedroot.v1.TrustedRoot as JSON.
type trustedRootJSON struct {
	MediaType              string          `json:"mediaType"`
	Tlogs                  []logJSON       `json:"tlogs"`
	CertificateAuthorities []authorityJSON `json:"certificateAuthorities"`
	Ctlogs                 []logJSON       `json:"ctlogs"`
	TimestampAuthorities   []authorityJSON `json:"timestampAuthorities"`
}

type logJSON struct {
	BaseURL       string `json:"baseUrl"`
	HashAlgorithm string `json:"hashAlgorithm"`
	PublicKey     *struct {
		RawBytes   Bytes      `json:"rawBytes"`
		KeyDetails string     `json:"keyDetails"`
		ValidFor   *rangeJSON `json:"validFor"`
	} `json:"publicKey"`
	LogID *LogID `json:"logId"`
}

type authorityJSON struct {
	URI       string            `json:"uri"`
	CertChain *CertificateChain `json:"certChain"`
	ValidFor  *rangeJSON        `json:"validFor"`
}

type rangeJSON struct {
	Start *Timestamp `json:"start"`
	End   *Timestamp `json:"end"`
}

// TrustedRoot is the trusted material of a Sigstore instance, parsed.
type TrustedRoot struct {
	Tlogs                  []*TransparencyLog
	CTLogs                 []*TransparencyLog
	CertificateAuthorities []*CertificateAuthority
	TimestampAuthorities   []*CertificateAuthority
}

// Validity is a time range; a zero end is open.
type Validity struct {
	Start, End time.Time
}

// Contains reports whether t lies in the range, ends included.
func (v Validity) Contains(t time.Time) bool {
	return !t.Before(v.Start) && (v.End.IsZero() || !t.After(v.End))
}

// String renders the range for errors.
func (v Validity) String() string {
	end := "open"
	if !v.End.IsZero() {
		end = v.End.UTC().Format(time.RFC3339)
	}
	return v.Start.UTC().Format(time.RFC3339) + " to " + end
}

// TransparencyLog is a Rekor log or a certificate-transparency log.
type TransparencyLog struct {
	BaseURL    string
	ID         []byte // the log id the trusted root gives (Rekor v1, CT: SHA-256 of the key's DER)
	KeyDetails string // e.g. PKIX_ECDSA_P256_SHA_256, PKIX_ED25519
	PublicKey  any    // *ecdsa.PublicKey, ed25519.PublicKey or *rsa.PublicKey
	KeyDER     []byte // the key's PKIX DER
	Validity   Validity
}

// IDHex returns the log id in hex, as Rekor's signed entry timestamps
// name it.
func (l *TransparencyLog) IDHex() string { return hex.EncodeToString(l.ID) }

// CertificateAuthority is a Fulcio CA or a timestamp authority: a chain
// leaf first, root last. For a timestamp authority whose chain has more
// than one certificate, the first is the authority's signing certificate.
type CertificateAuthority struct {
	URI      string
	Chain    []*x509.Certificate
	Validity Validity
}

// Root returns the last certificate of the chain, the trust anchor.
func (c *CertificateAuthority) Root() *x509.Certificate { return c.Chain[len(c.Chain)-1] }

// ParseTrustedRoot reads a trusted_root.json: its media type, every log
// key, CA and timestamp-authority chain, and the validity of each.
func ParseTrustedRoot(data []byte) (*TrustedRoot, error) {
	if len(data) > MaxTrustedRoot {
		return nil, fmt.Errorf("trusted root of %d bytes, more than %d", len(data), MaxTrustedRoot)
	}
	var j trustedRootJSON
	if err := decode(data, &j, false); err != nil {
		return nil, fmt.Errorf("trusted root: %w", err)
	}
	if j.MediaType != TrustedRootMediaType {
		return nil, fmt.Errorf("trusted root: media type %q, want %q", j.MediaType, TrustedRootMediaType)
	}
	r := &TrustedRoot{}
	for i, l := range j.Tlogs {
		tl, err := parseLog(l)
		if err != nil {
			return nil, fmt.Errorf("trusted root: tlogs[%d]: %w", i, err)
		}
		r.Tlogs = append(r.Tlogs, tl)
	}
	for i, l := range j.Ctlogs {
		tl, err := parseLog(l)
		if err != nil {
			return nil, fmt.Errorf("trusted root: ctlogs[%d]: %w", i, err)
		}
		r.CTLogs = append(r.CTLogs, tl)
	}
	for i, a := range j.CertificateAuthorities {
		ca, err := parseAuthority(a)
		if err != nil {
			return nil, fmt.Errorf("trusted root: certificateAuthorities[%d]: %w", i, err)
		}
		r.CertificateAuthorities = append(r.CertificateAuthorities, ca)
	}
	for i, a := range j.TimestampAuthorities {
		ca, err := parseAuthority(a)
		if err != nil {
			return nil, fmt.Errorf("trusted root: timestampAuthorities[%d]: %w", i, err)
		}
		r.TimestampAuthorities = append(r.TimestampAuthorities, ca)
	}
	if len(r.CertificateAuthorities) == 0 {
		return nil, errors.New("trusted root: no certificate authority")
	}
	return r, nil
}

func parseLog(l logJSON) (*TransparencyLog, error) {
	if l.PublicKey == nil || len(l.PublicKey.RawBytes) == 0 {
		return nil, errors.New("no public key")
	}
	if l.LogID == nil || len(l.LogID.KeyID) == 0 {
		return nil, errors.New("no logId")
	}
	if l.PublicKey.ValidFor == nil || l.PublicKey.ValidFor.Start == nil {
		return nil, errors.New("no validFor.start: a key without a start is trusted for no time")
	}
	pub, err := x509.ParsePKIXPublicKey(l.PublicKey.RawBytes)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return &TransparencyLog{
		BaseURL:    l.BaseURL,
		ID:         l.LogID.KeyID,
		KeyDetails: l.PublicKey.KeyDetails,
		PublicKey:  pub,
		KeyDER:     l.PublicKey.RawBytes,
		Validity:   validity(l.PublicKey.ValidFor),
	}, nil
}

func parseAuthority(a authorityJSON) (*CertificateAuthority, error) {
	if a.CertChain == nil || len(a.CertChain.Certificates) == 0 {
		return nil, errors.New("no certificate chain")
	}
	ca := &CertificateAuthority{URI: a.URI, Validity: validity(a.ValidFor)}
	for i, c := range a.CertChain.Certificates {
		cert, err := x509.ParseCertificate(c.RawBytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", i, err)
		}
		ca.Chain = append(ca.Chain, cert)
	}
	return ca, nil
}

func validity(r *rangeJSON) Validity {
	var v Validity
	if r == nil {
		return v
	}
	if r.Start != nil {
		v.Start = r.Start.Time
	}
	if r.End != nil {
		v.End = r.End.Time
	}
	return v
}
