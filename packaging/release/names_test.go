package release_test

import (
	"slices"
	"testing"

	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
)

func TestEscapePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"github.com/magefile/mage", "github.com/magefile/mage"},
		{"github.com/BurntSushi/toml", "github.com/!burnt!sushi/toml"},
		{"github.com/Azure/azure-sdk-for-go", "github.com/!azure/azure-sdk-for-go"},
		{"example.com/ABC", "example.com/!a!b!c"},
		{"gopkg.in/yaml.v3", "gopkg.in/yaml.v3"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := layout.EscapePath(tt.in); got != tt.want {
			t.Errorf("EscapePath(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPlanned(t *testing.T) {
	before := artifact.List{
		{Kind: artifact.Binary, Path: "bin/linux-amd64/cavra-runtime"},
		{Kind: artifact.Binary, Path: "bin/windows-arm64/cavra-runtime.exe"},
		{Kind: artifact.Source, Path: "src/cavra-src.tar.gz"},
		{Kind: artifact.Module, Path: "goproxy/github.com/magefile/mage/@v/list"},
		{Kind: artifact.Manifest, Path: manifest.Name},
		{Kind: artifact.Package, Path: "packages/cavra-runtime_1.0.0_amd64.deb"},
		{Kind: artifact.SBOM, Path: layout.SPDX},
		{Kind: artifact.SBOM, Path: layout.CycloneDX},
		{Kind: artifact.VEX, Path: layout.OpenVEX},
		{Kind: artifact.VEX, Path: layout.Vulns},
		{Kind: artifact.PublicKey, Path: layout.PublicKey},
		{Kind: artifact.Archive, Path: "cavra-go-runtime-v1.0.0.zip"},
	}
	files, sigs := release.Planned(before)

	var wantSigs []string
	for _, a := range before {
		if a.Kind != artifact.Archive {
			wantSigs = append(wantSigs, a.Path+layout.SigSuffix, a.Path+layout.BundleSuffix)
		}
	}
	for _, p := range []string{layout.Bootstrap, layout.EvidenceJSON, layout.EvidenceMD, checksums.Name} {
		wantSigs = append(wantSigs, p+layout.SigSuffix, p+layout.BundleSuffix)
	}
	slices.Sort(wantSigs)
	if !slices.Equal(sigs, wantSigs) {
		t.Errorf("sigs:\n got  %q\n want %q", sigs, wantSigs)
	}

	var wantFiles []string
	for _, a := range before {
		if a.Kind != artifact.Archive {
			wantFiles = append(wantFiles, a.Path)
		}
	}
	wantFiles = append(wantFiles, layout.Bootstrap, layout.EvidenceJSON, layout.EvidenceMD, layout.Provenance, layout.ProvenanceBundle, layout.VulnsEnvelope, layout.VulnsBundle, checksums.Name)
	wantFiles = append(wantFiles, wantSigs...)
	slices.Sort(wantFiles)
	if !slices.Equal(files, wantFiles) {
		t.Errorf("files:\n got  %q\n want %q", files, wantFiles)
	}

	// Spelled out: the provenance is planned, its signature is the DSSE
	// envelope itself, and its bundle; so are the vulnerability
	// statement's; the archive is outside the package.
	for _, p := range []string{layout.Provenance, "cavra-runtime.provenance.sigstore.json", checksums.Name, checksums.Name + ".sig",
		"vex/cavra-runtime.vulns.intoto.jsonl", "vex/cavra-runtime.vulns.sigstore.json", "vex/cavra-runtime.vulns.intoto.json.sig",
		"checksums.txt.sigstore.json", "bin/linux-amd64/cavra-runtime.sig", "bin/linux-amd64/cavra-runtime.sigstore.json", "cosign.pub.sig"} {
		if !slices.Contains(files, p) {
			t.Errorf("files lack %s", p)
		}
	}
	for _, p := range []string{layout.Provenance + ".sig", layout.Provenance + ".sigstore.json", layout.VulnsEnvelope + ".sig", "cavra-go-runtime-v1.0.0.zip", "cavra-go-runtime-v1.0.0.zip.sig"} {
		if slices.Contains(files, p) {
			t.Errorf("files hold %s", p)
		}
	}
	if !slices.IsSorted(files) || !slices.IsSorted(sigs) {
		t.Errorf("got unsorted lists")
	}
	// Planned only reads its argument.
	if before[0].Path != "bin/linux-amd64/cavra-runtime" || len(before) != 12 {
		t.Errorf("Planned changed its argument")
	}

	// An empty release still plans its own files.
	files, sigs = release.Planned(nil)
	want := []string{layout.Provenance, layout.ProvenanceBundle, layout.VulnsEnvelope, layout.VulnsBundle}
	for _, p := range []string{layout.Bootstrap, checksums.Name, layout.EvidenceJSON, layout.EvidenceMD} {
		want = append(want, p, p+".sig", p+".sigstore.json")
	}
	slices.Sort(want)
	if !slices.Equal(files, want) || len(sigs) != 8 {
		t.Errorf("Planned(nil): got %q %q, want %q and 8 signatures", files, sigs, want)
	}
}

func TestListedAndSigned(t *testing.T) {
	tests := []struct {
		k              artifact.Kind
		listed, signed bool
	}{
		{artifact.Binary, true, true},
		{artifact.Source, true, true},
		{artifact.Module, true, true},
		{artifact.Manifest, true, true},
		{artifact.Package, true, true},
		{artifact.SBOM, true, true},
		{artifact.VEX, true, true},
		{artifact.Evidence, true, true},
		{artifact.Bootstrap, true, true},
		{artifact.PublicKey, true, true},
		{artifact.SigningOps, true, true},
		{artifact.TUF, false, false},
		{artifact.Checksums, false, true},
		{artifact.Signature, false, false},
		{artifact.Provenance, false, false},
		{artifact.Attestation, false, false},
		{artifact.Archive, false, false},
	}
	for _, tt := range tests {
		if got := release.Listed(tt.k); got != tt.listed {
			t.Errorf("Listed(%s): got %v, want %v", tt.k, got, tt.listed)
		}
		if got := release.Signed(tt.k); got != tt.signed {
			t.Errorf("Signed(%s): got %v, want %v", tt.k, got, tt.signed)
		}
	}
}
