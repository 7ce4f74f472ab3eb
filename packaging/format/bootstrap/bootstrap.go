// Package bootstrap defines offline-trust-root-bootstrap.json, the file of a
// package that tells an offline verifier where to start: every file the
// package holds, the release key and its fingerprint, who signed, and the
// exact commands that check it with standard tools. The release writes it;
// the verifier reads it with [Parse] and checks it against its own list.
package bootstrap

import "github.com/cavra/cavra/internal/strictjson"

// Schema identifies this format.
const Schema = "https://cavra.dev/schemas/offline-trust-bootstrap/v1"

// Document is offline-trust-root-bootstrap.json: what an offline
// verifier needs to start trusting a package, and the exact commands that
// check it with standard tools. A verifier still trusts only a key (or
// fingerprint) it was given: this file states which one that should be.
type Document struct {
	SchemaVersion string    `json:"schema_version"`
	Package       Package   `json:"package"`
	RequiredFiles []string  `json:"required_files"` // every file of the package but the TUF metadata (written after it)
	PublicKey     Key       `json:"public_key"`
	Signer        Signer    `json:"signer"`
	Commands      []Command `json:"verify_commands"`
}

// Package identifies the package.
type Package struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Snapshot bool   `json:"snapshot"`
}

// Key is the release public key.
type Key struct {
	Path        string `json:"path"` // cosign.pub
	Algorithm   string `json:"algorithm"`
	Fingerprint string `json:"sha256_fingerprint"` // sha256:<hex of the DER key>
	PEM         string `json:"pem"`
}

// Signer says who signed.
type Signer struct {
	Kind            string `json:"kind"`     // cosign-key, kms or snapshot
	Identity        string `json:"identity"` // e.g. kms:awskms:///alias/cavra-release
	TransparencyLog string `json:"transparency_log"`
}

// Command is one command an operator runs, in the package folder.
type Command struct {
	Purpose string   `json:"purpose"`
	Argv    []string `json:"argv"`
	Command string   `json:"command"` // Argv, quoted for a POSIX shell
}

// Parse decodes a bootstrap file strictly: no unknown fields, no duplicate
// or case-variant keys, nothing after the object.
func Parse(data []byte) (*Document, error) {
	var d Document
	if err := strictjson.Decode(data, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
