package trust_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cavra/cavra/signing/trust"
)

// signer is a private key generated at test time (never committed) with the
// signing scheme cosign sign-blob uses for it, written with the standard
// library independently of the code under test.
type signer struct {
	name      string
	algorithm string // what Key.Algorithm must report
	priv      crypto.Signer
	hash      crypto.Hash // 0 for pure Ed25519
}

// sign signs message as `cosign sign-blob` does before base64 encoding.
func (s *signer) sign(t *testing.T, message []byte) []byte {
	t.Helper()
	return s.signWith(t, s.hash, message)
}

// signWith signs message with hash h instead of the scheme's own.
func (s *signer) signWith(t *testing.T, h crypto.Hash, message []byte) []byte {
	t.Helper()
	var (
		sig []byte
		err error
	)
	switch p := s.priv.(type) {
	case *ecdsa.PrivateKey:
		sig, err = ecdsa.SignASN1(rand.Reader, p, sum(h, message))
	case ed25519.PrivateKey:
		sig = ed25519.Sign(p, message)
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, p, h, sum(h, message))
	default:
		t.Fatalf("unknown key type %T", p)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func sum(h crypto.Hash, message []byte) []byte {
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(message)
		return s[:]
	case crypto.SHA384:
		s := sha512.Sum384(message)
		return s[:]
	case crypto.SHA512:
		s := sha512.Sum512(message)
		return s[:]
	}
	panic("unknown hash")
}

// der returns the PKIX DER encoding of the signer's public key.
func (s *signer) der(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(s.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// pem returns the public key as cosign writes cosign.pub.
func (s *signer) pem(t *testing.T) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: s.der(t)})
}

// key parses the signer's public key with the code under test.
func (s *signer) key(t *testing.T) *trust.Key {
	t.Helper()
	k, err := trust.ParsePublicKey(s.pem(t))
	if err != nil {
		t.Fatalf("%s: ParsePublicKey: %v", s.name, err)
	}
	return k
}

func newSigner(name string) *signer {
	var (
		priv crypto.Signer
		err  error
		s    = &signer{name: name}
	)
	switch name {
	case "ecdsa-p256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		s.algorithm, s.hash = "ecdsa-p256-sha256", crypto.SHA256
	case "ecdsa-p384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		s.algorithm, s.hash = "ecdsa-p384-sha384", crypto.SHA384
	case "ecdsa-p521":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		s.algorithm, s.hash = "ecdsa-p521-sha512", crypto.SHA512
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
		s.algorithm = "ed25519"
	case "rsa-2048":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
		s.algorithm, s.hash = "rsa-pkcs1v15-sha256", crypto.SHA256
	default:
		panic("unknown signer " + name)
	}
	if err != nil {
		panic(err)
	}
	s.priv = priv
	return s
}

var signerNames = []string{"ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "ed25519", "rsa-2048"}

// signers returns two independent signers of every supported kind; RSA key
// generation is slow, so they are made once per test binary.
var signers = sync.OnceValue(func() map[string][2]*signer {
	m := map[string][2]*signer{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range signerNames {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pair := [2]*signer{newSigner(n), newSigner(n)}
			mu.Lock()
			m[n] = pair
			mu.Unlock()
		}()
	}
	wg.Wait()
	return m
})

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParsePublicKeyAccepts(t *testing.T) {
	for _, n := range signerNames {
		t.Run(n, func(t *testing.T) {
			s := signers()[n][0]
			k, err := trust.ParsePublicKey(s.pem(t))
			if err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if got, want := k.Algorithm(), s.algorithm; got != want {
				t.Errorf("Algorithm: got %v, want %v", got, want)
			}
			d := sha256.Sum256(s.der(t))
			if got, want := k.Fingerprint(), "sha256:"+hex.EncodeToString(d[:]); got != want {
				t.Errorf("Fingerprint: got %v, want %v", got, want)
			}
			if got, want := k.PEM(), s.pem(t); !bytes.Equal(got, want) {
				t.Errorf("PEM: got %q, want %q", got, want)
			}
			// Surrounding whitespace is not data.
			k2, err := trust.ParsePublicKey(append(append([]byte("\n"), s.pem(t)...), "\n\t \r\n"...))
			if err != nil {
				t.Fatalf("with trailing whitespace: got %v, want nil", err)
			}
			if !k.Equal(k2) || k.Fingerprint() != k2.Fingerprint() {
				t.Errorf("the same key parsed twice is not Equal")
			}
			other := signers()[n][1].key(t)
			if k.Equal(other) || k.Fingerprint() == other.Fingerprint() {
				t.Errorf("two different keys are Equal or share a fingerprint")
			}
			if k.Equal(nil) {
				t.Errorf("Equal(nil): got true, want false")
			}
		})
	}
}

func TestParsePublicKeyRefuses(t *testing.T) {
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256 := signers()["ecdsa-p256"][0]
	spki := func(pub crypto.PublicKey) []byte {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	// A private key in PEM; the block type is assembled at run time, so no
	// private key marker ever appears in the repository.
	pkcs8, err := x509.MarshalPKCS8PrivateKey(p256.priv)
	if err != nil {
		t.Fatal(err)
	}
	privType := strings.Join([]string{"PRIVATE", "KEY"}, " ")
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "cavra test"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(1<<31, 0),
	}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, p256.priv.Public(), p256.priv)
	if err != nil {
		t.Fatal(err)
	}
	good := p256.pem(t)

	tests := []struct {
		name string
		data []byte
		want string // a substring of the error
	}{
		{"rsa-1024", pemOf("PUBLIC KEY", spki(&rsa1024.PublicKey)), "1024 bits"},
		{"ecdsa-p224", pemOf("PUBLIC KEY", spki(&p224.PublicKey)), "P-224"},
		{"private key PEM", pemOf(privType, pkcs8), privType},
		{"private key labelled public", pemOf("PUBLIC KEY", pkcs8), "trust:"},
		{"certificate PEM", pemOf("CERTIFICATE", cert), "CERTIFICATE"},
		{"certificate labelled public", pemOf("PUBLIC KEY", cert), "trust:"},
		{"empty", nil, "no PEM block"},
		{"garbage", []byte("this is not a key\n"), "no PEM block"},
		{"bare DER", p256.der(t), "no PEM block"},
		{"garbage in the block", pemOf("PUBLIC KEY", []byte("garbage")), "trust:"},
		{"DER with trailing bytes", pemOf("PUBLIC KEY", append(p256.der(t), 0)), "trust:"},
		{"trailing text", append(bytes.Clone(good), "trailing"...), "data after"},
		{"two keys", append(bytes.Clone(good), signers()["ed25519"][0].pem(t)...), "data after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := trust.ParsePublicKey(tt.data)
			if err == nil {
				t.Fatalf("got key %v, want an error", k.Algorithm())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func b64(sig []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(sig)) }

func TestVerifyBlob(t *testing.T) {
	data := []byte("cavra-runtime release file\x00\xff\n")
	for _, n := range signerNames {
		t.Run(n, func(t *testing.T) {
			s, other := signers()[n][0], signers()[n][1]
			k := s.key(t)
			sig := s.sign(t, data)

			good := []struct {
				name    string
				sigFile []byte
			}{
				{"no newline", b64(sig)},
				{"newline", append(b64(sig), '\n')},
				{"CRLF", append(b64(sig), '\r', '\n')},
				// encoding/base64 skips CR and LF anywhere, as cosign's
				// own decoder does.
				{"wrapped", append(append(b64(sig)[:8:8], '\n'), b64(sig)[8:]...)},
			}
			for _, g := range good {
				if err := k.VerifyBlob(data, g.sigFile); err != nil {
					t.Errorf("%s: got %v, want nil", g.name, err)
				}
			}
			if err := k.Verify(data, sig); err != nil {
				t.Errorf("Verify raw signature: got %v, want nil", err)
			}

			flipped := bytes.Clone(sig)
			flipped[len(flipped)/2] ^= 0x01
			bad := []struct {
				name    string
				data    []byte
				sigFile []byte
			}{
				{"wrong signature", data, b64(flipped)},
				{"wrong key", data, b64(other.sign(t, data))},
				{"other data", append(bytes.Clone(data), '!'), b64(sig)},
				{"empty data", nil, b64(sig)},
				{"truncated signature", data, b64(sig[:len(sig)-1])},
			}
			if s.hash != 0 {
				// The digest must be the one of the key's scheme.
				for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
					if h != s.hash {
						bad = append(bad, struct {
							name    string
							data    []byte
							sigFile []byte
						}{"signed over " + h.String(), data, b64(s.signWith(t, h, data))})
					}
				}
			}
			for _, b := range bad {
				if err := k.VerifyBlob(b.data, b.sigFile); !errors.Is(err, trust.ErrBadSignature) {
					t.Errorf("%s: got %v, want ErrBadSignature", b.name, err)
				}
			}
			// A signature by every other kind of key fails too.
			for _, m := range signerNames {
				if m == n {
					continue
				}
				if err := k.VerifyBlob(data, b64(signers()[m][0].sign(t, data))); !errors.Is(err, trust.ErrBadSignature) {
					t.Errorf("signature by %s: got %v, want ErrBadSignature", m, err)
				}
			}
		})
	}
}

func TestVerifyBlobSignatureFile(t *testing.T) {
	s := signers()["ed25519"][0]
	k := s.key(t)
	data := []byte("data")
	sig := b64(s.sign(t, data))
	tests := []struct {
		name    string
		sigFile []byte
		want    string // substring of the error
	}{
		{"raw bytes", s.sign(t, data), "not base64"},
		{"not base64", []byte("!!!!"), "not base64"},
		{"URL-safe alphabet", []byte("-_-_"), "not base64"},
		{"missing padding", bytes.TrimRight(sig, "="), "not base64"},
		{"leading space", append([]byte(" "), sig...), "not base64"},
		{"empty", nil, "empty signature"},
		{"just a newline", []byte("\n"), "empty signature"},
		{"oversize", bytes.Repeat([]byte("A"), trust.MaxSignature+4), "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := k.VerifyBlob(data, tt.sigFile)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// At the limit the file is decoded and checked: a bad signature, not a
	// size error.
	err := k.VerifyBlob(data, bytes.Repeat([]byte("A"), trust.MaxSignature))
	if !errors.Is(err, trust.ErrBadSignature) {
		t.Errorf("signature file of MaxSignature bytes: got %v, want ErrBadSignature", err)
	}
}

func TestDecodeSignature(t *testing.T) {
	raw := []byte{0, 1, 2, 0xfb, 0xff}
	for _, in := range []string{"AAEC+/8=", "AAEC+/8=\n", "AAEC+/8=\r\n"} {
		got, err := trust.DecodeSignature([]byte(in))
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("DecodeSignature(%q): got %x, %v, want %x, nil", in, got, err, raw)
		}
	}
}

func TestPAE(t *testing.T) {
	// The test vector of the DSSE specification (protocol.md).
	got := string(trust.PAE("http://example.com/HelloWorld", []byte("hello world")))
	if want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	tests := []struct {
		typ     string
		payload string
		want    string
	}{
		{"", "", "DSSEv1 0  0 "},
		{"t", "", "DSSEv1 1 t 0 "},
		{"", "x", "DSSEv1 0  1 x"},
		{"a b", "c d e", "DSSEv1 3 a b 5 c d e"},
		{"é", "\x00", "DSSEv1 2 é 1 \x00"}, // lengths in bytes
		{"application/vnd.in-toto+json", strings.Repeat("z", 1234), "DSSEv1 28 application/vnd.in-toto+json 1234 " + strings.Repeat("z", 1234)},
	}
	for _, tt := range tests {
		if got := string(trust.PAE(tt.typ, []byte(tt.payload))); got != tt.want {
			t.Errorf("PAE(%q, %q): got %q, want %q", tt.typ, tt.payload, got, tt.want)
		}
	}
}

const payloadType = "application/vnd.in-toto+json"

// envelope returns a DSSE envelope as cosign writes it, holding the given
// signatures (raw bytes, base64-encoded here).
func envelope(t *testing.T, typ, payload string, sigs ...[]byte) []byte {
	t.Helper()
	env := trust.Envelope{PayloadType: typ, Payload: payload, Signatures: []trust.Signature{}}
	for _, s := range sigs {
		env.Signatures = append(env.Signatures, trust.Signature{Sig: base64.StdEncoding.EncodeToString(s)})
	}
	data, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestVerifyDSSE(t *testing.T) {
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
	enc := base64.StdEncoding.EncodeToString(payload)
	pae := trust.PAE(payloadType, payload)
	for _, n := range signerNames {
		t.Run(n, func(t *testing.T) {
			s, other := signers()[n][0], signers()[n][1]
			k := s.key(t)
			good := s.sign(t, pae)
			others := [][]byte{other.sign(t, pae), signers()[otherKind(n)][0].sign(t, pae), []byte("junk")}

			ok := []struct {
				name string
				env  []byte
			}{
				{"one signature", envelope(t, payloadType, enc, good)},
				{"trailing newline", append(envelope(t, payloadType, enc, good), '\n')},
				{"good among bad", envelope(t, payloadType, enc, append(others, good)...)},
				{"good first", envelope(t, payloadType, enc, append([][]byte{good}, others...)...)},
			}
			for _, c := range ok {
				typ, got, err := k.VerifyDSSE(c.env)
				if err != nil {
					t.Errorf("%s: got %v, want nil", c.name, err)
					continue
				}
				if typ != payloadType || !bytes.Equal(got, payload) {
					t.Errorf("%s: got %q %q, want %q %q", c.name, typ, got, payloadType, payload)
				}
			}

			bad := []struct {
				name string
				env  []byte
			}{
				{"only other keys", envelope(t, payloadType, enc, others...)},
				{"wrong payloadType in the PAE", envelope(t, payloadType, enc, s.sign(t, trust.PAE("application/json", payload)))},
				{"envelope type differs from the signed one", envelope(t, "application/json", enc, good)},
				{"signature over the bare payload", envelope(t, payloadType, enc, s.sign(t, payload))},
				{"other payload", envelope(t, payloadType, base64.StdEncoding.EncodeToString([]byte(`{}`)), good)},
			}
			for _, c := range bad {
				if _, _, err := k.VerifyDSSE(c.env); !errors.Is(err, trust.ErrBadSignature) {
					t.Errorf("%s: got %v, want ErrBadSignature", c.name, err)
				}
			}
		})
	}
}

// otherKind returns a signer kind different from n.
func otherKind(n string) string {
	if n == "ed25519" {
		return "ecdsa-p256"
	}
	return "ed25519"
}

func TestVerifyDSSEURLSafePayload(t *testing.T) {
	s := signers()["ed25519"][0]
	k := s.key(t)
	payload := []byte{0xfb, 0xff, 0xfe, 0xfb, 0xff}
	enc := base64.URLEncoding.EncodeToString(payload)
	if enc == base64.StdEncoding.EncodeToString(payload) {
		t.Fatal("test payload encodes the same in both alphabets")
	}
	_, got, err := k.VerifyDSSE(envelope(t, payloadType, enc, s.sign(t, trust.PAE(payloadType, payload))))
	if err != nil || !bytes.Equal(got, payload) {
		t.Errorf("got %x, %v, want %x, nil", got, err, payload)
	}
}

func TestVerifyDSSEMalformed(t *testing.T) {
	s := signers()["ed25519"][0]
	k := s.key(t)
	payload := []byte("statement")
	enc := base64.StdEncoding.EncodeToString(payload)
	sig := base64.StdEncoding.EncodeToString(s.sign(t, trust.PAE(payloadType, payload)))
	valid := `{"payloadType":"` + payloadType + `","payload":"` + enc + `","signatures":[{"keyid":"","sig":"` + sig + `"}]}`
	if _, _, err := k.VerifyDSSE([]byte(valid)); err != nil {
		t.Fatalf("the valid envelope: got %v, want nil", err)
	}
	// Every malformed envelope below carries the good signature: only the
	// defect can make it fail.
	tests := []struct {
		name string
		env  string
		want string // substring of the error
	}{
		{"duplicate payload", strings.Replace(valid, `"payload":`, `"payload":"e30=","payload":`, 1), "duplicate key"},
		{"duplicate payloadType", strings.Replace(valid, `{"payloadType"`, `{"payloadType":"x","payloadType"`, 1), "duplicate key"},
		{"duplicate in a signature", strings.Replace(valid, `{"keyid":""`, `{"keyid":"","keyid":""`, 1), "duplicate key"},
		{"duplicate signatures", strings.Replace(valid, `"signatures":`, `"signatures":[],"signatures":`, 1), "duplicate key"},
		{"unknown field", strings.Replace(valid, `{"payloadType"`, `{"extra":1,"payloadType"`, 1), "unknown field"},
		{"unknown field in a signature", strings.Replace(valid, `{"keyid":""`, `{"cert":"","keyid":""`, 1), "unknown field"},
		{"trailing data", valid + "x", "after the JSON value"},
		{"two envelopes", valid + "\n" + valid, "after the JSON value"},
		{"not JSON", "envelope", "envelope"},
		{"payload not base64", strings.Replace(valid, enc, "!!"+enc, 1), "not base64"},
		{"no signatures", strings.Replace(valid, `[{"keyid":"","sig":"`+sig+`"}]`, `[]`, 1), "no signatures"},
		{"null signatures", strings.Replace(valid, `[{"keyid":"","sig":"`+sig+`"}]`, `null`, 1), "no signatures"},
		{"missing signatures", strings.Replace(valid, `,"signatures":[{"keyid":"","sig":"`+sig+`"}]`, ``, 1), "no signatures"},
		{"signature not base64", strings.Replace(valid, sig, "!"+sig, 1), "does not verify"},
		{"oversize", "{" + strings.Repeat(" ", trust.MaxEnvelope+1-len(valid)) + valid[1:], "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env == valid {
				t.Fatal("the edit did not apply")
			}
			typ, got, err := k.VerifyDSSE([]byte(tt.env))
			if err == nil {
				t.Fatalf("got %q %q, want an error", typ, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// A signature that is not base64 is skipped, not fatal.
	skipped := strings.Replace(valid, `[{"keyid":""`, `[{"keyid":"","sig":"!!"},{"keyid":""`, 1)
	if _, _, err := k.VerifyDSSE([]byte(skipped)); err != nil {
		t.Errorf("good signature after one that is not base64: got %v, want nil", err)
	}
	// Padding to exactly MaxEnvelope is accepted: the size is the limit.
	pad := trust.MaxEnvelope - len(valid)
	atLimit := "{" + strings.Repeat(" ", pad) + valid[1:]
	if len(atLimit) != trust.MaxEnvelope {
		t.Fatalf("padded envelope of %d bytes", len(atLimit))
	}
	if _, _, err := k.VerifyDSSE([]byte(atLimit)); err != nil {
		t.Errorf("envelope of MaxEnvelope bytes: got %v, want nil", err)
	}
}
