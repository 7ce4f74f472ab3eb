package keyless

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// checkTlog checks the bundle's log entries: every entry of a log the
// trusted root holds must pass the tlog checks, and there must be one. It
// returns the first such entry, its log, and whether its signed entry
// timestamp verified (which makes its integration time a signing time).
func (v *Verifier) checkTlog(b *sigstore.Bundle, match func(*entryBody) error) (*sigstore.TlogEntry, *sigstore.TransparencyLog, bool, error) {
	var first *sigstore.TlogEntry
	var firstLog *sigstore.TransparencyLog
	firstSET := false
	skipped := 0
	for i := range b.VerificationMaterial.TlogEntries {
		e := &b.VerificationMaterial.TlogEntries[i]
		log := v.tlog(e.LogID.KeyID)
		if log == nil {
			skipped++
			continue
		}
		set, err := checkEntry(e, log, match)
		if err != nil {
			return nil, nil, false, err
		}
		if first == nil {
			first, firstLog, firstSET = e, log, set
		}
	}
	if first == nil {
		if skipped > 0 {
			return nil, nil, false, fail(CheckTlogBody, "none of the %d log entries is from a transparency log of the trusted root", skipped)
		}
		return nil, nil, false, fail(CheckTlogBody, "no transparency-log entry: nothing shows the signature was published")
	}
	return first, firstLog, firstSET, nil
}

// tlog returns the log of the trusted root with this id, or nil.
func (v *Verifier) tlog(id []byte) *sigstore.TransparencyLog {
	for _, l := range v.root.Tlogs {
		if bytes.Equal(l.ID, id) {
			return l
		}
	}
	return nil
}

// checkEntry runs the tlog checks on one entry of a trusted log, and
// reports whether it carried a signed entry timestamp that verified.
func checkEntry(e *sigstore.TlogEntry, log *sigstore.TransparencyLog, match func(*entryBody) error) (bool, error) {
	at := fmt.Sprintf("entry %d of %s", e.LogIndex, log.BaseURL)
	body, err := parseBody(e)
	if err != nil {
		return false, fail(CheckTlogBody, "%s: %v", at, err)
	}
	if err := match(body); err != nil {
		return false, fail(CheckTlogBody, "%s: %v", at, err)
	}
	if e.IntegratedTime > 0 && !log.Validity.Contains(time.Unix(int64(e.IntegratedTime), 0)) {
		return false, fail(CheckTlogBody, "%s: integrated at %s, outside the log key's validity %s", at, time.Unix(int64(e.IntegratedTime), 0).UTC().Format(time.RFC3339), log.Validity)
	}
	p := e.InclusionProof
	if p == nil {
		return false, fail(CheckTlogInclusion, "%s: no inclusion proof, so nothing shows the entry is in the log's tree", at)
	}
	if err := checkInclusion(e.CanonicalizedBody, p); err != nil {
		return false, fail(CheckTlogInclusion, "%s: %v", at, err)
	}
	if err := checkCheckpoint(p, log); err != nil {
		return false, fail(CheckTlogCheckpoint, "%s: %v", at, err)
	}
	if e.InclusionPromise == nil || len(e.InclusionPromise.SignedEntryTimestamp) == 0 {
		return false, nil
	}
	if err := checkSET(e, log); err != nil {
		return false, fail(CheckTlogSET, "%s: %v", at, err)
	}
	return true, nil
}

// entryBody is what a Rekor v1 entry records: the artifact's digest or
// the envelope's payload hash, the signature and the certificate.
type entryBody struct {
	kind, version string
	digestAlg     string // hashedrekord: the artifact's digest
	digest        []byte
	payloadHash   []byte // dsse, intoto: SHA-256 of the envelope's payload
	signature     []byte
	certificate   []byte // DER
}

type hashJSON struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

// parseBody reads a canonicalized Rekor v1 body of the kinds this
// verifier knows, and checks it is the kind the entry says.
func parseBody(e *sigstore.TlogEntry) (*entryBody, error) {
	data := []byte(e.CanonicalizedBody)
	if err := strictjson.CheckDuplicates(data); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	var head struct {
		APIVersion string          `json:"apiVersion"`
		Kind       string          `json:"kind"`
		Spec       json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	if head.Kind != e.KindVersion.Kind || head.APIVersion != e.KindVersion.Version {
		return nil, fmt.Errorf("body is %s %s, the entry says %s %s", head.Kind, head.APIVersion, e.KindVersion.Kind, e.KindVersion.Version)
	}
	b := &entryBody{kind: head.Kind, version: head.APIVersion}
	var err error
	switch head.Kind + " " + head.APIVersion {
	case "hashedrekord 0.0.1":
		var s struct {
			Data struct {
				Hash hashJSON `json:"hash"`
			} `json:"data"`
			Signature struct {
				Content   []byte `json:"content"`
				PublicKey struct {
					Content []byte `json:"content"`
				} `json:"publicKey"`
			} `json:"signature"`
		}
		if err = json.Unmarshal(head.Spec, &s); err != nil {
			break
		}
		b.digestAlg = s.Data.Hash.Algorithm
		if b.digest, err = hex.DecodeString(s.Data.Hash.Value); err != nil {
			break
		}
		b.signature = s.Signature.Content
		b.certificate, err = pemCertificate(s.Signature.PublicKey.Content)
	case "dsse 0.0.1":
		var s struct {
			PayloadHash hashJSON `json:"payloadHash"`
			Signatures  []struct {
				Signature []byte `json:"signature"`
				Verifier  []byte `json:"verifier"`
			} `json:"signatures"`
		}
		if err = json.Unmarshal(head.Spec, &s); err != nil {
			break
		}
		if len(s.Signatures) != 1 {
			err = fmt.Errorf("%d signatures recorded, want 1", len(s.Signatures))
			break
		}
		if b.payloadHash, err = sha256Hex(s.PayloadHash); err != nil {
			break
		}
		b.signature = s.Signatures[0].Signature
		b.certificate, err = pemCertificate(s.Signatures[0].Verifier)
	case "intoto 0.0.2":
		var s struct {
			Content struct {
				Envelope struct {
					Signatures []struct {
						Sig       []byte `json:"sig"` // base64 of the base64 signature
						PublicKey []byte `json:"publicKey"`
					} `json:"signatures"`
				} `json:"envelope"`
				PayloadHash hashJSON `json:"payloadHash"`
			} `json:"content"`
		}
		if err = json.Unmarshal(head.Spec, &s); err != nil {
			break
		}
		sigs := s.Content.Envelope.Signatures
		if len(sigs) != 1 {
			err = fmt.Errorf("%d signatures recorded, want 1", len(sigs))
			break
		}
		if b.payloadHash, err = sha256Hex(s.Content.PayloadHash); err != nil {
			break
		}
		if b.signature, err = base64.StdEncoding.DecodeString(string(sigs[0].Sig)); err != nil {
			break
		}
		b.certificate, err = pemCertificate(sigs[0].PublicKey)
	case "hashedrekord 0.0.2", "dsse 0.0.2":
		return nil, fmt.Errorf("a Rekor v2 entry (%s %s), which this verifier does not read", head.Kind, head.APIVersion)
	default:
		return nil, fmt.Errorf("entry kind %s %s is not hashedrekord 0.0.1, dsse 0.0.1 or intoto 0.0.2", head.Kind, head.APIVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s body: %w", head.Kind, head.APIVersion, err)
	}
	return b, nil
}

func sha256Hex(h hashJSON) ([]byte, error) {
	if h.Algorithm != "sha256" {
		return nil, fmt.Errorf("payload hash algorithm %q, want sha256", h.Algorithm)
	}
	return hex.DecodeString(h.Value)
}

// pemCertificate returns the DER of the one certificate of a PEM block.
func pemCertificate(p []byte) ([]byte, error) {
	block, _ := pem.Decode(p)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("the recorded key is not a PEM certificate")
	}
	return block.Bytes, nil
}

// matchMessage checks that a hashedrekord entry records the bundle's
// digest, signature and certificate.
func (body *entryBody) matchMessage(b *sigstore.Bundle, leaf *x509.Certificate) error {
	if body.kind != "hashedrekord" {
		return fmt.Errorf("a %s entry for a message signature; want hashedrekord", body.kind)
	}
	ms := b.MessageSignature
	if want := map[string]string{"SHA2_256": "sha256", "SHA2_384": "sha384", "SHA2_512": "sha512"}[ms.MessageDigest.Algorithm]; body.digestAlg != want {
		return fmt.Errorf("records a %s digest, the bundle a %s one", body.digestAlg, ms.MessageDigest.Algorithm)
	}
	if !bytes.Equal(body.digest, ms.MessageDigest.Digest) {
		return fmt.Errorf("records the digest %x, this artifact's is %x: the entry is for another file", body.digest, []byte(ms.MessageDigest.Digest))
	}
	return body.matchSigner(ms.Signature, leaf)
}

// matchEnvelope checks that a dsse or intoto entry records the envelope's
// payload hash, signature and certificate.
func (body *entryBody) matchEnvelope(b *sigstore.Bundle, leaf *x509.Certificate) error {
	if body.kind != "dsse" && body.kind != "intoto" {
		return fmt.Errorf("a %s entry for a DSSE envelope; want dsse or intoto", body.kind)
	}
	h := sha256.Sum256(b.DSSEEnvelope.Payload)
	if !bytes.Equal(body.payloadHash, h[:]) {
		return fmt.Errorf("records the payload hash %x, this envelope's is %x: the entry is for another statement", body.payloadHash, h)
	}
	return body.matchSigner(b.DSSEEnvelope.Signatures[0].Sig, leaf)
}

func (body *entryBody) matchSigner(sig []byte, leaf *x509.Certificate) error {
	if !bytes.Equal(body.signature, sig) {
		return errors.New("records another signature than the bundle's")
	}
	if !bytes.Equal(body.certificate, leaf.Raw) {
		return errors.New("records another certificate than the bundle's")
	}
	return nil
}

// Merkle tree hashing (RFC 6962 2.1, RFC 9162 2.1.1).
func leafHash(entry []byte) []byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(entry)
	return h.Sum(nil)
}

func nodeHash(left, right []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}

// checkInclusion verifies the inclusion proof of a body: the audit path
// from its leaf hash at the proof's index leads to the proof's root hash
// in a tree of the proof's size (RFC 9162 2.1.3.2).
func checkInclusion(body []byte, p *sigstore.InclusionProof) error {
	index, size := int64(p.LogIndex), int64(p.TreeSize)
	if index < 0 || size <= 0 || index >= size {
		return fmt.Errorf("index %d is not inside a tree of size %d", index, size)
	}
	if len(p.RootHash) != sha256.Size {
		return fmt.Errorf("root hash of %d bytes, want %d", len(p.RootHash), sha256.Size)
	}
	fn, sn := uint64(index), uint64(size-1)
	r := leafHash(body)
	for i, h := range p.Hashes {
		if len(h) != sha256.Size {
			return fmt.Errorf("proof hash %d has %d bytes, want %d", i, len(h), sha256.Size)
		}
		if sn == 0 {
			return fmt.Errorf("proof of %d hashes is too long for index %d in a tree of size %d", len(p.Hashes), index, size)
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(h, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, h)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("proof of %d hashes is too short for index %d in a tree of size %d", len(p.Hashes), index, size)
	}
	if !bytes.Equal(r, p.RootHash) {
		return fmt.Errorf("the proof leads to root %x, not to the proof's root hash %x", r, []byte(p.RootHash))
	}
	return nil
}

// checkCheckpoint checks that the proof's checkpoint is signed by the
// log's key and commits to the proof's tree size and root hash.
func checkCheckpoint(p *sigstore.InclusionProof, log *sigstore.TransparencyLog) error {
	n, err := parseNote(p.Checkpoint.Envelope)
	if err != nil {
		return err
	}
	if err := n.verify(log); err != nil {
		return err
	}
	cp, err := parseCheckpoint(n.text)
	if err != nil {
		return err
	}
	if cp.size != int64(p.TreeSize) {
		return fmt.Errorf("the checkpoint (%s) is of a tree of size %d, the proof of size %d", cp.origin, cp.size, p.TreeSize)
	}
	if !bytes.Equal(cp.root, p.RootHash) {
		return fmt.Errorf("the checkpoint's root hash %x is not the proof's %x", cp.root, []byte(p.RootHash))
	}
	return nil
}

// checkSET verifies a Rekor v1 signed entry timestamp: the log's signature
// over the canonical JSON (RFC 8785) of the entry's body, integration
// time, log id and index, at an integration time inside the key's
// validity.
func checkSET(e *sigstore.TlogEntry, log *sigstore.TransparencyLog) error {
	if !log.Validity.Contains(time.Unix(int64(e.IntegratedTime), 0)) {
		return fmt.Errorf("integrated at %d, outside the log key's validity %s", e.IntegratedTime, log.Validity)
	}
	// The keys in sorted order; base64 and hex need no escaping.
	payload := `{"body":"` + base64.StdEncoding.EncodeToString(e.CanonicalizedBody) +
		`","integratedTime":` + strconv.FormatInt(int64(e.IntegratedTime), 10) +
		`,"logID":"` + hex.EncodeToString(e.LogID.KeyID) +
		`","logIndex":` + strconv.FormatInt(int64(e.LogIndex), 10) + `}`
	if !verifyWith(log.PublicKey, crypto.SHA256, []byte(payload), e.InclusionPromise.SignedEntryTimestamp) {
		return errors.New("the signed entry timestamp does not verify with the log's key (over body, integratedTime, logID and logIndex)")
	}
	return nil
}
