package signing

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/cosign/v2/pkg/cosign"

	"github.com/cavra/cavra/internal/testtools"
	"github.com/cavra/cavra/signing/trust"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// check signs data with k and verifies it, as a blob and as DSSE, with the
// standard-library verifier.
func check(t *testing.T, k *Key) *trust.Key {
	t.Helper()
	pub, err := trust.ParsePublicKey(k.PublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("cavra release file\n")
	sig, err := k.Sign(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Verify(data, sig); err != nil {
		t.Fatalf("blob signature: %v", err)
	}
	if err := pub.Verify(append(data, '!'), sig); err == nil {
		t.Fatal("a signature verified over other data")
	}
	env, err := k.SignDSSE(context.Background(), "application/vnd.in-toto+json", []byte(`{"_type":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	typ, payload, err := pub.VerifyDSSE(env)
	if err != nil || typ != "application/vnd.in-toto+json" || string(payload) != `{"_type":"x"}` {
		t.Fatalf("DSSE: got %q %q %v", typ, payload, err)
	}
	// The same signatures as Sigstore bundles, read by the standard-library
	// verifier.
	bundle, err := k.Bundle(data, sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.VerifyBundle(data, sha256.Sum256(data), bundle); err != nil {
		t.Fatalf("bundle: %v", err)
	}
	other := append(data, '!')
	if err := pub.VerifyBundle(other, sha256.Sum256(other), bundle); err == nil {
		t.Fatal("a bundle verified for other data")
	}
	// Signed by digest, as the release signs the files it recorded: the
	// same verifier accepts it, for the keys that sign digests.
	sum := sha256.Sum256(data)
	dsig, ok, err := k.SignSHA256(context.Background(), sum[:])
	if err != nil {
		t.Fatal(err)
	}
	if want := pub.Algorithm() == "ecdsa-p256-sha256"; ok != want {
		t.Fatalf("SignSHA256 with a %s key: ok %v, want %v", pub.Algorithm(), ok, want)
	}
	if ok {
		if err := pub.Verify(data, dsig); err != nil {
			t.Fatalf("signature by digest: %v", err)
		}
		b, err := k.BundleSHA256(sum[:], dsig)
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.VerifyBundle(data, sum, b); err != nil {
			t.Fatalf("bundle by digest: %v", err)
		}
	}
	dsseBundle, err := k.DSSEBundle(env)
	if err != nil {
		t.Fatal(err)
	}
	typ, payload, err = pub.VerifyDSSEBundle(dsseBundle)
	if err != nil || typ != "application/vnd.in-toto+json" || string(payload) != `{"_type":"x"}` {
		t.Fatalf("DSSE bundle: got %q %q %v", typ, payload, err)
	}
	return pub
}

func TestNoKeyForARelease(t *testing.T) {
	_, err := Load(context.Background(), Options{Getenv: env(nil)})
	if !errors.Is(err, ErrNoKey) {
		t.Fatalf("got %v, want ErrNoKey", err)
	}
}

func TestSnapshotKey(t *testing.T) {
	dir := t.TempDir()
	a, err := Load(context.Background(), Options{Getenv: env(nil), Snapshot: true, SnapshotDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	check(t, a)
	if a.Kind() != KindSnapshot || a.Identity() != "snapshot:local" {
		t.Errorf("got %s %s, want the snapshot kind and no local path", a.Kind(), a.Identity())
	}
	st, err := os.Stat(filepath.Join(dir, "cosign.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot key: %v %v, want mode 0600", st, err)
	}
	// Reused by the next snapshot on this machine.
	b, err := Load(context.Background(), Options{Getenv: env(nil), Snapshot: true, SnapshotDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if string(a.PublicKeyPEM()) != string(b.PublicKeyPEM()) {
		t.Error("a second snapshot generated another key")
	}
	// Another machine (folder) has another key.
	c, err := Load(context.Background(), Options{Getenv: env(nil), Snapshot: true, SnapshotDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if string(a.PublicKeyPEM()) == string(c.PublicKeyPEM()) {
		t.Error("two folders share a snapshot key")
	}
	// A configured key wins over the snapshot key.
	priv, _, err := Generate(t.TempDir(), []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(context.Background(), Options{Getenv: env(map[string]string{"COSIGN_KEY": priv, "COSIGN_PASSWORD": "pw"}), Snapshot: true, SnapshotDir: dir})
	if err != nil || d.Kind() != KindKey {
		t.Fatalf("got %v %v, want the configured key", d, err)
	}
}

func TestFileAndEnvKeys(t *testing.T) {
	dir := t.TempDir()
	priv, pub, err := Generate(dir, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Generate(dir, []byte("s3cret")); !errors.Is(err, os.ErrExist) {
		t.Errorf("Generate replaced a key: %v", err)
	}
	st, _ := os.Stat(priv)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600", st.Mode().Perm())
	}
	pubPEM, _ := os.ReadFile(pub)
	data, _ := os.ReadFile(priv)
	tests := []struct {
		name     string
		env      map[string]string
		identity string
		err      string
	}{
		{"file", map[string]string{"COSIGN_KEY": priv, "COSIGN_PASSWORD": "s3cret"}, "cosign-key:cosign.key", ""},
		{"contents", map[string]string{"COSIGN_PRIVATE_KEY": string(data), "COSIGN_PASSWORD": "s3cret"}, "cosign-key:env:COSIGN_PRIVATE_KEY", ""},
		{"wrong password", map[string]string{"COSIGN_KEY": priv, "COSIGN_PASSWORD": "guess"}, "", "decrypt"},
		{"missing file", map[string]string{"COSIGN_KEY": filepath.Join(dir, "nope.key")}, "", "nope.key"},
		{"unknown KMS", map[string]string{"COSIGN_KEY": "nosuchkms://key"}, "", "nosuchkms://key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := Load(context.Background(), Options{Getenv: env(tc.env)})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error naming %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(k.PublicKeyPEM()) != string(pubPEM) || k.Identity() != tc.identity {
				t.Errorf("got identity %q and another public key, want %q and cosign.pub", k.Identity(), tc.identity)
			}
			check(t, k)
		})
	}
}

// TestEd25519 signs with an imported Ed25519 key: pure Ed25519, which the
// standard library and `cosign verify-blob --key` check.
func TestEd25519(t *testing.T) {
	dir := t.TempDir()
	_, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(sk)
	plain := filepath.Join(dir, "ed25519.pem")
	os.WriteFile(plain, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	kb, err := cosign.ImportKeyPair(plain, func(bool) ([]byte, error) { return []byte("pw"), nil })
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(plain)
	k, err := Load(context.Background(), Options{Getenv: env(map[string]string{"COSIGN_PRIVATE_KEY": string(kb.PrivateBytes), "COSIGN_PASSWORD": "pw"})})
	if err != nil {
		t.Fatal(err)
	}
	pub := check(t, k)
	if pub.Algorithm() != "ed25519" {
		t.Fatalf("got %s, want ed25519", pub.Algorithm())
	}
	blob := filepath.Join(dir, "blob")
	os.WriteFile(blob, []byte("an ed25519-signed blob"), 0o644)
	sig, err := k.Sign(context.Background(), []byte("an ed25519-signed blob"))
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := k.Bundle([]byte("an ed25519-signed blob"), sig)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(blob+".sig", []byte(base64.StdEncoding.EncodeToString(sig)), 0o644)
	os.WriteFile(blob+".sigstore.json", bundle, 0o644)
	os.WriteFile(filepath.Join(dir, "cosign.pub"), k.PublicKeyPEM(), 0o644)
	// cosign v2 reads the detached signature, v3 the bundle.
	for _, tc := range []struct {
		major int
		args  []string
	}{
		{2, []string{"--signature", "blob.sig"}},
		{3, []string{"--bundle", "blob.sigstore.json"}},
	} {
		cosignCLI := testtools.Cosign(t, tc.major)
		args := append(append([]string{"verify-blob", "--key", "cosign.pub"}, tc.args...), "--insecure-ignore-tlog=true", "blob")
		cmd := exec.Command(cosignCLI, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Verified OK") {
			t.Fatalf("cosign v%d %s: %v\n%s", tc.major, strings.Join(args, " "), err, out)
		}
	}
}
