package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/cavra/cavra/internal/jsonio"
	"github.com/cavra/cavra/signing/trust"
	"github.com/cavra/cavra/signing/trust/keyless"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// BlobResult is the verification of one file with its Sigstore bundle.
type BlobResult struct {
	File   string          `json:"file"`
	SHA256 string          `json:"sha256"`
	Bundle string          `json:"bundle"`
	Trust  string          `json:"trust"` // the key, or keyless and the policy
	Status Status          `json:"status"`
	Error  string          `json:"error,omitempty"` // which check failed, and why
	Signer *keyless.Signer `json:"signer,omitempty"`
}

// maxBlobBytes bounds the file bytes Blob keeps for the signatures that
// need them (Ed25519); larger files are checked by digest alone.
const maxBlobBytes = 64 << 20

// Blob verifies a file with its bundle, as `cosign verify-blob --bundle`
// does: with key for a key-signed bundle, or with a keyless verifier (a
// trusted root and an identity policy) for a keyless one. A bundle holding
// a DSSE envelope (an attestation) must verify and name the file's SHA-256
// among its statement's subjects, as `cosign verify-blob-attestation`
// checks it. The error is non-nil only when the file cannot be read.
func Blob(path, bundleName string, bundle []byte, key *trust.Key, kl *keyless.Verifier) (*BlobResult, error) {
	sum, data, err := readBlob(path)
	if err != nil {
		return nil, err
	}
	r := &BlobResult{File: path, SHA256: hex.EncodeToString(sum[:]), Bundle: bundleName, Status: Fail}
	if key != nil {
		r.Trust = "key " + key.Fingerprint()
	} else {
		r.Trust = "keyless " + PolicyString(kl.Policy())
	}
	b, err := sigstore.ParseBundle(bundle)
	if err != nil {
		r.Error = keyless.CheckBundle + ": " + err.Error()
		return r, nil
	}
	var payload []byte
	dsse := b.DSSEEnvelope != nil
	switch {
	case key != nil && dsse:
		_, payload, err = key.VerifyDSSEBundle(bundle)
	case key != nil:
		err = key.VerifyBundle(data, sum, bundle)
	case dsse:
		_, payload, r.Signer, err = kl.VerifyDSSE(bundle)
	default:
		r.Signer, err = kl.VerifyMessage(bundle, sum, data)
	}
	if err == nil && dsse && !keyless.SubjectDigest(payload, sum) {
		err = fmt.Errorf("subject: the attestation's statement does not name the file's SHA-256 %x", sum)
	}
	if err != nil {
		r.Signer = nil
		r.Error = err.Error()
		return r, nil
	}
	r.Status = Pass
	return r, nil
}

// readBlob hashes a file while reading it, and keeps its bytes when it is
// small enough.
func readBlob(path string) ([32]byte, []byte, error) {
	var sum [32]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return sum, nil, err
	}
	if !st.Mode().IsRegular() {
		return sum, nil, fmt.Errorf("%s is not a regular file", path)
	}
	h := sha256.New()
	var data []byte
	if st.Size() <= maxBlobBytes {
		if data, err = io.ReadAll(io.TeeReader(io.LimitReader(f, maxBlobBytes+1), h)); err != nil {
			return sum, nil, err
		}
		if len(data) > maxBlobBytes {
			data = nil
			if _, err := io.Copy(h, f); err != nil {
				return sum, nil, err
			}
		}
	} else if _, err := io.Copy(h, f); err != nil {
		return sum, nil, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, data, nil
}

// OK reports whether the file verified.
func (r *BlobResult) OK() bool { return r.Status == Pass }

// WriteJSON writes the result as JSON.
func (r *BlobResult) WriteJSON(w io.Writer) error { return jsonio.Write(w, r) }

// WriteText writes the result for people, ending with cosign's "Verified
// OK" when it passed.
func (r *BlobResult) WriteText(w io.Writer) error {
	var err error
	if r.Status != Pass {
		_, err = fmt.Fprintf(w, "FAIL  %s (sha256 %s): %s: %s\n", r.File, r.SHA256, r.Bundle, r.Error)
		return err
	}
	by := r.Trust
	if r.Signer != nil {
		by = "keyless: " + signerString(r.Signer)
	}
	_, err = fmt.Fprintf(w, "PASS  %s (sha256 %s): %s: signed by %s\nVerified OK\n", r.File, r.SHA256, r.Bundle, by)
	return err
}
