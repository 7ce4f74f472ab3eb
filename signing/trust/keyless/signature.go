package keyless

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
	"encoding/json"
	"errors"
	"fmt"
	"hash"

	"github.com/cavra/cavra/internal/strictjson"
	"github.com/cavra/cavra/signing/trust"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// checkMessageSignature checks that the bundle's message digest is the
// artifact's and that the certificate's key signed it.
func checkMessageSignature(b *sigstore.Bundle, leaf *x509.Certificate, sum [32]byte, data []byte) error {
	ms := b.MessageSignature
	var want []byte
	switch ms.MessageDigest.Algorithm {
	case "SHA2_256":
		want = sum[:]
	case "SHA2_384", "SHA2_512":
		if data == nil {
			return fail(CheckSignature, "message digest is %s; verifying it needs the file's bytes", ms.MessageDigest.Algorithm)
		}
		want = digest(hashOf(ms.MessageDigest.Algorithm), data)
	default:
		return fail(CheckSignature, "message digest algorithm %q is not SHA2_256, SHA2_384 or SHA2_512", ms.MessageDigest.Algorithm)
	}
	if !bytes.Equal(ms.MessageDigest.Digest, want) {
		return fail(CheckSignature, "the bundle's message digest %x is not the artifact's %x: the bundle signs another file", []byte(ms.MessageDigest.Digest), want)
	}
	var err error
	switch pub := leaf.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, want, ms.Signature) {
			err = errors.New("the signature does not verify with the certificate's ECDSA key")
		}
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(pub, hashOf(ms.MessageDigest.Algorithm), want, ms.Signature) != nil &&
			rsa.VerifyPSS(pub, hashOf(ms.MessageDigest.Algorithm), want, ms.Signature, nil) != nil {
			err = errors.New("the signature does not verify with the certificate's RSA key")
		}
	case ed25519.PublicKey:
		switch {
		case data == nil:
			err = errors.New("an Ed25519 signature is over the file's bytes, which were not given")
		case !ed25519.Verify(pub, data, ms.Signature):
			err = errors.New("the signature does not verify with the certificate's Ed25519 key")
		}
	default:
		err = fmt.Errorf("the certificate's %T key is not supported", leaf.PublicKey)
	}
	if err != nil {
		return &Error{Check: CheckSignature, Err: err}
	}
	return nil
}

// checkEnvelopeSignature checks that the envelope has exactly one
// signature and that the certificate's key made it over the DSSE
// pre-authentication encoding.
func checkEnvelopeSignature(b *sigstore.Bundle, leaf *x509.Certificate) error {
	env := b.DSSEEnvelope
	if len(env.Signatures) != 1 {
		return fail(CheckSignature, "the DSSE envelope has %d signatures; a keyless envelope has exactly one", len(env.Signatures))
	}
	pae := trust.PAE(env.PayloadType, env.Payload)
	sig := env.Signatures[0].Sig
	ok := false
	switch pub := leaf.PublicKey.(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(pub, digest(curveHash(pub.Curve), pae), sig)
	case *rsa.PublicKey:
		d := digest(crypto.SHA256, pae)
		ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, d, sig) == nil || rsa.VerifyPSS(pub, crypto.SHA256, d, sig, nil) == nil
	case ed25519.PublicKey:
		ok = ed25519.Verify(pub, pae, sig)
	}
	if !ok {
		return fail(CheckSignature, "the DSSE signature does not verify with the certificate's key")
	}
	return nil
}

// verifyWith checks a signature over msg with a log's or authority's key:
// ECDSA over the digest h of msg, Ed25519 over msg, RSA PKCS #1 v1.5.
func verifyWith(pub any, h crypto.Hash, msg, sig []byte) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest(h, msg), sig)
	case ed25519.PublicKey:
		return ed25519.Verify(k, msg, sig)
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, h, digest(h, msg), sig) == nil
	}
	return false
}

func curveHash(c elliptic.Curve) crypto.Hash {
	switch c {
	case elliptic.P384():
		return crypto.SHA384
	case elliptic.P521():
		return crypto.SHA512
	}
	return crypto.SHA256
}

func hashOf(alg string) crypto.Hash {
	switch alg {
	case "SHA2_384":
		return crypto.SHA384
	case "SHA2_512":
		return crypto.SHA512
	}
	return crypto.SHA256
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

// statement is the part of an in-toto statement SubjectDigest reads.
type statement struct {
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

func parseStatement(payload []byte) (*statement, error) {
	if err := strictjson.CheckDuplicates(payload); err != nil {
		return nil, err // two readings of one statement: refuse it
	}
	var st statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, err
	}
	return &st, nil
}
