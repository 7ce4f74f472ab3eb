package keyless

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cavra/cavra/signing/trust/sigstore"
)

// note is a signed note (C2SP signed-note): text, a blank line, and
// signature lines "— <name> <base64(key hint || signature)>".
type note struct {
	text string // up to and including its last newline
	sigs []noteSig
}

type noteSig struct {
	name string
	hint uint32
	sig  []byte
}

// maxNote bounds a checkpoint; real ones are a few hundred bytes.
const maxNote = 64 << 10

// parseNote splits a signed note into its text and signature lines.
func parseNote(s string) (*note, error) {
	if len(s) > maxNote {
		return nil, fmt.Errorf("checkpoint of %d bytes, more than %d", len(s), maxNote)
	}
	if !utf8.ValidString(s) {
		return nil, errors.New("checkpoint is not UTF-8")
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' || r == 0x7f {
			return nil, fmt.Errorf("checkpoint holds the control character %U", r)
		}
	}
	i := strings.LastIndex(s, "\n\n")
	if i < 0 {
		return nil, errors.New("checkpoint is not a signed note: no blank line before its signatures")
	}
	text, block := s[:i+1], s[i+2:]
	if !strings.HasSuffix(block, "\n") {
		return nil, errors.New("checkpoint's signature block does not end with a newline")
	}
	n := &note{text: text}
	for _, line := range strings.Split(strings.TrimSuffix(block, "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, "— ")
		if !ok {
			return nil, fmt.Errorf("checkpoint signature line %q does not start with an em dash and a space", line)
		}
		name, b64, ok := strings.Cut(rest, " ")
		if !ok || !validName(name) || strings.Contains(b64, " ") {
			return nil, fmt.Errorf("checkpoint signature line %q is not \"— <name> <signature>\"", line)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) < 5 {
			return nil, fmt.Errorf("checkpoint signature of %s is not base64 of a key hint and a signature", name)
		}
		n.sigs = append(n.sigs, noteSig{name: name, hint: binary.BigEndian.Uint32(raw), sig: raw[4:]})
	}
	if len(n.sigs) == 0 {
		return nil, errors.New("checkpoint has no signature")
	}
	return n, nil
}

func validName(name string) bool {
	return name != "" && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// keyHint returns the key hint a signature line by the log's key carries
// under name: for ECDSA and RSA keys, as Rekor signs its checkpoints, the
// first four bytes of the SHA-256 of the key's DER; for Ed25519 keys, as
// the note format defines them, of SHA-256(name, newline, 0x01, key).
func keyHint(log *sigstore.TransparencyLog, name string) uint32 {
	if k, ok := log.PublicKey.(ed25519.PublicKey); ok {
		h := sha256.New()
		h.Write([]byte(name + "\n"))
		h.Write([]byte{1})
		h.Write(k)
		return binary.BigEndian.Uint32(h.Sum(nil))
	}
	der := log.KeyDER
	if der == nil {
		der, _ = x509.MarshalPKIXPublicKey(log.PublicKey)
	}
	s := sha256.Sum256(der)
	return binary.BigEndian.Uint32(s[:])
}

// verify checks that a signature line by the log's key verifies over the
// note's text. Lines by other keys (witnesses' cosignatures) are ignored,
// as the note format says; none by the log's key is an error.
func (n *note) verify(log *sigstore.TransparencyLog) error {
	found := false
	for _, s := range n.sigs {
		if s.hint != keyHint(log, s.name) {
			continue
		}
		found = true
		h := crypto.SHA256
		if k, ok := log.PublicKey.(*ecdsa.PublicKey); ok {
			h = curveHash(k.Curve)
		}
		if verifyWith(log.PublicKey, h, []byte(n.text), s.sig) {
			return nil
		}
	}
	if !found {
		return fmt.Errorf("the checkpoint has no signature by the log's key (key hint %08x); it names %s", keyHint(log, n.sigs[0].name), n.names())
	}
	return errors.New("the checkpoint's signature by the log's key does not verify")
}

func (n *note) names() string {
	var out []string
	for _, s := range n.sigs {
		out = append(out, fmt.Sprintf("%s %08x", s.name, s.hint))
	}
	return strings.Join(out, ", ")
}

// checkpoint is the body of a tlog-checkpoint note.
type checkpoint struct {
	origin string
	size   int64
	root   []byte
}

// parseCheckpoint reads a checkpoint's text: origin, tree size (decimal),
// root hash (base64), then extension lines.
func parseCheckpoint(text string) (*checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return nil, errors.New("checkpoint text has fewer than three lines (origin, size, root hash)")
	}
	cp := &checkpoint{origin: lines[0]}
	if cp.origin == "" {
		return nil, errors.New("checkpoint has no origin")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return nil, fmt.Errorf("checkpoint size %q is not a decimal number", lines[1])
	}
	cp.size = size
	if cp.root, err = base64.StdEncoding.DecodeString(lines[2]); err != nil || len(cp.root) != sha256.Size {
		return nil, fmt.Errorf("checkpoint root hash %q is not base64 of %d bytes", lines[2], sha256.Size)
	}
	for _, l := range lines[3:] {
		if l == "" {
			return nil, errors.New("checkpoint has an empty extension line")
		}
	}
	return cp, nil
}
