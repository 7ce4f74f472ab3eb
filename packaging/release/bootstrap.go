package release

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cavra/cavra/packaging/artifact"
	"github.com/cavra/cavra/packaging/build"
	"github.com/cavra/cavra/signing/trust"
)

// BootstrapSchema identifies the format of offline-trust-root-bootstrap.json.
const BootstrapSchema = "https://cavra.dev/schemas/offline-trust-bootstrap/v1"

// TrustBootstrap is offline-trust-root-bootstrap.json: what an offline
// verifier needs to start trusting a package, and the exact commands that
// check it with standard tools. A verifier still trusts only a key (or
// fingerprint) it was given: this file states which one that should be.
type TrustBootstrap struct {
	SchemaVersion string           `json:"schema_version"`
	Package       BootstrapPackage `json:"package"`
	RequiredFiles []string         `json:"required_files"` // every file of the package
	PublicKey     BootstrapKey     `json:"public_key"`
	Signer        BootstrapSigner  `json:"signer"`
	Commands      []VerifyCommand  `json:"verify_commands"`
}

// BootstrapPackage identifies the package.
type BootstrapPackage struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Snapshot bool   `json:"snapshot"`
}

// BootstrapKey is the release public key.
type BootstrapKey struct {
	Path        string `json:"path"` // cosign.pub
	Algorithm   string `json:"algorithm"`
	Fingerprint string `json:"sha256_fingerprint"` // sha256:<hex of the DER key>
	PEM         string `json:"pem"`
}

// BootstrapSigner says who signed.
type BootstrapSigner struct {
	Kind            string `json:"kind"`     // cosign-key, kms or snapshot
	Identity        string `json:"identity"` // e.g. kms:awskms:///alias/cavra-release
	TransparencyLog string `json:"transparency_log"`
}

// VerifyCommand is one command an operator runs, in the package folder.
type VerifyCommand struct {
	Purpose string   `json:"purpose"`
	Argv    []string `json:"argv"`
	Command string   `json:"command"` // Argv, quoted for a POSIX shell
}

func command(purpose string, argv ...string) VerifyCommand {
	return VerifyCommand{Purpose: purpose, Argv: argv, Command: build.Command{Dir: ".", Argv: argv}.String()}
}

// Bootstrap writes offline-trust-root-bootstrap.json.
type Bootstrap struct{ Signer Signer }

// Name implements [Step].
func (Bootstrap) Name() string { return "bootstrap" }

// Run implements [Step].
func (b Bootstrap) Run(ctx context.Context, s *State) (artifact.List, error) {
	key, err := trust.ParsePublicKey(b.Signer.PublicKeyPEM())
	if err != nil {
		return nil, err
	}
	c := s.Config
	files, _ := Planned(s.Artifacts)
	doc := TrustBootstrap{
		SchemaVersion: BootstrapSchema,
		Package:       BootstrapPackage{Name: "cavra-go-runtime", Version: c.Version, Commit: c.Commit, Snapshot: c.Snapshot},
		RequiredFiles: files,
		PublicKey:     BootstrapKey{Path: PublicKeyName, Algorithm: key.Algorithm(), Fingerprint: key.Fingerprint(), PEM: string(key.PEM())},
		Signer:        BootstrapSigner{Kind: b.Signer.Kind(), Identity: b.Signer.Identity(), TransparencyLog: "none: nothing is uploaded; cosign needs --insecure-ignore-tlog=true"},
	}
	// Each signature in both forms: the Sigstore bundle for cosign v3, the
	// detached signature for cosign v2.
	blob := func(purpose, file string) []VerifyCommand {
		return []VerifyCommand{
			command(purpose+" (cosign v3)", "cosign", "verify-blob", "--key", PublicKeyName, "--bundle", file+BundleSuffix, "--insecure-ignore-tlog=true", file),
			command(purpose+" (cosign v2)", "cosign", "verify-blob", "--key", PublicKeyName, "--signature", file+SigSuffix, "--insecure-ignore-tlog=true", file),
		}
	}
	attestation := func(purpose, file string) []VerifyCommand {
		return []VerifyCommand{
			command(purpose+" (cosign v3)", "cosign", "verify-blob-attestation", "--key", PublicKeyName, "--bundle", ProvenanceBundleName, "--type", "slsaprovenance1", "--insecure-ignore-tlog=true", file),
			command(purpose+" (cosign v2)", "cosign", "verify-blob-attestation", "--key", PublicKeyName, "--signature", ProvenanceName, "--type", "slsaprovenance1", "--insecure-ignore-tlog=true", file),
		}
	}
	doc.Commands = []VerifyCommand{command("check every listed file", "sha256sum", "--strict", "-c", ChecksumsName)}
	doc.Commands = append(doc.Commands, blob("check the signature of the checksum list (use the public key you were given, fingerprint "+key.Fingerprint()+")", ChecksumsName)...)
	for _, a := range s.Artifacts.Of(artifact.Binary) {
		doc.Commands = append(doc.Commands, blob("check the signature of "+a.Path, a.Path)...)
		doc.Commands = append(doc.Commands, attestation("check the SLSA provenance of "+a.Path, a.Path)...)
	}
	doc.Commands = append(doc.Commands,
		command("run every check of the CAVRA verifier", "cavra", "release", "verify-go-package", "--key", PublicKeyName, "."),
		command("rebuild every binary from the shipped source", "cavra", "release", "rebuild", "--key", PublicKeyName, "--out", "../rebuild-evidence", "."))
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	a, err := artifact.WriteFile(s.Dir, BootstrapName, artifact.Bootstrap, 0o644, append(data, '\n'))
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	return artifact.List{a}, nil
}
