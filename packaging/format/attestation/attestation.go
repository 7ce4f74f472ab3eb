// Package attestation defines the rebuild attestation, rebuild.intoto.jsonl:
// what an independent rebuilder signs after rebuilding the binaries of a
// cavra-go-runtime package from its shipped source. It is a DSSE envelope
// around an in-toto Statement v1 whose predicate is a SLSA Verification
// Summary Attestation (VSA) v1, signed with the rebuilder's own key (see
// [Signer]), never the release key. rebuild.sigstore.json holds the same
// envelope as a key-signed Sigstore bundle, for cosign v3, which deprecates
// --signature:
//
//	cosign verify-blob-attestation --key rebuilder.pub --signature rebuild.intoto.jsonl \
//	  --type https://slsa.dev/verification_summary/v1 --insecure-ignore-tlog=true <binary>
//	cosign verify-blob-attestation --key rebuilder.pub --bundle rebuild.sigstore.json \
//	  --type https://slsa.dev/verification_summary/v1 --insecure-ignore-tlog=true <binary>
//
// The rebuilder (package rebuild) writes a [Statement]; the verifier
// (package verify) reads one with [Parse]. Both use the types here.
//
// # The statement
//
//	subject                       every rebuilt binary, by its path in the package, with the
//	                              shipped SHA-256 (for a PASS, the rebuilt one is the same)
//	predicate.verifier.id         the rebuilder, a URI it chooses (--rebuilder-id)
//	predicate.verifier.version    the cavra verifier and the Go toolchain that rebuilt
//	predicate.timeVerified        when the rebuild finished (RFC 3339, UTC)
//	predicate.resourceUri         the package and version, pkg:generic/cavra-go-runtime@<version>
//	                              (see [ResourceURI])
//	predicate.policy              the rebuild controls: uri [PolicyURI], digest the SHA-256 of
//	                              the manifest's "build" object (see [PolicyDigest])
//	predicate.inputAttestations   the manifest and the provenance envelope, by their path in the
//	                              package and SHA-256
//	predicate.verificationResult  PASSED when the package verified and every rebuilt binary is
//	                              bit-for-bit the shipped one; else FAILED
//	predicate.verifiedLevels      see below
//	predicate.slsaVersion         "1.0"
//	predicate."https://cavra.dev/rebuild/v1"
//	                              an extension field (VSA allows URI-named fields): the package,
//	                              the host, the release key the package verified against, and
//	                              per target the expected and rebuilt digests and, on a
//	                              mismatch, why they differ (see package explain)
//
// # Why these verified levels
//
// verifiedLevels states the highest level of each track this verification
// supports, and nothing the evidence does not:
//
//   - SLSA_BUILD_LEVEL_1, only when the package verified against a trusted
//     release key or its provenance as a keyless attestation of the identity
//     the operator trusts: its provenance exists, its signature verifies, its build
//     type is ours and it agrees with the manifest, which is what a
//     consumer checks at Build L1. Without a trusted key (a snapshot dry
//     run, --allow-unsigned) the provenance's origin is unknown and the
//     level is left out.
//   - Never SLSA_BUILD_LEVEL_2 or 3: those require a hosted, hardened build
//     platform that signs the provenance itself. A rebuilder sees a
//     signature by the release key, which may live on a maintainer's
//     machine; nothing it checks shows where the build ran.
//   - [LevelReproduced] (CAVRA_REPRODUCED), a custom value (VSA allows them,
//     outside the SLSA_ prefix): this rebuilder rebuilt every binary named
//     in the subjects from the shipped source, offline, with the recorded
//     commands, and got the same bytes. That is the claim the install
//     policy counts.
//   - FAILED alone when verification failed, as the VSA specification says.
//
// dependencyLevels is left out: no dependency's own provenance is verified.
package attestation

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
	"github.com/cavra/cavra/packaging/format/explain"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/provenance"
)

// The file names a rebuild writes into its output folder.
const (
	FileName   = "rebuild.intoto.jsonl"
	BundleName = "rebuild.sigstore.json"
)

// The identifiers of the statement.
const (
	StatementType = provenance.StatementType
	PayloadType   = provenance.PayloadType
	PredicateType = "https://slsa.dev/verification_summary/v1"
	// PolicyURI names the rebuild policy: the verifier's checks, then a
	// rebuild of every binary with the recorded commands under the
	// offline controls, bit for bit.
	PolicyURI = "https://cavra.dev/policies/go-runtime-rebuild/v1"
	// ExtensionKey is the URI-named predicate field holding the rebuild.
	ExtensionKey = "https://cavra.dev/rebuild/v1"
	SLSAVersion  = "1.0"
)

// The verification results.
const (
	Passed = "PASSED"
	Failed = "FAILED"
)

// The verified levels a rebuild may state (see the package documentation).
const (
	LevelBuild1     = "SLSA_BUILD_LEVEL_1"
	LevelReproduced = "CAVRA_REPRODUCED"
	LevelFailed     = "FAILED"
)

// MaxPayload bounds the statement a reader accepts.
const MaxPayload = 4 << 20

// Statement is an in-toto Statement v1 with a VSA v1 predicate.
type Statement struct {
	Type          string               `json:"_type"`
	Subject       []provenance.Subject `json:"subject"`
	PredicateType string               `json:"predicateType"`
	Predicate     Predicate            `json:"predicate"`
}

// Predicate is a SLSA Verification Summary Attestation v1.
type Predicate struct {
	Verifier           Verifier                        `json:"verifier"`
	TimeVerified       string                          `json:"timeVerified"`
	ResourceURI        string                          `json:"resourceUri"`
	Policy             provenance.ResourceDescriptor   `json:"policy"`
	InputAttestations  []provenance.ResourceDescriptor `json:"inputAttestations,omitempty"`
	VerificationResult string                          `json:"verificationResult"`
	VerifiedLevels     []string                        `json:"verifiedLevels"`
	SLSAVersion        string                          `json:"slsaVersion,omitempty"`
	Rebuild            *Rebuild                        `json:"https://cavra.dev/rebuild/v1,omitempty"`
}

// Verifier identifies the rebuilder.
type Verifier struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// Rebuild is the extension field: what was rebuilt, where and with what
// result.
type Rebuild struct {
	Package  string   `json:"package"` // the package folder, go-runtime-<version>
	Version  string   `json:"version"`
	Commit   string   `json:"commit"`
	Snapshot bool     `json:"snapshot"`
	Trust    string   `json:"release_key"` // the key the package verified against, or UNSIGNED
	Host     Host     `json:"host"`
	Targets  []Target `json:"targets"`
	Error    string   `json:"error,omitempty"`
}

// Host is the machine that rebuilt.
type Host struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	GoVersion string `json:"go_version"`
}

// Target is the rebuild of one target.
type Target struct {
	Target      string               `json:"target"`
	Binary      string               `json:"binary"`
	Status      string               `json:"status"` // PASS, FAIL, SKIP
	Expected    string               `json:"expected_sha256,omitempty"`
	Actual      string               `json:"actual_sha256,omitempty"`
	Differences []explain.Difference `json:"differences,omitempty"`
}

// ResourceURI returns the resourceUri of a package: a package URL of the
// generic type naming the product and the version,
// pkg:generic/cavra-go-runtime@v1.2.3.
func ResourceURI(name, version string) string {
	return "pkg:generic/" + url.PathEscape(name) + "@" + url.PathEscape(version)
}

// PolicyDigest returns the SHA-256 (hex) of the manifest's "build" object
// as encoding/json writes it (compact, map keys sorted): the pinned
// environment, microarchitecture levels, ldflags and flags every binary was
// built, and rebuilt, with.
func PolicyDigest(m *manifest.Manifest) string {
	b, err := json.Marshal(m.Build)
	if err != nil {
		panic(err) // maps of strings and slices of strings always encode
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Levels returns the verified levels of a result (see the package
// documentation): FAILED alone when it did not pass, else CAVRA_REPRODUCED
// and, when the package's provenance verified against a trusted release key
// or keyless identity, SLSA Build L1 first.
func Levels(passed, trustedKey bool) []string {
	switch {
	case !passed:
		return []string{LevelFailed}
	case trustedKey:
		return []string{LevelBuild1, LevelReproduced}
	}
	return []string{LevelReproduced}
}

// Marshal encodes st as the payload of its envelope.
func Marshal(st *Statement) ([]byte, error) { return json.Marshal(st) }

// Parse decodes a statement, refusing duplicate and case-variant keys and
// oversize payloads, and checks what any statement must have: its types,
// at least one subject with a SHA-256, a verifier, a time, a resource, a
// policy, a result of PASSED or FAILED. Unknown fields are ignored, as the
// in-toto parsing rules require. Whether the statement is about a given
// package is for the caller to check.
func Parse(payload []byte) (*Statement, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("statement of %d bytes, more than %d", len(payload), MaxPayload)
	}
	if err := strictjson.CheckDuplicates(payload); err != nil {
		return nil, err
	}
	var st Statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, err
	}
	p := st.Predicate
	switch {
	case st.Type != StatementType:
		return nil, fmt.Errorf("_type %q, want %q", st.Type, StatementType)
	case st.PredicateType != PredicateType:
		return nil, fmt.Errorf("predicateType %q, want %q", st.PredicateType, PredicateType)
	case len(st.Subject) == 0:
		return nil, errors.New("no subject")
	case p.Verifier.ID == "":
		return nil, errors.New("predicate.verifier.id is empty")
	case p.ResourceURI == "":
		return nil, errors.New("predicate.resourceUri is empty")
	case p.Policy.URI == "":
		return nil, errors.New("predicate.policy.uri is empty")
	case p.VerificationResult != Passed && p.VerificationResult != Failed:
		return nil, fmt.Errorf("predicate.verificationResult %q, want %s or %s", p.VerificationResult, Passed, Failed)
	}
	if _, err := time.Parse(time.RFC3339, p.TimeVerified); err != nil {
		return nil, fmt.Errorf("predicate.timeVerified %q is not an RFC 3339 time", p.TimeVerified)
	}
	for _, s := range st.Subject {
		if s.Name == "" || len(s.Digest["sha256"]) != 64 {
			return nil, fmt.Errorf("subject %q has no SHA-256 digest", s.Name)
		}
	}
	return &st, nil
}
