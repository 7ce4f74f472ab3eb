package keyless_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/cavra/cavra/signing/trust/keyless"
)

// FuzzVerify feeds the verifier bundles derived from real ones: it must
// refuse or accept, never panic, and accept nothing for another artifact.
func FuzzVerify(f *testing.F) {
	root, _ := publicGoodRoot(f)
	for _, c := range publicGood {
		data, err := os.ReadFile(filepath.Join("testdata", "public-good", c.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	v, err := keyless.New(root, keyless.Policy{IdentityRegexp: ".", IssuerRegexp: "."})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, bundle []byte) {
		v.VerifyDSSE(bundle)
		if _, err := v.VerifyMessage(bundle, sha256.Sum256([]byte("no artifact")), nil); err == nil {
			t.Fatal("a bundle verified for an artifact no one signed")
		}
	})
}
