package attestation

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/provenance"
	"github.com/cavra/cavra/signing/trust"
)

func statement() *Statement {
	return &Statement{
		Type:          StatementType,
		PredicateType: PredicateType,
		Subject:       []provenance.Subject{{Name: "bin/linux-amd64/cavra-runtime", Digest: map[string]string{"sha256": strings.Repeat("ab", 32)}}},
		Predicate: Predicate{
			Verifier:           Verifier{ID: "https://rebuilders.example.com/a"},
			TimeVerified:       "2025-01-02T03:04:05Z",
			ResourceURI:        ResourceURI("cavra-go-runtime", "v1.2.3"),
			Policy:             provenance.ResourceDescriptor{URI: PolicyURI, Digest: map[string]string{"sha256": strings.Repeat("cd", 32)}},
			VerificationResult: Passed,
			VerifiedLevels:     Levels(true, true),
			SLSAVersion:        SLSAVersion,
		},
	}
}

// TestSignVerify signs with a key of each algorithm; package trust, the
// verifier's, checks the envelope and the bundle with the public half.
func TestSignVerify(t *testing.T) {
	for _, alg := range []string{ECDSAP256, Ed25519} {
		t.Run(alg, func(t *testing.T) {
			s, err := GenerateKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			env, bundle, err := s.Sign(statement())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(env, []byte("}\n")) || bytes.Count(env, []byte("\n")) != 1 {
				t.Errorf("the envelope is not one JSON line: %q", env)
			}
			typ, payload, err := s.Public().VerifyDSSE(env)
			if err != nil || typ != PayloadType {
				t.Fatalf("VerifyDSSE: %q, %v", typ, err)
			}
			st, err := Parse(payload)
			if err != nil || st.Predicate.Verifier.ID != "https://rebuilders.example.com/a" {
				t.Fatalf("Parse: %+v, %v", st, err)
			}
			if _, p2, err := s.Public().VerifyDSSEBundle(bundle); err != nil || !bytes.Equal(p2, payload) {
				t.Errorf("VerifyDSSEBundle: %v", err)
			}
			e, _, _ := trust.ParseEnvelope(env)
			if e.Signatures[0].KeyID != s.Public().Fingerprint() {
				t.Errorf("keyid %q, want the fingerprint %s", e.Signatures[0].KeyID, s.Public().Fingerprint())
			}
			// Another key does not verify it; a changed payload does not verify.
			other, _ := GenerateKey(alg)
			if _, _, err := other.Public().VerifyDSSE(env); err == nil {
				t.Error("another key verified the envelope")
			}
			var raw map[string]any
			json.Unmarshal(env, &raw)
			raw["payload"] = raw["payload"].(string)[4:]
			changed, _ := json.Marshal(raw)
			if _, _, err := s.Public().VerifyDSSE(changed); err == nil {
				t.Error("a changed payload verified")
			}
		})
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := GenerateKey(Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := filepath.Join(dir, "r.key"), filepath.Join(dir, "r.pub")
	if err := s.WriteKeyPair(priv, pub); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(priv); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600", st.Mode().Perm())
	}
	back, err := ReadPrivateKey(priv)
	if err != nil || !back.Public().Equal(s.Public()) {
		t.Fatalf("ReadPrivateKey: %v", err)
	}
	if k, err := trust.ReadPublicKey(pub); err != nil || !k.Equal(s.Public()) {
		t.Errorf("the public key file: %v", err)
	}
	// Never overwritten: neither half, and nothing written.
	before, _ := os.ReadFile(priv)
	other, _ := GenerateKey(ECDSAP256)
	if err := other.WriteKeyPair(priv, filepath.Join(dir, "new.pub")); err == nil || !strings.Contains(err.Error(), "never overwritten") {
		t.Errorf("got %v, want a refusal", err)
	}
	if err := other.WriteKeyPair(filepath.Join(dir, "new.key"), pub); err == nil {
		t.Error("overwrote the public key")
	}
	if after, _ := os.ReadFile(priv); !bytes.Equal(before, after) {
		t.Error("the private key changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "new.key")); err == nil {
		t.Error("a half of the refused pair was written")
	}
	if runtime.GOOS != "windows" {
		os.Chmod(priv, 0o644)
		if _, err := ReadPrivateKey(priv); err == nil || !strings.Contains(err.Error(), "readable by others") {
			t.Errorf("got %v, want a refusal of a readable key", err)
		}
	}
}

func TestParsePrivateKeyRefuses(t *testing.T) {
	// PEM blocks are made here: no private key block is ever committed.
	block := func(typ string) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: []byte{0, 0, 0}}))
	}
	for _, tc := range []struct{ name, pem, want string }{
		{"empty", "", "no PEM block"},
		{"public", block("PUBLIC KEY"), `PEM block "PUBLIC KEY"`},
		{"cosign", block("ENCRYPTED SIGSTORE PRIVATE KEY"), "a cosign key pair"},
		{"garbage", block("PRIVATE KEY"), "attestation:"},
		{"trailing data", block("PRIVATE KEY") + "more", "data after the private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParsePrivateKey([]byte(tc.pem)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Statement)
		want   string
	}{
		{"statement type", func(s *Statement) { s.Type = "x" }, "_type"},
		{"predicate type", func(s *Statement) { s.PredicateType = provenance.PredicateType }, "predicateType"},
		{"no subject", func(s *Statement) { s.Subject = nil }, "no subject"},
		{"no digest", func(s *Statement) { s.Subject[0].Digest = map[string]string{"sha1": "x"} }, "no SHA-256"},
		{"no verifier", func(s *Statement) { s.Predicate.Verifier.ID = "" }, "verifier.id"},
		{"bad time", func(s *Statement) { s.Predicate.TimeVerified = "yesterday" }, "timeVerified"},
		{"bad result", func(s *Statement) { s.Predicate.VerificationResult = "OK" }, "verificationResult"},
		{"no resource", func(s *Statement) { s.Predicate.ResourceURI = "" }, "resourceUri"},
		{"no policy", func(s *Statement) { s.Predicate.Policy.URI = "" }, "policy.uri"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := statement()
			tc.change(st)
			b, _ := Marshal(st)
			if _, err := Parse(b); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	b, _ := Marshal(statement())
	dup := bytes.Replace(b, []byte(`"predicateType"`), []byte(`"predicateType":"x","predicateType"`), 1)
	if _, err := Parse(dup); err == nil {
		t.Error("a duplicate key was accepted")
	}
}

func TestLevelsAndNames(t *testing.T) {
	for _, tc := range []struct {
		passed, trusted bool
		want            string
	}{{true, true, "SLSA_BUILD_LEVEL_1 CAVRA_REPRODUCED"}, {true, false, "CAVRA_REPRODUCED"}, {false, true, "FAILED"}, {false, false, "FAILED"}} {
		if got := strings.Join(Levels(tc.passed, tc.trusted), " "); got != tc.want {
			t.Errorf("Levels(%v, %v): got %q, want %q", tc.passed, tc.trusted, got, tc.want)
		}
	}
	if got, want := ResourceURI("cavra-go-runtime", "v1.2.3+build.5"), "pkg:generic/cavra-go-runtime@v1.2.3+build.5"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	m := &manifest.Manifest{Build: manifest.Build{Env: map[string]string{"CGO_ENABLED": "0"}, Ldflags: "-s"}}
	d1 := PolicyDigest(m)
	m.Build.Ldflags = "-s -w"
	if d2 := PolicyDigest(m); d1 == d2 || len(d1) != 64 {
		t.Errorf("the policy digest does not follow the build settings: %s, %s", d1, d2)
	}
}

// BenchmarkSign measures what signing one rebuild attestation costs: the
// statement of six binaries, encoded and signed, in both forms.
func BenchmarkSign(b *testing.B) {
	for _, alg := range []string{ECDSAP256, Ed25519} {
		b.Run(alg, func(b *testing.B) {
			s, _ := GenerateKey(alg)
			st := statement()
			for range 5 {
				st.Subject = append(st.Subject, st.Subject[0])
			}
			for b.Loop() {
				if _, _, err := s.Sign(st); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify measures what checking one attestation costs the
// verifier: the envelope's signature and the statement.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{ECDSAP256, Ed25519} {
		b.Run(alg, func(b *testing.B) {
			s, _ := GenerateKey(alg)
			env, _, _ := s.Sign(statement())
			for b.Loop() {
				_, payload, err := s.Public().VerifyDSSE(env)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Parse(payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
