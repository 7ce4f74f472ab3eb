package sigstore

import (
	"bytes"
	"errors"
	"fmt"
)

// Bundle media types, by version. Version 0.3 has two spellings: the one
// the specification names and the older one cosign v3 still writes.
const (
	BundleMediaType01       = "application/vnd.dev.sigstore.bundle+json;version=0.1"
	BundleMediaType02       = "application/vnd.dev.sigstore.bundle+json;version=0.2"
	BundleMediaType03       = "application/vnd.dev.sigstore.bundle.v0.3+json"
	BundleMediaType03Legacy = "application/vnd.dev.sigstore.bundle+json;version=0.3"
)

// MaxBundle bounds a bundle file.
const MaxBundle = 16 << 20

// Limits of a bundle, as sigstore-go sets them: more entries or
// timestamps than this is an attack on the verifier's time, not a
// signature.
const (
	MaxTlogEntries = 32
	MaxTimestamps  = 32
)

// Bundle is a Sigstore bundle (dev.sigstore.bundle.v1.Bundle).
type Bundle struct {
	MediaType            string                `json:"mediaType"`
	VerificationMaterial *VerificationMaterial `json:"verificationMaterial"`
	MessageSignature     *MessageSignature     `json:"messageSignature,omitempty"`
	DSSEEnvelope         *Envelope             `json:"dsseEnvelope,omitempty"`
}

// VerificationMaterial is what verifies a bundle's signature: one of a
// certificate (v0.3), a certificate chain (v0.1, v0.2) or a public-key
// hint, and the log entries and timestamps.
type VerificationMaterial struct {
	Certificate               *Certificate               `json:"certificate,omitempty"`
	X509CertificateChain      *CertificateChain          `json:"x509CertificateChain,omitempty"`
	PublicKey                 *PublicKeyIdentifier       `json:"publicKey,omitempty"`
	TlogEntries               []TlogEntry                `json:"tlogEntries,omitempty"`
	TimestampVerificationData *TimestampVerificationData `json:"timestampVerificationData,omitempty"`
}

// Certificate is one DER certificate.
type Certificate struct {
	RawBytes Bytes `json:"rawBytes"`
}

// CertificateChain is a list of DER certificates, leaf first.
type CertificateChain struct {
	Certificates []Certificate `json:"certificates"`
}

// PublicKeyIdentifier names the key of a key-signed bundle.
type PublicKeyIdentifier struct {
	Hint string `json:"hint"`
}

// TlogEntry is one transparency-log entry (dev.sigstore.rekor.v1.TransparencyLogEntry).
type TlogEntry struct {
	LogIndex          Int64             `json:"logIndex"`
	LogID             *LogID            `json:"logId"`
	KindVersion       *KindVersion      `json:"kindVersion"`
	IntegratedTime    Int64             `json:"integratedTime"`
	InclusionPromise  *InclusionPromise `json:"inclusionPromise,omitempty"`
	InclusionProof    *InclusionProof   `json:"inclusionProof,omitempty"`
	CanonicalizedBody Bytes             `json:"canonicalizedBody"`
}

// LogID identifies a log: for Rekor v1 the SHA-256 of its key's DER
// encoding.
type LogID struct {
	KeyID Bytes `json:"keyId"`
}

// KindVersion is the type of a log entry's body, e.g. hashedrekord 0.0.1.
type KindVersion struct {
	Kind    string `json:"kind"`
	Version string `json:"version"`
}

// InclusionPromise holds a Rekor v1 signed entry timestamp.
type InclusionPromise struct {
	SignedEntryTimestamp Bytes `json:"signedEntryTimestamp"`
}

// InclusionProof proves an entry is in a log's tree whose root a
// checkpoint signs.
type InclusionProof struct {
	LogIndex   Int64       `json:"logIndex"`
	RootHash   Bytes       `json:"rootHash"`
	TreeSize   Int64       `json:"treeSize"`
	Hashes     []Bytes     `json:"hashes"`
	Checkpoint *Checkpoint `json:"checkpoint"`
}

// Checkpoint is a signed note in the tlog-checkpoint format.
type Checkpoint struct {
	Envelope string `json:"envelope"`
}

// TimestampVerificationData holds RFC 3161 timestamps.
type TimestampVerificationData struct {
	RFC3161Timestamps []RFC3161Timestamp `json:"rfc3161Timestamps"`
}

// RFC3161Timestamp is one DER TimeStampResp.
type RFC3161Timestamp struct {
	SignedTimestamp Bytes `json:"signedTimestamp"`
}

// MessageSignature is a signature over an artifact's digest.
type MessageSignature struct {
	MessageDigest *HashOutput `json:"messageDigest"`
	Signature     Bytes       `json:"signature"`
}

// HashOutput is a digest and the algorithm, e.g. SHA2_256.
type HashOutput struct {
	Algorithm string `json:"algorithm"`
	Digest    Bytes  `json:"digest"`
}

// Envelope is a DSSE envelope as a bundle holds it: payload and signatures
// as bytes.
type Envelope struct {
	Payload     Bytes          `json:"payload"`
	PayloadType string         `json:"payloadType"`
	Signatures  []EnvelopeSign `json:"signatures"`
}

// EnvelopeSign is one signature of a DSSE envelope.
type EnvelopeSign struct {
	Sig   Bytes  `json:"sig"`
	KeyID string `json:"keyid,omitempty"`
}

// ParseBundle reads a bundle strictly and checks its shape: a known media
// type (0.1 to 0.3), exactly one of a message signature and a DSSE
// envelope, exactly one kind of verification material, the material its
// version allows (no certificate chain in 0.3), the limits on entries and
// timestamps, and that every entry names its log, kind and body. What the
// bundle says is not checked here.
func ParseBundle(data []byte) (*Bundle, error) {
	if len(data) > MaxBundle {
		return nil, fmt.Errorf("bundle of %d bytes, more than %d", len(data), MaxBundle)
	}
	var b Bundle
	if err := decode(bytes.TrimSuffix(data, []byte("\n")), &b, true); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if err := b.check(); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	return &b, nil
}

// Version returns the bundle's version, "0.1", "0.2" or "0.3", or "" for
// a media type this package does not know.
func (b *Bundle) Version() string {
	switch b.MediaType {
	case BundleMediaType01:
		return "0.1"
	case BundleMediaType02:
		return "0.2"
	case BundleMediaType03, BundleMediaType03Legacy:
		return "0.3"
	}
	return ""
}

func (b *Bundle) check() error {
	v := b.Version()
	if v == "" {
		return fmt.Errorf("media type %q, want %q (or versions 0.1, 0.2)", b.MediaType, BundleMediaType03)
	}
	if (b.MessageSignature == nil) == (b.DSSEEnvelope == nil) {
		return errors.New("want exactly one of messageSignature and dsseEnvelope")
	}
	vm := b.VerificationMaterial
	if vm == nil {
		return errors.New("no verificationMaterial")
	}
	n := 0
	for _, set := range []bool{vm.Certificate != nil, vm.X509CertificateChain != nil, vm.PublicKey != nil} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return errors.New("verificationMaterial: want exactly one of certificate, x509CertificateChain and publicKey")
	case vm.Certificate != nil && len(vm.Certificate.RawBytes) == 0:
		return errors.New("verificationMaterial: empty certificate")
	case vm.X509CertificateChain != nil && v == "0.3":
		return errors.New("verificationMaterial: a certificate chain in a v0.3 bundle (v0.3 holds the leaf certificate alone)")
	case vm.X509CertificateChain != nil && (len(vm.X509CertificateChain.Certificates) == 0 || len(vm.X509CertificateChain.Certificates[0].RawBytes) == 0):
		return errors.New("verificationMaterial: empty certificate chain")
	case len(vm.TlogEntries) > MaxTlogEntries:
		return fmt.Errorf("verificationMaterial: %d log entries, more than %d", len(vm.TlogEntries), MaxTlogEntries)
	case vm.TimestampVerificationData != nil && len(vm.TimestampVerificationData.RFC3161Timestamps) > MaxTimestamps:
		return fmt.Errorf("verificationMaterial: %d timestamps, more than %d", len(vm.TimestampVerificationData.RFC3161Timestamps), MaxTimestamps)
	}
	for i, e := range vm.TlogEntries {
		switch {
		case e.LogID == nil || len(e.LogID.KeyID) == 0:
			return fmt.Errorf("tlogEntries[%d]: no logId", i)
		case e.KindVersion == nil || e.KindVersion.Kind == "" || e.KindVersion.Version == "":
			return fmt.Errorf("tlogEntries[%d]: no kindVersion", i)
		case len(e.CanonicalizedBody) == 0:
			return fmt.Errorf("tlogEntries[%d]: no canonicalizedBody", i)
		case e.LogIndex < 0:
			return fmt.Errorf("tlogEntries[%d]: negative logIndex", i)
		case e.InclusionProof != nil && (e.InclusionProof.Checkpoint == nil || e.InclusionProof.Checkpoint.Envelope == ""):
			return fmt.Errorf("tlogEntries[%d]: inclusion proof without a checkpoint", i)
		}
	}
	if ms := b.MessageSignature; ms != nil && (ms.MessageDigest == nil || len(ms.Signature) == 0) {
		return errors.New("messageSignature: want messageDigest and signature")
	}
	if e := b.DSSEEnvelope; e != nil && (e.PayloadType == "" || len(e.Signatures) == 0) {
		return errors.New("dsseEnvelope: want payloadType and signatures")
	}
	return nil
}

// LeafCertificate returns the DER of the signing certificate: the
// certificate of a v0.3 bundle, or the first of a chain; nil for a
// key-signed bundle.
func (b *Bundle) LeafCertificate() []byte {
	vm := b.VerificationMaterial
	switch {
	case vm.Certificate != nil:
		return vm.Certificate.RawBytes
	case vm.X509CertificateChain != nil:
		return vm.X509CertificateChain.Certificates[0].RawBytes
	}
	return nil
}

// Timestamps returns the DER TimeStampResps of the bundle.
func (b *Bundle) Timestamps() [][]byte {
	tv := b.VerificationMaterial.TimestampVerificationData
	if tv == nil {
		return nil
	}
	out := make([][]byte, 0, len(tv.RFC3161Timestamps))
	for _, t := range tv.RFC3161Timestamps {
		out = append(out, t.SignedTimestamp)
	}
	return out
}

// Signature returns the signature bytes the log and the timestamps cover:
// the message signature, or the DSSE envelope's first signature.
func (b *Bundle) Signature() []byte {
	if b.MessageSignature != nil {
		return b.MessageSignature.Signature
	}
	return b.DSSEEnvelope.Signatures[0].Sig
}
