// Package provenance writes the SLSA provenance of a release: an in-toto
// Statement v1 whose predicate is SLSA provenance v1, with every file of the
// package as a subject, wrapped in a DSSE envelope signed with the release key
// (cavra-runtime.provenance.intoto.jsonl). `cosign verify-blob-attestation
// --key cosign.pub --signature cavra-runtime.provenance.intoto.jsonl --type
// slsaprovenance1 --insecure-ignore-tlog=true <file>` checks it for any
// subject.
//
// The statement is deterministic: it holds no wall-clock time, only what
// the release configuration and the artifacts say.
package provenance

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/common"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"

	"github.com/cavra/cavra/packaging/artifact"
	"github.com/cavra/cavra/packaging/build"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/signing"
)

// The in-toto and SLSA identifiers.
const (
	StatementType = "https://in-toto.io/Statement/v1"
	PredicateType = slsa1.PredicateSLSAProvenance
	PayloadType   = "application/vnd.in-toto+json"
	// BuildType names this release process; its parameters are documented
	// in the package doc of package release.
	BuildType = "https://cavra.dev/buildtypes/go-runtime-release/v1"
)

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

// Statement returns the provenance statement for the artifacts of a release
// made with config c.
func Statement(c *release.Config, list artifact.List) in_toto.ProvenanceStatementSLSA1 {
	var subjects []in_toto.Subject
	for _, a := range list.Sorted() {
		if !release.Listed(a.Kind) {
			continue
		}
		subjects = append(subjects, in_toto.Subject{Name: a.Path, Digest: common.DigestSet{"sha256": a.SHA256}})
	}
	env, levels := build.Shared()
	var targets []string
	for _, t := range c.Targets {
		targets = append(targets, t.String())
	}
	repo := c.Repository
	if repo == "" {
		repo = "unknown"
	}
	uri := "git+" + strings.TrimSuffix(repo, ".git")
	if c.Ref != "" {
		uri += "@" + c.Ref
	}
	st := in_toto.ProvenanceStatementSLSA1{
		StatementHeader: in_toto.StatementHeader{
			Type:          StatementType,
			PredicateType: PredicateType,
			Subject:       subjects,
		},
		Predicate: slsa1.ProvenancePredicate{
			BuildDefinition: slsa1.ProvenanceBuildDefinition{
				BuildType: BuildType,
				ExternalParameters: ExternalParameters{
					Repository: c.Repository, Ref: c.Ref, Version: c.Version, Workflow: c.WorkflowRef, Snapshot: c.Snapshot,
				},
				InternalParameters: InternalParameters{
					Targets:         targets,
					Env:             env,
					Levels:          levels,
					Flags:           append(strings.Fields(build.GOFLAGS), "-ldflags="+build.Ldflags(c.Version)),
					Ldflags:         build.Ldflags(c.Version),
					MainPackage:     build.MainPackage,
					SourceDateEpoch: c.Epoch.Unix(),
				},
				ResolvedDependencies: []slsa1.ResourceDescriptor{
					{URI: uri, Digest: common.DigestSet{"gitCommit": c.Commit}},
					{Name: "go", URI: "https://go.dev/dl/" + c.GoVersion, Annotations: map[string]any{"version": c.GoVersion}},
				},
			},
			RunDetails: slsa1.ProvenanceRunDetails{
				Builder: slsa1.Builder{ID: c.Builder},
			},
		},
	}
	slices.SortFunc(st.Subject, func(a, b in_toto.Subject) int { return strings.Compare(a.Name, b.Name) })
	return st
}

// Step writes the DSSE-signed provenance, as an envelope (cosign v2's
// --signature) and as a Sigstore bundle holding the same envelope (cosign
// v3's --bundle).
type Step struct{ Key *signing.Key }

// Name implements release.Step.
func (Step) Name() string { return "provenance" }

// Run implements release.Step.
func (p Step) Run(ctx context.Context, s *release.State) (artifact.List, error) {
	st := Statement(s.Config, s.Artifacts)
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	env, err := p.Key.SignDSSE(ctx, PayloadType, payload)
	if err != nil {
		return nil, err
	}
	bundle, err := p.Key.DSSEBundle(env)
	if err != nil {
		return nil, err
	}
	a, err := artifact.WriteFile(s.Dir, release.ProvenanceName, artifact.Provenance, 0o644, append(env, '\n'))
	if err != nil {
		return nil, err
	}
	a.Format = "dsse-in-toto-jsonl"
	b, err := artifact.WriteFile(s.Dir, release.ProvenanceBundleName, artifact.Provenance, 0o644, bundle)
	if err != nil {
		return nil, err
	}
	b.Format = "sigstore-bundle-v0.3-dsse"
	return artifact.List{a, b}, nil
}
