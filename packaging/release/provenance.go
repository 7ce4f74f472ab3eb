package release

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/provenance"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// ProvenanceStep writes the SLSA provenance (see package provenance): the
// [Statement] of every listed file, DSSE-signed with the release key, as an
// envelope (cosign v2's --signature) and as a Sigstore bundle holding the
// same envelope (cosign v3's --bundle).
type ProvenanceStep struct{ Signer Signer }

// Name implements [Step].
func (ProvenanceStep) Name() string { return "provenance" }

// Run implements [Step].
func (p ProvenanceStep) Run(ctx context.Context, s *State) (artifact.List, error) {
	payload, err := json.Marshal(Statement(s.Config, s.Artifacts))
	if err != nil {
		return nil, err
	}
	env, err := p.Signer.SignDSSE(ctx, provenance.PayloadType, payload)
	if err != nil {
		return nil, err
	}
	bundle, err := p.Signer.DSSEBundle(env)
	if err != nil {
		return nil, err
	}
	a, err := artifact.WriteFile(s.Dir, layout.Provenance, artifact.Provenance, 0o644, append(env, '\n'))
	if err != nil {
		return nil, err
	}
	a.Format = "dsse-in-toto-jsonl"
	b, err := artifact.WriteFile(s.Dir, layout.ProvenanceBundle, artifact.Provenance, 0o644, bundle)
	if err != nil {
		return nil, err
	}
	b.Format = "sigstore-bundle-v0.3-dsse"
	return artifact.List{a, b}, nil
}

// Statement returns the provenance statement of the artifacts of a release
// made with config c: every listed file is a subject, sorted by name.
func Statement(c *Config, list artifact.List) provenance.Statement {
	var subjects []provenance.Subject
	for _, a := range list.Sorted() {
		if Listed(a.Kind) {
			subjects = append(subjects, provenance.Subject{Name: a.Path, Digest: map[string]string{"sha256": a.SHA256}})
		}
	}
	slices.SortFunc(subjects, func(a, b provenance.Subject) int { return strings.Compare(a.Name, b.Name) })
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
	return provenance.Statement{
		Type:          provenance.StatementType,
		PredicateType: provenance.PredicateType,
		Subject:       subjects,
		Predicate: provenance.Predicate{
			BuildDefinition: provenance.BuildDefinition{
				BuildType: provenance.BuildType,
				ExternalParameters: provenance.ExternalParameters{
					Repository: c.Repository, Ref: c.Ref, Version: c.Version, Workflow: c.WorkflowRef, Snapshot: c.Snapshot,
				},
				InternalParameters: provenance.InternalParameters{
					Targets:         targets,
					Env:             env,
					Levels:          levels,
					Flags:           build.Flags(c.Version),
					Ldflags:         build.Ldflags(c.Version),
					MainPackage:     build.MainPackage,
					SourceDateEpoch: c.Epoch.Unix(),
				},
				ResolvedDependencies: []provenance.ResourceDescriptor{
					{URI: uri, Digest: map[string]string{"gitCommit": c.Commit}},
					{Name: "go", URI: "https://go.dev/dl/" + c.GoVersion, Annotations: map[string]any{"version": c.GoVersion}},
				},
			},
			RunDetails: provenance.RunDetails{Builder: provenance.Builder{ID: c.Builder}},
		},
	}
}
