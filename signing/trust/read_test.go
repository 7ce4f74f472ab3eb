package trust_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavra/cavra/signing/trust"
)

func TestReadPublicKey(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	dir := t.TempDir()
	good := filepath.Join(dir, "cosign.pub")
	os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
	k, err := trust.ReadPublicKey(good)
	if err != nil || k.Algorithm() != "ecdsa-p256-sha256" {
		t.Fatalf("got %v, %v; want the P-256 key", k, err)
	}
	bad := filepath.Join(dir, "bad.pub")
	os.WriteFile(bad, []byte("not a key"), 0o644)
	for _, tc := range []struct{ path, want string }{
		{bad, "bad.pub"},
		{filepath.Join(dir, "missing.pub"), "missing.pub"},
	} {
		if _, err := trust.ReadPublicKey(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadPublicKey(%s): got %v, want an error naming %s", tc.path, err, tc.want)
		}
	}
}
