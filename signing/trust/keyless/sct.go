package keyless

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cavra/cavra/signing/trust/sigstore"
)

// sct is one signed certificate timestamp (RFC 6962 3.2), v1.
type sct struct {
	logID      []byte
	timestamp  uint64 // milliseconds since the epoch
	extensions []byte
	hashAlg    byte // 4: SHA-256, 5: SHA-384
	sigAlg     byte // 1: RSA, 3: ECDSA
	signature  []byte
}

// checkSCT checks that an SCT embedded in the certificate verifies with
// the key of a CT log of the trusted root, valid at the SCT's time, over
// the precertificate entry: the certificate's TBS without the SCT list,
// and the hash of the issuer's key.
func (v *Verifier) checkSCT(leaf, issuer *x509.Certificate) error {
	var list []byte
	for _, e := range leaf.Extensions {
		if e.Id.Equal(oidSCTList) {
			list = e.Value
		}
	}
	if list == nil {
		return &Error{Check: CheckSCT, Err: errNoSCT}
	}
	scts, err := parseSCTList(list)
	if err != nil {
		return fail(CheckSCT, "%v", err)
	}
	tbs, err := precertTBS(leaf.RawTBSCertificate)
	if err != nil {
		return fail(CheckSCT, "rebuilding the precertificate: %v", err)
	}
	issuerKeyHash := sha256.Sum256(issuer.RawSubjectPublicKeyInfo)
	var why []string
	for _, s := range scts {
		log := v.ctlog(s.logID)
		if log == nil {
			why = append(why, fmt.Sprintf("log %x is not a CT log of the trusted root", s.logID))
			continue
		}
		at := time.UnixMilli(int64(s.timestamp))
		if !log.Validity.Contains(at) {
			why = append(why, fmt.Sprintf("%s: SCT of %s, outside the log key's validity %s", log.BaseURL, at.UTC().Format(time.RFC3339), log.Validity))
			continue
		}
		h := crypto.SHA256
		if s.hashAlg == 5 {
			h = crypto.SHA384
		} else if s.hashAlg != 4 {
			why = append(why, fmt.Sprintf("%s: hash algorithm %d", log.BaseURL, s.hashAlg))
			continue
		}
		if verifyWith(log.PublicKey, h, s.signedInput(issuerKeyHash[:], tbs), s.signature) {
			return nil
		}
		why = append(why, fmt.Sprintf("%s: the SCT's signature does not verify over the precertificate", log.BaseURL))
	}
	return fail(CheckSCT, "no embedded SCT verifies with a CT log of the trusted root: %s", strings.Join(why, "; "))
}

func (v *Verifier) ctlog(id []byte) *sigstore.TransparencyLog {
	for _, l := range v.root.CTLogs {
		if bytes.Equal(l.ID, id) {
			return l
		}
	}
	return nil
}

// parseSCTList reads the SCT list extension: an OCTET STRING holding a
// TLS-encoded list of SCTs, each with a two-byte length.
func parseSCTList(ext []byte) ([]sct, error) {
	var octets []byte
	if rest, err := asn1.Unmarshal(ext, &octets); err != nil || len(rest) > 0 {
		return nil, errors.New("the SCT list extension is not an OCTET STRING")
	}
	list, rest, ok := cutU16(octets)
	if !ok || len(rest) > 0 {
		return nil, errors.New("the SCT list has a wrong length")
	}
	var out []sct
	for len(list) > 0 {
		var one []byte
		if one, list, ok = cutU16(list); !ok {
			return nil, errors.New("an SCT of the list has a wrong length")
		}
		s, err := parseSCT(one)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("the SCT list is empty")
	}
	return out, nil
}

func parseSCT(b []byte) (sct, error) {
	var s sct
	if len(b) < 1+32+8 || b[0] != 0 {
		return s, errors.New("an SCT is not version 1")
	}
	s.logID, b = b[1:33], b[33:]
	s.timestamp, b = binary.BigEndian.Uint64(b), b[8:]
	var ok bool
	if s.extensions, b, ok = cutU16(b); !ok || len(b) < 2 {
		return s, errors.New("an SCT is cut short")
	}
	s.hashAlg, s.sigAlg, b = b[0], b[1], b[2:]
	if s.signature, b, ok = cutU16(b); !ok || len(b) > 0 {
		return s, errors.New("an SCT's signature has a wrong length")
	}
	return s, nil
}

// cutU16 returns the bytes a two-byte big-endian length announces, and the
// rest.
func cutU16(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return nil, nil, false
	}
	return b[2 : 2+n], b[2+n:], true
}

// signedInput is what the CT log signed for a precertificate entry.
func (s sct) signedInput(issuerKeyHash, tbs []byte) []byte {
	var b bytes.Buffer
	b.WriteByte(0) // sct_version v1
	b.WriteByte(0) // signature_type certificate_timestamp
	binary.Write(&b, binary.BigEndian, s.timestamp)
	b.Write([]byte{0, 1}) // entry_type precert_entry
	b.Write(issuerKeyHash)
	b.Write([]byte{byte(len(tbs) >> 16), byte(len(tbs) >> 8), byte(len(tbs))})
	b.Write(tbs)
	binary.Write(&b, binary.BigEndian, uint16(len(s.extensions)))
	b.Write(s.extensions)
	return b.Bytes()
}

// precertTBS rebuilds the precertificate's TBSCertificate from the
// certificate's: the same DER with the SCT list extension removed.
func precertTBS(raw []byte) ([]byte, error) {
	var tbs asn1.RawValue
	if rest, err := asn1.Unmarshal(raw, &tbs); err != nil || len(rest) > 0 {
		return nil, errors.New("TBSCertificate is not one SEQUENCE")
	}
	var fields []byte
	removed := false
	for rest := tbs.Bytes; len(rest) > 0; {
		var f asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &f); err != nil {
			return nil, err
		}
		if f.Class == asn1.ClassContextSpecific && f.Tag == 3 {
			var exts []asn1.RawValue
			if r, err := asn1.Unmarshal(f.Bytes, &exts); err != nil || len(r) > 0 {
				return nil, errors.New("extensions are not a SEQUENCE")
			}
			var kept []byte
			for _, e := range exts {
				var ext pkix.Extension
				if _, err := asn1.Unmarshal(e.FullBytes, &ext); err != nil {
					return nil, err
				}
				if ext.Id.Equal(oidSCTList) {
					removed = true
					continue
				}
				kept = append(kept, e.FullBytes...)
			}
			seq, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: kept})
			if err != nil {
				return nil, err
			}
			if f.FullBytes, err = asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 3, IsCompound: true, Bytes: seq}); err != nil {
				return nil, err
			}
		}
		fields = append(fields, f.FullBytes...)
	}
	if !removed {
		return nil, errors.New("no SCT list among the extensions")
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: fields})
}
