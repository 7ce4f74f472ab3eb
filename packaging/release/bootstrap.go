package release

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cavra/cavra/packaging/format/bootstrap"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/vex"
	"github.com/cavra/cavra/packaging/release/artifact"
	"github.com/cavra/cavra/signing/trust"
)

func command(purpose string, argv ...string) bootstrap.Command {
	return bootstrap.Command{Purpose: purpose, Argv: argv, Command: build.Command{Dir: ".", Argv: argv}.String()}
}

// BootstrapStep writes offline-trust-root-bootstrap.json.
type BootstrapStep struct{ Signer Signer }

// Name implements [Step].
func (BootstrapStep) Name() string { return "bootstrap" }

// Run implements [Step].
func (b BootstrapStep) Run(ctx context.Context, s *State) (artifact.List, error) {
	key, err := trust.ParsePublicKey(b.Signer.PublicKeyPEM())
	if err != nil {
		return nil, err
	}
	c := s.Config
	files, _ := Planned(s.Artifacts)
	doc := bootstrap.Document{
		SchemaVersion: bootstrap.Schema,
		Package:       bootstrap.Package{Name: layout.Name, Version: c.Version, Commit: c.Commit, Snapshot: c.Snapshot},
		RequiredFiles: files,
		PublicKey:     bootstrap.Key{Path: layout.PublicKey, Algorithm: key.Algorithm(), Fingerprint: key.Fingerprint(), PEM: string(key.PEM())},
		Signer:        bootstrap.Signer{Kind: b.Signer.Kind(), Identity: b.Signer.Identity(), TransparencyLog: "none: nothing is uploaded; cosign needs --insecure-ignore-tlog=true"},
	}
	// Each signature in both forms: the Sigstore bundle for cosign v3, the
	// detached signature for cosign v2.
	blob := func(purpose, file string) []bootstrap.Command {
		return []bootstrap.Command{
			command(purpose+" (cosign v3)", "cosign", "verify-blob", "--key", layout.PublicKey, "--bundle", file+layout.BundleSuffix, "--insecure-ignore-tlog=true", file),
			command(purpose+" (cosign v2)", "cosign", "verify-blob", "--key", layout.PublicKey, "--signature", file+layout.SigSuffix, "--insecure-ignore-tlog=true", file),
		}
	}
	attestation := func(purpose, file string) []bootstrap.Command {
		return []bootstrap.Command{
			command(purpose+" (cosign v3)", "cosign", "verify-blob-attestation", "--key", layout.PublicKey, "--bundle", layout.ProvenanceBundle, "--type", "slsaprovenance1", "--insecure-ignore-tlog=true", file),
			command(purpose+" (cosign v2)", "cosign", "verify-blob-attestation", "--key", layout.PublicKey, "--signature", layout.Provenance, "--type", "slsaprovenance1", "--insecure-ignore-tlog=true", file),
		}
	}
	vulns := func(purpose, file string) []bootstrap.Command {
		return []bootstrap.Command{
			command(purpose+" (cosign v3)", "cosign", "verify-blob-attestation", "--key", layout.PublicKey, "--bundle", layout.VulnsBundle, "--type", vex.PredicateType, "--insecure-ignore-tlog=true", file),
			command(purpose+" (cosign v2)", "cosign", "verify-blob-attestation", "--key", layout.PublicKey, "--signature", layout.VulnsEnvelope, "--type", vex.PredicateType, "--insecure-ignore-tlog=true", file),
		}
	}
	doc.Commands = []bootstrap.Command{command("check every listed file", "sha256sum", "--strict", "-c", checksums.Name)}
	doc.Commands = append(doc.Commands, blob("check the signature of the checksum list (use the public key you were given, fingerprint "+key.Fingerprint()+")", checksums.Name)...)
	for _, a := range s.Artifacts.Of(artifact.Binary) {
		doc.Commands = append(doc.Commands, blob("check the signature of "+a.Path, a.Path)...)
		doc.Commands = append(doc.Commands, attestation("check the SLSA provenance of "+a.Path, a.Path)...)
		doc.Commands = append(doc.Commands, vulns("check the vulnerability attestation of "+a.Path, a.Path)...)
	}
	doc.Commands = append(doc.Commands,
		command("run every check of the CAVRA verifier", "cavra", "release", "verify-go-package", "--key", layout.PublicKey, "."),
		command("rebuild every binary from the shipped source", "cavra", "release", "rebuild", "--key", layout.PublicKey, "--out", "../rebuild-evidence", "."),
		command("re-check the binaries against a newer Go vulnerability database you bring (vuln.go.dev's vulndb.zip)", "cavra", "release", "vulns", "--key", layout.PublicKey, "--db", "../vulndb.zip", "."))
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	a, err := artifact.WriteFile(s.Dir, layout.Bootstrap, artifact.Bootstrap, 0o644, append(data, '\n'))
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	return artifact.List{a}, nil
}
