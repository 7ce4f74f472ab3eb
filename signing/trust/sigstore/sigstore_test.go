package sigstore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var publicGood = filepath.Join("..", "keyless", "testdata", "public-good")

func TestParseBundle(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(publicGood, "cosign-oci-attestation.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBundle(good)
	if err != nil {
		t.Fatal(err)
	}
	if b.Version() != "0.3" || b.LeafCertificate() == nil || len(b.VerificationMaterial.TlogEntries) != 1 || b.DSSEEnvelope == nil {
		t.Errorf("parsed %+v", b)
	}
	s := string(good)
	for _, c := range []struct{ name, data, want string }{
		{"duplicate key", strings.Replace(s, `"mediaType"`, `"mediaType": "x", "mediaType"`, 1), "duplicate key"},
		{"unknown field", strings.Replace(s, `"mediaType"`, `"extra": 1, "mediaType"`, 1), "unknown field"},
		{"unknown media type", strings.Replace(s, "bundle.v0.3+json", "bundle.v0.9+json", 1), "media type"},
		{"trailing data", s + "{}", "after the JSON value"},
		{"no content", strings.Replace(s, `"dsseEnvelope"`, `"other"`, 1), "unknown field"},
		{"key and certificate", strings.Replace(s, `"certificate":`, `"publicKey": {"hint": "x"}, "certificate":`, 1), "exactly one of certificate"},
	} {
		if _, err := ParseBundle([]byte(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestParseTrustedRoot(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(publicGood, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseTrustedRoot(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tlogs) != 1 || len(r.CTLogs) != 2 || len(r.CertificateAuthorities) != 2 || r.Tlogs[0].BaseURL != "https://rekor.sigstore.dev" {
		t.Errorf("parsed %d tlogs, %d ctlogs, %d CAs", len(r.Tlogs), len(r.CTLogs), len(r.CertificateAuthorities))
	}
	if !r.CertificateAuthorities[0].Validity.Contains(r.CertificateAuthorities[0].Validity.Start) || r.CertificateAuthorities[0].Validity.Contains(r.CertificateAuthorities[0].Validity.End.Add(1)) {
		t.Error("validity ends are not inclusive, or the range is open")
	}
	s := string(data)
	for _, c := range []struct{ name, data, want string }{
		{"another media type", strings.Replace(s, "trustedroot+json;version=0.1", "trustedroot+json;version=9", 1), "media type"},
		{"duplicate key", strings.Replace(s, `"mediaType"`, `"mediaType": "x", "mediaType"`, 1), "duplicate key"},
		{"log without a start", strings.Replace(s, `"start": "2021-01-12T11:53:27.000Z"`, `"x": 1`, 1), "no validFor.start"},
	} {
		if _, err := ParseTrustedRoot([]byte(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"cosign-oci-attestation.sigstore.json", "trusted_root.json"} {
		data, err := os.ReadFile(filepath.Join(publicGood, n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseBundle(data)
		ParseTrustedRoot(data)
	})
}
