package release

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cavra/cavra/packaging/artifact"
	"github.com/cavra/cavra/packaging/build"
	"github.com/cavra/cavra/signing/trust"
)

// EvidenceSchema identifies the format of release-evidence.json.
const EvidenceSchema = "https://cavra.dev/schemas/release-evidence/v1"

// ReleaseEvidence is release-evidence.json: what a release manager attaches
// to a change record. release-evidence.md renders the same data.
type ReleaseEvidence struct {
	SchemaVersion string             `json:"schema_version"`
	Package       EvidencePackage    `json:"package"`
	Builder       string             `json:"builder"`
	GoVersion     string             `json:"go_version"`
	Artifacts     []EvidenceArtifact `json:"artifacts"`  // every file before the evidence, sorted by path
	Signatures    []EvidenceSig      `json:"signatures"` // every signature the package holds
	Signing       EvidenceSigning    `json:"signing"`
	Controls      []Control          `json:"controls"`
}

// EvidencePackage identifies the release.
type EvidencePackage struct {
	Name            string `json:"name"`
	Version         string `json:"version"`
	Commit          string `json:"commit"`
	Ref             string `json:"ref"`
	Repository      string `json:"repository"`
	WorkflowRef     string `json:"workflow_ref"`
	Snapshot        bool   `json:"snapshot"`
	Dirty           bool   `json:"dirty"`
	SourceDateEpoch int64  `json:"source_date_epoch"`
}

// EvidenceArtifact is one file with its kind, size and digest.
type EvidenceArtifact struct {
	Kind   artifact.Kind `json:"kind"`
	Path   string        `json:"path"`
	Target string        `json:"target,omitempty"`
	Format string        `json:"format,omitempty"`
	Size   int64         `json:"size_bytes"`
	SHA256 string        `json:"sha256"`
}

// EvidenceSig is one signature file and what it signs.
type EvidenceSig struct {
	Path   string `json:"path"`
	Signs  string `json:"signs"`
	Format string `json:"format"` // cosign-blob or dsse-in-toto
}

// EvidenceSigning describes the key.
type EvidenceSigning struct {
	Kind            string `json:"kind"`
	Identity        string `json:"identity"`
	PublicKey       string `json:"public_key"`
	Fingerprint     string `json:"sha256_fingerprint"`
	Algorithm       string `json:"algorithm"`
	TransparencyLog string `json:"transparency_log"`
}

// Control is one control the release applied, with a stable ID that an
// upgrade check compares between releases.
type Control struct {
	ID          string `json:"id"`
	Description string `json:"description"`
}

// Controls returns the controls every release applies.
func ReleaseControls(c *Config) []Control {
	return []Control{
		{"build.from-source-archive", "every binary is built from the shipped source archive, not the working tree"},
		{"build.cgo-disabled", "CGO_ENABLED=0"},
		{"build.trimpath", "GOFLAGS includes -trimpath"},
		{"build.mod-readonly", "GOFLAGS includes -mod=readonly"},
		{"build.buildvcs-off", "GOFLAGS includes -buildvcs=false"},
		{"build.ldflags-pinned", "-ldflags=" + build.Ldflags(c.Version)},
		{"build.toolchain-local", "GOTOOLCHAIN=local, " + c.GoVersion},
		{"build.gowork-off", "GOWORK=off"},
		{"build.no-experiments", "GOEXPERIMENT is empty"},
		{"build.microarch-baseline", "GOAMD64=v1, GOARM64=v8.0"},
		{"build.offline", "GOPROXY=off GOSUMDB=off GOENV=off during the build"},
		{"repro.source-date-epoch", fmt.Sprintf("every timestamp is SOURCE_DATE_EPOCH=%d", c.Epoch.Unix())},
		{"repro.sorted-archives", "archive entries sorted, fixed modes and times"},
		{"repro.manifest", "cavra-runtime.reproducibility.json records every rebuild command as data"},
		{"integrity.checksums", "checksums.txt (sha256sum format) lists every file but signatures"},
		{"sign.blob-signatures", "a cosign blob signature for every listed file and for checksums.txt"},
		{"sign.sigstore-bundles", "a key-signed Sigstore bundle (v0.3) beside every blob signature and for the provenance"},
		{"sign.provenance", "an in-toto Statement v1 with SLSA provenance v1, DSSE-signed"},
		{"sbom.spdx", "SPDX 2.3 JSON SBOM"},
		{"sbom.cyclonedx", "CycloneDX JSON SBOM"},
		{"trust.bootstrap", "offline-trust-root-bootstrap.json lists every file and the key fingerprint"},
	}
}

// Evidence writes release-evidence.json and release-evidence.md.
type Evidence struct{ Signer Signer }

// Name implements [Step].
func (Evidence) Name() string { return "evidence" }

// Run implements [Step].
func (e Evidence) Run(ctx context.Context, s *State) (artifact.List, error) {
	key, err := trust.ParsePublicKey(e.Signer.PublicKeyPEM())
	if err != nil {
		return nil, err
	}
	c := s.Config
	ev := ReleaseEvidence{
		SchemaVersion: EvidenceSchema,
		Package: EvidencePackage{
			Name: "cavra-go-runtime", Version: c.Version, Commit: c.Commit, Ref: c.Ref, Repository: c.Repository,
			WorkflowRef: c.WorkflowRef, Snapshot: c.Snapshot, Dirty: c.Dirty, SourceDateEpoch: c.Epoch.Unix(),
		},
		Builder:   c.Builder,
		GoVersion: c.GoVersion,
		Signing: EvidenceSigning{
			Kind: e.Signer.Kind(), Identity: e.Signer.Identity(), PublicKey: PublicKeyName,
			Fingerprint: key.Fingerprint(), Algorithm: key.Algorithm(), TransparencyLog: "none",
		},
		Controls: ReleaseControls(c),
	}
	for _, a := range s.Artifacts.Sorted() {
		if a.Kind == artifact.Archive {
			continue
		}
		ev.Artifacts = append(ev.Artifacts, EvidenceArtifact{Kind: a.Kind, Path: a.Path, Target: a.Target, Format: a.Format, Size: a.Size, SHA256: a.SHA256})
	}
	_, sigs := Planned(s.Artifacts)
	for _, p := range sigs {
		if signed, ok := strings.CutSuffix(p, SigSuffix); ok {
			ev.Signatures = append(ev.Signatures, EvidenceSig{Path: p, Signs: signed, Format: "cosign-blob"})
		} else {
			ev.Signatures = append(ev.Signatures, EvidenceSig{Path: p, Signs: strings.TrimSuffix(p, BundleSuffix), Format: "sigstore-bundle-v0.3"})
		}
	}
	ev.Signatures = append(ev.Signatures,
		EvidenceSig{Path: ProvenanceName, Signs: "the provenance subjects", Format: "dsse-in-toto"},
		EvidenceSig{Path: ProvenanceBundleName, Signs: "the provenance subjects", Format: "sigstore-bundle-v0.3-dsse"})
	data, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return nil, err
	}
	j, err := artifact.WriteFile(s.Dir, EvidenceJSON, artifact.Evidence, 0o644, append(data, '\n'))
	if err != nil {
		return nil, err
	}
	j.Format = "json"
	m, err := artifact.WriteFile(s.Dir, EvidenceMD, artifact.Evidence, 0o644, []byte(ev.Markdown()))
	if err != nil {
		return nil, err
	}
	m.Format = "markdown"
	return artifact.List{j, m}, nil
}

// Markdown renders the evidence for people.
func (ev *ReleaseEvidence) Markdown() string {
	var b strings.Builder
	label := "release"
	if ev.Package.Snapshot {
		label = "SNAPSHOT"
	}
	fmt.Fprintf(&b, "# Release evidence: %s %s (%s)\n\n", ev.Package.Name, ev.Package.Version, label)
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	for _, row := range [][2]string{
		{"Version", ev.Package.Version},
		{"Commit", ev.Package.Commit},
		{"Ref", ev.Package.Ref},
		{"Repository", ev.Package.Repository},
		{"Workflow", ev.Package.WorkflowRef},
		{"Builder", ev.Builder},
		{"Go", ev.GoVersion},
		{"SOURCE_DATE_EPOCH", fmt.Sprint(ev.Package.SourceDateEpoch)},
		{"Signing key", fmt.Sprintf("%s (%s, %s)", ev.Signing.Fingerprint, ev.Signing.Kind, ev.Signing.Algorithm)},
		{"Signer", ev.Signing.Identity},
		{"Transparency log", ev.Signing.TransparencyLog},
	} {
		fmt.Fprintf(&b, "| %s | %s |\n", row[0], strings.ReplaceAll(row[1], "|", `\|`))
	}
	fmt.Fprintf(&b, "\n## Artifacts\n\n| Kind | Path | Target | Size | SHA-256 |\n|---|---|---|---:|---|\n")
	for _, a := range ev.Artifacts {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %d | `%s` |\n", a.Kind, a.Path, a.Target, a.Size, a.SHA256)
	}
	fmt.Fprintf(&b, "\n## Signatures\n\n| Signature | Signs | Format |\n|---|---|---|\n")
	for _, s := range ev.Signatures {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", s.Path, s.Signs, s.Format)
	}
	fmt.Fprintf(&b, "\n## Controls\n\n")
	for _, c := range ev.Controls {
		fmt.Fprintf(&b, "- `%s`: %s\n", c.ID, c.Description)
	}
	return b.String()
}
