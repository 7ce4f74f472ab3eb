package keyless

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/cavra/cavra/signing/trust/sigstore"
)

var (
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)

// checkTimestamps verifies every RFC 3161 timestamp of the bundle over its
// signature and returns their times; one that does not verify is an error.
func (v *Verifier) checkTimestamps(b *sigstore.Bundle) ([]SigningTime, error) {
	var out []SigningTime
	for i, ts := range b.Timestamps() {
		t, tsa, err := v.verifyTimestamp(ts, b.Signature())
		if err != nil {
			return nil, fail(CheckTimestamp, "timestamp %d: %v", i, err)
		}
		out = append(out, SigningTime{Time: t, Source: tsa.URI})
	}
	return out, nil
}

// RFC 3161 and RFC 5652 structures, as far as verification reads them.
type timeStampResp struct {
	Status asn1.RawValue // PKIStatusInfo: status, then optional text and failure bits
	Token  asn1.RawValue `asn1:"optional"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo struct {
		EContentType asn1.ObjectIdentifier
		EContent     asn1.RawValue `asn1:"explicit,tag:0"`
	}
	Certificates asn1.RawValue `asn1:"optional,tag:0"`
	CRLs         asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos  []signerInfo  `asn1:"set"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

// verifyTimestamp verifies one DER TimeStampResp over sig and returns its
// time and the authority that signed it.
func (v *Verifier) verifyTimestamp(der, sig []byte) (time.Time, *sigstore.CertificateAuthority, error) {
	var resp timeStampResp
	if rest, err := asn1.Unmarshal(der, &resp); err != nil || len(rest) > 0 {
		return time.Time{}, nil, errors.New("not a DER TimeStampResp")
	}
	var status int
	if _, err := asn1.Unmarshal(resp.Status.Bytes, &status); err != nil {
		return time.Time{}, nil, errors.New("the TimeStampResp has no status")
	}
	if status != 0 && status != 1 {
		return time.Time{}, nil, fmt.Errorf("status %d: the authority did not grant it", status)
	}
	var ci contentInfo
	if rest, err := asn1.Unmarshal(resp.Token.FullBytes, &ci); err != nil || len(rest) > 0 || !ci.ContentType.Equal(oidSignedData) {
		return time.Time{}, nil, errors.New("the token is not CMS SignedData")
	}
	var sd signedData
	// A RawValue keeps its explicit tag: the SignedData is inside it.
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) > 0 {
		return time.Time{}, nil, fmt.Errorf("the token's SignedData: %v", err)
	}
	if !sd.EncapContentInfo.EContentType.Equal(oidTSTInfo) {
		return time.Time{}, nil, fmt.Errorf("the token holds %s, not a TSTInfo", sd.EncapContentInfo.EContentType)
	}
	var tstDER []byte
	if rest, err := asn1.Unmarshal(sd.EncapContentInfo.EContent.Bytes, &tstDER); err != nil || len(rest) > 0 {
		return time.Time{}, nil, errors.New("the TSTInfo is not an OCTET STRING")
	}
	genTime, imprintAlg, imprint, err := parseTSTInfo(tstDER)
	if err != nil {
		return time.Time{}, nil, err
	}
	h, ok := hashByOID(imprintAlg)
	if !ok {
		return time.Time{}, nil, fmt.Errorf("message imprint hash %s is not SHA-256, SHA-384 or SHA-512", imprintAlg)
	}
	if !bytes.Equal(imprint, digest(h, sig)) {
		return time.Time{}, nil, errors.New("the timestamp stamps another signature than the bundle's")
	}
	if len(sd.SignerInfos) != 1 {
		return time.Time{}, nil, fmt.Errorf("the token has %d signers, want 1", len(sd.SignerInfos))
	}
	si := sd.SignerInfos[0]
	var embedded []*x509.Certificate
	if len(sd.Certificates.Bytes) > 0 {
		if embedded, err = x509.ParseCertificates(sd.Certificates.Bytes); err != nil {
			return time.Time{}, nil, fmt.Errorf("the token's certificates: %v", err)
		}
	}
	if err := checkSignedAttrs(si, tstDER); err != nil {
		return time.Time{}, nil, err
	}
	var errs []error
	for _, tsa := range v.root.TimestampAuthorities {
		if err := checkTSASigner(tsa, si, embedded, genTime); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", tsa.URI, err))
			continue
		}
		return genTime, tsa, nil
	}
	if len(errs) == 0 {
		return time.Time{}, nil, errors.New("the trusted root holds no timestamp authority")
	}
	return time.Time{}, nil, fmt.Errorf("not signed by a timestamp authority of the trusted root: %w", errors.Join(errs...))
}

// parseTSTInfo returns the time and message imprint of a TSTInfo.
func parseTSTInfo(der []byte) (time.Time, asn1.ObjectIdentifier, []byte, error) {
	var seq asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 || seq.Tag != asn1.TagSequence {
		return time.Time{}, nil, nil, errors.New("the TSTInfo is not a SEQUENCE")
	}
	var version int
	var policy asn1.ObjectIdentifier
	var imprint struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		HashedMessage []byte
	}
	var serial *big.Int
	var genTime time.Time
	rest := seq.Bytes
	var err error
	for _, f := range []struct {
		v      any
		params string
	}{{&version, ""}, {&policy, ""}, {&imprint, ""}, {&serial, ""}, {&genTime, "generalized"}} {
		if rest, err = asn1.UnmarshalWithParams(rest, f.v, f.params); err != nil {
			return time.Time{}, nil, nil, fmt.Errorf("the TSTInfo: %v", err)
		}
	}
	if version != 1 {
		return time.Time{}, nil, nil, fmt.Errorf("TSTInfo version %d, want 1", version)
	}
	return genTime, imprint.HashAlgorithm.Algorithm, imprint.HashedMessage, nil
}

// checkSignedAttrs checks that the signed attributes name the TSTInfo as
// content and hold its digest.
func checkSignedAttrs(si signerInfo, tstDER []byte) error {
	if len(si.SignedAttrs.Bytes) == 0 {
		return errors.New("the signer has no signed attributes")
	}
	h, ok := hashByOID(si.DigestAlgorithm.Algorithm)
	if !ok {
		return fmt.Errorf("signer digest algorithm %s is not SHA-256, SHA-384 or SHA-512", si.DigestAlgorithm.Algorithm)
	}
	var contentType, md bool
	for rest := si.SignedAttrs.Bytes; len(rest) > 0; {
		var a attribute
		var err error
		if rest, err = asn1.Unmarshal(rest, &a); err != nil {
			return fmt.Errorf("signed attributes: %v", err)
		}
		switch {
		case a.Type.Equal(oidContentType):
			var oid asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(a.Values.Bytes, &oid); err != nil || !oid.Equal(oidTSTInfo) {
				return errors.New("the signed content type is not TSTInfo")
			}
			contentType = true
		case a.Type.Equal(oidMessageDigest):
			var d []byte
			if _, err := asn1.Unmarshal(a.Values.Bytes, &d); err != nil || !bytes.Equal(d, digest(h, tstDER)) {
				return errors.New("the signed message digest is not the TSTInfo's: the time was changed after signing")
			}
			md = true
		}
	}
	if !contentType || !md {
		return errors.New("the signed attributes lack the content type or the message digest")
	}
	return nil
}

// checkTSASigner checks that the token's signer is the authority's signing
// certificate (or, for an authority given by its root alone, a certificate
// of the token chaining to it), that it chains to the authority's root at
// the token's time inside the authority's validity, and that it signed the
// signed attributes.
func checkTSASigner(tsa *sigstore.CertificateAuthority, si signerInfo, embedded []*x509.Certificate, at time.Time) error {
	if !tsa.Validity.Contains(at) {
		return fmt.Errorf("stamped at %s, outside the authority's validity %s", at.UTC().Format(time.RFC3339), tsa.Validity)
	}
	// As sigstore-go reads a chain: a first certificate that is no CA is
	// the authority's signing certificate, the last is the root.
	candidates, middle := embedded, tsa.Chain[:len(tsa.Chain)-1]
	if len(tsa.Chain) > 1 && !tsa.Chain[0].IsCA {
		candidates, middle = tsa.Chain[:1], tsa.Chain[1:len(tsa.Chain)-1]
	}
	var signer *x509.Certificate
	for _, c := range candidates {
		if signedBy(si.SID, c) {
			signer = c
			break
		}
	}
	if signer == nil {
		return errors.New("the token's signer is not the authority's certificate")
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(tsa.Root())
	for _, c := range middle {
		inter.AddCert(c)
	}
	if _, err := signer.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		return err
	}
	attrs := append([]byte(nil), si.SignedAttrs.FullBytes...)
	attrs[0] = 0x31 // signed as a SET OF, not as the [0] of SignerInfo (RFC 5652 5.4)
	h, _ := hashByOID(si.DigestAlgorithm.Algorithm)
	if !verifyWith(signer.PublicKey, h, attrs, si.Signature) {
		return errors.New("the token's signature does not verify with the authority's key")
	}
	return nil
}

// signedBy reports whether a SignerIdentifier names the certificate.
func signedBy(sid asn1.RawValue, c *x509.Certificate) bool {
	if sid.Class == asn1.ClassContextSpecific && sid.Tag == 0 {
		return len(c.SubjectKeyId) > 0 && bytes.Equal(sid.Bytes, c.SubjectKeyId)
	}
	var ias issuerAndSerial
	if _, err := asn1.Unmarshal(sid.FullBytes, &ias); err != nil {
		return false
	}
	return bytes.Equal(ias.Issuer.FullBytes, c.RawIssuer) && ias.Serial.Cmp(c.SerialNumber) == 0
}

func hashByOID(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256, true
	case oid.Equal(oidSHA384):
		return crypto.SHA384, true
	case oid.Equal(oidSHA512):
		return crypto.SHA512, true
	}
	return 0, false
}
