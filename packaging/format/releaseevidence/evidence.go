// Package evidence defines release-evidence.json and release-evidence.md,
// what a release manager attaches to a change record: the package's
// identity, every artifact with kind, size and digest, every signature, the
// signing key, and the controls the release applied. The release writes
// them; the verifier and the upgrade check read them with [Parse].
package releaseevidence

import (
	"fmt"
	"strings"

	"github.com/cavra/cavra/internal/strictjson"
	"github.com/cavra/cavra/packaging/format/build"
)

// Schema identifies the format of release-evidence.json.
const Schema = "https://cavra.dev/schemas/release-evidence/v1"

// Document is release-evidence.json: what a release manager attaches
// to a change record. release-evidence.md renders the same data.
type Document struct {
	SchemaVersion string      `json:"schema_version"`
	Package       Package     `json:"package"`
	Builder       string      `json:"builder"`
	GoVersion     string      `json:"go_version"`
	Artifacts     []Artifact  `json:"artifacts"`  // every file before the evidence, sorted by path
	Signatures    []Signature `json:"signatures"` // every signature the package holds
	Signing       Signing     `json:"signing"`
	Controls      []Control   `json:"controls"`
}

// Package identifies the release.
type Package struct {
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

// Artifact is one file with its kind, size and digest.
type Artifact struct {
	Kind   string `json:"kind"` // an artifact kind: binary, source, package, ...
	Path   string `json:"path"`
	Target string `json:"target,omitempty"`
	Format string `json:"format,omitempty"`
	Size   int64  `json:"size_bytes"`
	SHA256 string `json:"sha256"`
}

// Signature is one signature file and what it signs.
type Signature struct {
	Path   string `json:"path"`
	Signs  string `json:"signs"`
	Format string `json:"format"` // cosign-blob or dsse-in-toto
}

// Signing describes the key.
type Signing struct {
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

// Controls returns the controls every release of version, built with Go
// goVersion at SOURCE_DATE_EPOCH epoch, applies.
func Controls(version, goVersion string, epoch int64) []Control {
	return []Control{
		{"build.from-source-archive", "every binary is built from the shipped source archive, not the working tree"},
		{"build.cgo-disabled", "CGO_ENABLED=0"},
		{"build.trimpath", "GOFLAGS includes -trimpath"},
		{"build.mod-readonly", "GOFLAGS includes -mod=readonly"},
		{"build.buildvcs-off", "GOFLAGS includes -buildvcs=false"},
		{"build.ldflags-pinned", "-ldflags=" + build.Ldflags(version)},
		{"build.toolchain-local", "GOTOOLCHAIN=local, " + goVersion},
		{"build.gowork-off", "GOWORK=off"},
		{"build.no-experiments", "GOEXPERIMENT is empty"},
		{"build.microarch-baseline", "GOAMD64=v1, GOARM64=v8.0"},
		{"build.offline", "GOPROXY=off GOSUMDB=off GOENV=off during the build"},
		{"repro.source-date-epoch", fmt.Sprintf("every timestamp is SOURCE_DATE_EPOCH=%d", epoch)},
		{"repro.sorted-archives", "archive entries sorted, fixed modes and times"},
		{"repro.manifest", "cavra-runtime.reproducibility.json records every rebuild command as data"},
		{"integrity.checksums", "checksums.txt (sha256sum format) lists every file but signatures"},
		{"sign.blob-signatures", "a cosign blob signature for every listed file and for checksums.txt"},
		{"sign.sigstore-bundles", "a key-signed Sigstore bundle (v0.3) beside every blob signature and for the provenance"},
		{"sign.provenance", "an in-toto Statement v1 with SLSA provenance v1, DSSE-signed"},
		{"sbom.spdx", "SPDX 2.3 JSON SBOM"},
		{"sbom.cyclonedx", "CycloneDX JSON SBOM"},
		{"vulns.scanned", "govulncheck in source mode for every target, with the release toolchain's standard library, against the Go vulnerability database go.mod pins (golang.org/x/vulndb), offline"},
		{"vulns.policy", "no vulnerability reachable from the runtime ships without a reviewed exception (vex/exceptions.yaml)"},
		{"vulns.vex", "OpenVEX v0.2.0 and CycloneDX 1.7 VEX of every vulnerability touching the binaries, and an in-toto vulns v0.2 statement, DSSE-signed"},
		{"trust.bootstrap", "offline-trust-root-bootstrap.json lists every file and the key fingerprint"},
	}
}

// ControlIDs returns the IDs of the controls every release applies.
func ControlIDs() []string {
	var ids []string
	for _, c := range Controls("", "", 0) {
		ids = append(ids, c.ID)
	}
	return ids
}

// Parse decodes release-evidence.json strictly: no unknown fields, no
// duplicate or case-variant keys, nothing after the object.
func Parse(data []byte) (*Document, error) {
	var d Document
	if err := strictjson.Decode(data, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Markdown renders the evidence for people.
func (ev *Document) Markdown() string {
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
