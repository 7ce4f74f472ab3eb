// Package artifact is the typed list of files a release hands from step to
// step: every file of a package is an [Artifact] with its kind, path, size and
// SHA-256, recorded by the step that wrote it. Steps read the list; none
// globs the output folder.
package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cavra/cavra/packaging/format/layout"
)

// Kind says what an artifact is.
type Kind string

// The kinds of artifact a release produces.
const (
	Binary     Kind = "binary"     // a cavra-runtime executable for one target
	Source     Kind = "source"     // the source archive the binaries were built from
	Module     Kind = "module"     // a file of the offline module proxy
	Manifest   Kind = "manifest"   // cavra-runtime.reproducibility.json
	Package    Kind = "package"    // a Linux package (deb, rpm, apk)
	SBOM       Kind = "sbom"       // an SPDX or CycloneDX document
	VEX        Kind = "vex"        // vulnerability evidence: OpenVEX, CycloneDX VEX, the in-toto vulns statement
	Provenance Kind = "provenance" // the DSSE-signed in-toto statement
	// Attestation is a DSSE envelope or Sigstore bundle of an in-toto
	// statement the package lists (the vulnerability statement).
	Attestation Kind = "attestation"
	Evidence    Kind = "evidence"           // release evidence (JSON or Markdown)
	Bootstrap   Kind = "bootstrap"          // the offline trust bootstrap file list
	PublicKey   Kind = "public-key"         // the release public key
	SigningOps  Kind = "signing-operations" // cavra-runtime.signing-operations.json
	TrustedRoot Kind = "trusted-root"       // sigstore/trusted_root.json, Sigstore's trusted root
	TUF         Kind = "tuf-metadata"       // a TUF metadata file under trust/
	Checksums   Kind = "checksums"          // checksums.txt
	Signature   Kind = "signature"          // a detached signature of another artifact
	Archive     Kind = "archive"            // the package zip (outside the package)
)

// Artifact is one file of a release.
type Artifact struct {
	Kind   Kind   `json:"kind"`
	Path   string `json:"path"`             // slash path relative to the package root
	Target string `json:"target,omitempty"` // "os/arch" for per-target files
	Format string `json:"format,omitempty"` // e.g. deb, spdx-json, cyclonedx-json
	Size   int64  `json:"size_bytes"`
	SHA256 string `json:"sha256"`
	Signs  string `json:"signs,omitempty"` // for a signature: the path it signs

	// For a Linux package: its version as the format spells it, and the
	// path in the package of the binary it carries.
	Version  string `json:"version,omitempty"`
	Contains string `json:"contains,omitempty"`
}

// List is an ordered list of artifacts.
type List []Artifact

// Of returns the artifacts of kind k, in list order.
func (l List) Of(k Kind) List {
	var out List
	for _, a := range l {
		if a.Kind == k {
			out = append(out, a)
		}
	}
	return out
}

// Find returns the artifact at path p.
func (l List) Find(p string) (Artifact, bool) {
	for _, a := range l {
		if a.Path == p {
			return a, true
		}
	}
	return Artifact{}, false
}

// Sorted returns a copy of l sorted by path.
func (l List) Sorted() List {
	out := slices.Clone(l)
	slices.SortFunc(out, func(a, b Artifact) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Create writes a new file at root/p with the given mode (umask does not
// apply), streaming what write produces through SHA-256, and returns its
// artifact record.
func Create(root, p string, kind Kind, mode fs.FileMode, write func(io.Writer) error) (Artifact, error) {
	if err := layout.CheckPath(p); err != nil {
		return Artifact{}, err
	}
	name := filepath.Join(root, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return Artifact{}, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return Artifact{}, err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	err = write(cw)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return Artifact{}, fmt.Errorf("%s: %w", p, err)
	}
	return Artifact{Kind: kind, Path: p, Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// WriteFile is [Create] for a file whose bytes are already in memory.
func WriteFile(root, p string, kind Kind, mode fs.FileMode, data []byte) (Artifact, error) {
	return Create(root, p, kind, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Stat hashes the existing file root/p, sets its mode, and returns its record.
func Stat(root, p string, kind Kind, mode fs.FileMode) (Artifact, error) {
	if err := layout.CheckPath(p); err != nil {
		return Artifact{}, err
	}
	name := filepath.Join(root, filepath.FromSlash(p))
	if st, err := os.Lstat(name); err != nil {
		return Artifact{}, err
	} else if !st.Mode().IsRegular() {
		return Artifact{}, fmt.Errorf("%s: not a regular file", p)
	}
	f, err := os.Open(name)
	if err != nil {
		return Artifact{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Artifact{}, fmt.Errorf("%s: %w", p, err)
	}
	if err := os.Chmod(name, mode); err != nil {
		return Artifact{}, err
	}
	return Artifact{Kind: kind, Path: p, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
