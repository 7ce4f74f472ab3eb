// Package provenance defines the SLSA provenance of a release,
// cavra-runtime.provenance.intoto.jsonl: an in-toto Statement v1 whose
// predicate is SLSA provenance v1 and whose subjects are every file
// checksums.txt lists, wrapped in a DSSE envelope signed with the release
// key (and, in cavra-runtime.provenance.sigstore.json, the same envelope as
// a Sigstore bundle). `cosign verify-blob-attestation --key cosign.pub
// --signature cavra-runtime.provenance.intoto.jsonl --type slsaprovenance1
// --insecure-ignore-tlog=true <file>` checks it for any subject.
//
// The release writes a [Statement]; the verifier reads one with [Parse].
// Both use the types here, so the two sides cannot drift apart.
//
// # Build type https://cavra.dev/buildtypes/go-runtime-release/v1
//
// externalParameters are what a maintainer or CI chose: repository, ref,
// version, workflow (GITHUB_WORKFLOW_REF, when set) and whether the release
// is a snapshot. internalParameters are the pinned build settings: the
// targets, the shared environment (CGO_ENABLED, GOFLAGS, GOTOOLCHAIN,
// GOWORK, GOEXPERIMENT), the microarchitecture levels, the go build flags
// and ldflags, the main package and SOURCE_DATE_EPOCH. resolvedDependencies
// are the source commit (git+<repository>@<ref>, digest gitCommit) and the
// Go toolchain (name "go", annotation version). runDetails.builder.id names
// the builder: the CI workflow, or a local mage run.
//
// The statement holds no wall-clock time, only what the release
// configuration and the artifacts say, so it is the same for two releases
// of one commit.
package provenance

import (
	"encoding/json"

	"github.com/cavra/cavra/internal/strictjson"
)

// The in-toto, DSSE and SLSA identifiers.
const (
	StatementType = "https://in-toto.io/Statement/v1"
	PredicateType = "https://slsa.dev/provenance/v1"
	PayloadType   = "application/vnd.in-toto+json"
	BuildType     = "https://cavra.dev/buildtypes/go-runtime-release/v1"
)

// Statement is an in-toto Statement v1 with an SLSA provenance v1
// predicate.
type Statement struct {
	Type          string    `json:"_type"`
	PredicateType string    `json:"predicateType"`
	Subject       []Subject `json:"subject"`
	Predicate     Predicate `json:"predicate"`
}

// Subject is one file the statement is about.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"` // "sha256": hex
}

// Predicate is SLSA provenance v1.
type Predicate struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition says how the release was built.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   ExternalParameters   `json:"externalParameters"`
	InternalParameters   InternalParameters   `json:"internalParameters"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
}

// ExternalParameters are the inputs a maintainer or CI chose.
type ExternalParameters struct {
	Repository string `json:"repository"`
	Ref        string `json:"ref"`
	Version    string `json:"version"`
	Workflow   string `json:"workflow,omitempty"` // GITHUB_WORKFLOW_REF
	Snapshot   bool   `json:"snapshot"`
}

// InternalParameters are the pinned settings of the build.
type InternalParameters struct {
	Targets         []string          `json:"targets"`
	Env             map[string]string `json:"env"`
	Levels          map[string]string `json:"levels"`
	Flags           []string          `json:"flags"`
	Ldflags         string            `json:"ldflags"`
	MainPackage     string            `json:"main_package"`
	SourceDateEpoch int64             `json:"source_date_epoch"`
}

// ResourceDescriptor is an in-toto resource descriptor: here the source
// commit or the Go toolchain.
type ResourceDescriptor struct {
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Name        string            `json:"name,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
}

// RunDetails names the builder.
type RunDetails struct {
	Builder  Builder  `json:"builder"`
	Metadata struct{} `json:"metadata"`
}

// Builder identifies who ran the build.
type Builder struct {
	ID string `json:"id"`
}

// Parse decodes a statement, refusing duplicate and case-variant keys.
// Fields it does not know are ignored: a statement may say more than this
// package reads.
func Parse(payload []byte) (*Statement, error) {
	if err := strictjson.CheckDuplicates(payload); err != nil {
		return nil, err
	}
	var st Statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, err
	}
	return &st, nil
}
