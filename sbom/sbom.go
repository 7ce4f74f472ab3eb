// Package sbom writes the software bills of materials of a CAVRA release
// package: one SPDX 2.3 JSON document and one CycloneDX 1.7 JSON document
// that together describe every cavra-runtime binary in the package, the
// Linux packages that carry them and the source archive they were built
// from, so that an auditor finds in each document the NTIA minimum elements
// and the data fields BSI TR-03183-2 v2.0.0 requires (package
// github.com/cavra/cavra/sbom/inspect checks both).
//
// # What is described
//
// [Generate] reads each release binary, checks it against the SHA-256 the
// caller computed, and runs syft's Go binary cataloger
// (github.com/anchore/syft/syft/pkg/cataloger/golang) over it. From the Go
// build information embedded in a binary the cataloger finds
//
//   - the main module (its version is set to [Info.Version], because a
//     binary built with -trimpath -buildvcs=false records "(devel)"),
//   - every module linked in (the "dep" lines of the build information),
//   - the Go standard library, as a package named "stdlib" whose version is
//     the Go version ("go1.26.8").
//
// The components of the documents are
//
//   - the release, named [Info.Name] at [Info.Version]: the SPDX document
//     DESCRIBES it, it is the CycloneDX metadata.component;
//   - the deployables: each binary, each Linux package and the source
//     archive ([File]), named by its path in the package ([Binary.Path],
//     never its location on disk), at the release version, with its file
//     name, SHA-256 and SHA-512, a pkg:generic package URL carrying the
//     SHA-256, and BSI's executable, archive and structured properties
//     (SPDX: packages with packageFileName, checksums and annotations
//     "bsi:component:executable=executable"; CycloneDX: components of type
//     file with hashes and the bsi:component:* properties of BSI's
//     CycloneDX taxonomy);
//   - the Go modules and the standard library found in each binary.
//
// The release contains (SPDX CONTAINS, CycloneDX dependsOn) its
// deployables; each binary contains the modules and the standard library
// linked into it; each Linux package contains its binary; each binary is
// GENERATED_FROM the source archive (SPDX); the main module depends on the
// other modules and stdlib. Every CycloneDX component has an entry in the
// dependency graph, empty when it depends on nothing.
//
// Supplier, creator and author: [Info.Supplier] (CAVRA, with a URL and an
// e-mail address) supplies and creates the release, its deployables and
// the main module, and authors both documents together with the tool syft
// (SPDX creators "Organization: ..." and "Tool: syft-..."; CycloneDX
// metadata.authors, manufacturer, supplier and tools). The Go standard
// library is supplied and created by [GoAuthors].
//
// Licences: the release's own code is under [Info.License] (read from
// LICENSE by the caller), declared for the release, its deployables and
// the main module; stdlib is under [StdlibLicense]. The concluded licence
// of a deployable is the conjunction of the licences of what it contains
// (a binary: "Apache-2.0 AND BSD-3-Clause"), NOASSERTION when a module of
// unknown licence is linked in. Modules of other suppliers keep what syft
// says about them (nothing: licence search is off), so their supplier and
// licence stay NOASSERTION and the checker fails them, by name.
//
// The SPDX document comment and the CycloneDX metadata properties carry
// cavra:commit and cavra:snapshot (true for a snapshot) as key=value
// pairs; CycloneDX also has cavra:go-version.
//
// Nothing is fetched: license search, module proxies and guessing versions
// from binary contents are all off.
//
// # Checks
//
// Generate refuses a binary whose SHA-256 is not [Binary.SHA256], that is
// not an executable, that has no Go build information, whose main module
// is not [Info.ModulePath], that was built for another target than
// [Binary.Target] or with another Go than [Info.GoVersion]. Errors name the
// binary by its path in the package:
//
//	sbom: bin/linux-amd64/cavra-runtime: sha256 mismatch: file has 5e3f…, want 0a1b…
//
// A binary is read into memory once and hashed as it is read, so what is
// described is exactly what was checked. The cataloger's complaints about
// secondary metadata (kastenhq/goversion cannot read the crypto settings of
// stripped Mach-O and PE binaries) are ignored once the build information
// has been read.
//
// # Determinism
//
// Both documents are a function of their inputs alone: the same [Info] and
// the same file bytes give the same output bytes, wherever the files are on
// disk, whatever the working directory, time zone or clock. syft's format
// helpers stamp the current time and random UUIDs, so Generate takes their
// format models and rewrites these fields before encoding:
//
//   - the creation time is [Info.Created] (SOURCE_DATE_EPOCH) in UTC, to the
//     second;
//   - the SPDX document namespace
//     (<Info.Repository, or https://Info.ModulePath>/spdx/<name>-<version>-<uuid>)
//     and the CycloneDX serial number (urn:uuid:<uuid>) are name-based
//     (version 5) UUIDs over every field of [Info] and the sorted paths,
//     targets, kinds and digests of the files, one for each format;
//   - the tool is "syft-" + [SyftVersion] (SPDX) or syft at [SyftVersion]
//     (CycloneDX), a constant, not the syft version found in the running
//     program's build information, which differs between a test binary and
//     a release binary;
//   - packages, components, relationships and dependencies are sorted.
//
// Package identifiers come from syft, which derives them by hashing the
// package contents and the binary's package path, so they are stable too;
// the identifiers of deployables are their paths (CycloneDX) or derived
// from them (SPDX).
//
// The verifier side, which reads and checks these documents with the
// standard library alone, is package github.com/cavra/cavra/sbom/inspect.
package sbom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/sbom/inspect"
)

// File names of the documents inside a release package.
const (
	SPDXPath      = "sbom/cavra-runtime.spdx.json"
	CycloneDXPath = "sbom/cavra-runtime.cdx.json"
)

// SyftVersion is the version of syft named as the tool in both documents.
// It is fixed here, not read from build information, so that a test binary
// and a release binary write the same bytes; a test checks it against the
// module graph.
const SyftVersion = "v1.57.1"

// StdlibLicense is the licence of the Go standard library (GOROOT/LICENSE;
// a test checks it).
const StdlibLicense = "BSD-3-Clause"

// GoAuthors supply and create the Go standard library.
var GoAuthors = Party{Name: "The Go Authors", URL: "https://go.dev"}

// Party is an organisation the documents name as supplier, creator or
// author.
type Party struct {
	Name  string // e.g. "CAVRA"
	URL   string // https URL, e.g. "https://github.com/cavra/cavra"
	Email string // contact address, or ""
}

// Check reports what is wrong with p, naming the field.
func (p Party) Check() error { return inspect.CheckParty(p.Name, p.URL, p.Email) }

// Binary is one release binary to describe.
type Binary struct {
	Path   string // slash path in the package, e.g. "bin/linux-amd64/cavra-runtime"
	Target string // "linux/amd64"
	File   string // where it is on disk now
	SHA256 string // hex, already computed by the caller
}

// Info describes the release.
type Info struct {
	Name       string    // "cavra-runtime"
	Version    string    // e.g. "v1.2.3" or "v0.0.0-snapshot.0123456789ab"
	Commit     string    // 40 hex
	Repository string    // e.g. "https://github.com/cavra/cavra" (may be empty)
	ModulePath string    // "github.com/cavra/cavra"
	GoVersion  string    // "go1.26.8"
	Created    time.Time // SOURCE_DATE_EPOCH, UTC
	Snapshot   bool
	Supplier   Party  // supplies and creates the release, authors the documents
	License    string // SPDX licence expression of the release's own code, e.g. "Apache-2.0"
}

// Generate returns an SPDX 2.3 JSON document and a CycloneDX 1.7 JSON
// document describing bins and files. It reads each file once, fails if
// its SHA-256 is not the one given, and fails if a binary is not a Go
// binary of info.ModulePath built with info.GoVersion for its
// [Binary.Target].
func Generate(ctx context.Context, info Info, bins []Binary, files ...File) (spdx, cyclonedx []byte, err error) {
	if err := info.check(); err != nil {
		return nil, nil, err
	}
	bins, err = checkBinaries(bins)
	if err != nil {
		return nil, nil, err
	}
	extra, err := readFiles(bins, files)
	if err != nil {
		return nil, nil, err
	}
	var scans []*scan
	for _, b := range bins {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("sbom: %w", err)
		}
		data, sha512sum, err := readBinary(b)
		if err != nil {
			return nil, nil, err
		}
		sc, err := catalog(ctx, info, b, data, sha512sum)
		if err != nil {
			return nil, nil, err
		}
		scans = append(scans, sc)
	}
	m := newModel(info, scans, extra)
	id := documentID(info, bins, extra)
	spdx, err = encodeSPDX(m, id)
	if err != nil {
		return nil, nil, err
	}
	cyclonedx, err = encodeCycloneDX(m, id)
	if err != nil {
		return nil, nil, err
	}
	return spdx, cyclonedx, nil
}

func (info Info) check() error {
	for _, f := range []struct{ name, v string }{
		{"Name", info.Name},
		{"Version", info.Version},
		{"ModulePath", info.ModulePath},
		{"GoVersion", info.GoVersion},
	} {
		if f.v == "" {
			return fmt.Errorf("sbom: info: %s is empty", f.name)
		}
		if strings.ContainsAny(f.v, " \t\r\n#") {
			return fmt.Errorf("sbom: info: %s %q has a space or #", f.name, f.v)
		}
	}
	if !strings.HasPrefix(info.GoVersion, "go") {
		return fmt.Errorf("sbom: info: GoVersion %q does not start with go", info.GoVersion)
	}
	if len(info.Commit) != 40 || !isLowerHex(info.Commit) {
		return fmt.Errorf("sbom: info: Commit %q is not 40 lower-case hex digits", info.Commit)
	}
	if info.Repository != "" && !strings.HasPrefix(info.Repository, "https://") {
		return fmt.Errorf("sbom: info: Repository %q is not an https URL", info.Repository)
	}
	if info.Created.IsZero() {
		return errors.New("sbom: info: Created is zero (set it from SOURCE_DATE_EPOCH)")
	}
	if err := info.Supplier.Check(); err != nil {
		return fmt.Errorf("sbom: info: Supplier: %w", err)
	}
	if err := inspect.CheckLicense(info.License); err != nil {
		return fmt.Errorf("sbom: info: License: %w", err)
	}
	return nil
}

// checkBinaries returns a copy of bins sorted by path, after checking that
// paths are clean, relative and distinct, targets are os/arch and digests
// are hex.
func checkBinaries(bins []Binary) ([]Binary, error) {
	if len(bins) == 0 {
		return nil, errors.New("sbom: no binaries")
	}
	bins = slices.Clone(bins)
	slices.SortFunc(bins, func(a, b Binary) int { return strings.Compare(a.Path, b.Path) })
	for i, b := range bins {
		if !cleanPath(b.Path) {
			return nil, fmt.Errorf("sbom: binary path %q is not a clean relative slash path", b.Path)
		}
		if i > 0 && bins[i-1].Path == b.Path {
			return nil, fmt.Errorf("sbom: %s: listed twice", b.Path)
		}
		goos, goarch, ok := strings.Cut(b.Target, "/")
		if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
			return nil, fmt.Errorf("sbom: %s: target %q is not os/arch", b.Path, b.Target)
		}
		if len(b.SHA256) != 64 || !isHex(b.SHA256) {
			return nil, fmt.Errorf("sbom: %s: sha256 %q is not 64 hex digits", b.Path, b.SHA256)
		}
		if b.File == "" {
			return nil, fmt.Errorf("sbom: %s: no file on disk given", b.Path)
		}
		bins[i].SHA256 = strings.ToLower(b.SHA256)
	}
	return bins, nil
}

func cleanPath(p string) bool {
	return p != "" && p == path.Clean(p) && !path.IsAbs(p) && p != "." &&
		p != ".." && !strings.HasPrefix(p, "../") && !strings.Contains(p, `\`)
}

// readBinary reads b.File into memory, hashing as it reads, and returns the
// bytes and their SHA-512 if the SHA-256 is b.SHA256. The cataloger then
// parses exactly the bytes that were checked.
func readBinary(b Binary) (data []byte, sha512sum string, err error) {
	f, err := os.Open(b.File)
	if err != nil {
		return nil, "", fmt.Errorf("sbom: %s: %w", b.Path, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		buf.Grow(int(fi.Size()) + bytes.MinRead)
	}
	h256, h512 := sha256.New(), sha512.New()
	if _, err := io.Copy(io.MultiWriter(&buf, h256, h512), f); err != nil {
		return nil, "", fmt.Errorf("sbom: %s: %w", b.Path, err)
	}
	if got := sum(h256); got != b.SHA256 {
		return nil, "", fmt.Errorf("sbom: %s: sha256 mismatch: file has %s, want %s", b.Path, got, b.SHA256)
	}
	return buf.Bytes(), sum(h512), nil
}

func sum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// FileKind says what a further file of the release is.
type FileKind string

// The kinds of further file.
const (
	LinuxPackage  FileKind = "package" // a .deb, .rpm or .apk carrying a binary
	SourceArchive FileKind = "source"  // the source archive the binaries were built from
)

// File is a further file of the release that the documents list as a
// deployable: a Linux package, which Contains a binary, or the source
// archive.
type File struct {
	Kind     FileKind
	Path     string // slash path in the package
	File     string // where it is on disk now
	SHA256   string // hex, already computed by the caller
	Contains string // a Linux package: the path of the binary it carries
}

// extraFile is a File that was read and hashed.
type extraFile struct {
	File
	sha512 string
}

// readFiles checks and hashes files (each read once), sorted by path.
func readFiles(bins []Binary, files []File) ([]extraFile, error) {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	var out []extraFile
	sources := 0
	for i, f := range files {
		if !cleanPath(f.Path) {
			return nil, fmt.Errorf("sbom: file path %q is not a clean relative slash path", f.Path)
		}
		if (i > 0 && files[i-1].Path == f.Path) || slices.ContainsFunc(bins, func(b Binary) bool { return b.Path == f.Path }) {
			return nil, fmt.Errorf("sbom: %s: listed twice", f.Path)
		}
		switch f.Kind {
		case LinuxPackage:
			if !slices.ContainsFunc(bins, func(b Binary) bool { return b.Path == f.Contains }) {
				return nil, fmt.Errorf("sbom: %s: contains %q, which is not a binary of the release", f.Path, f.Contains)
			}
		case SourceArchive:
			if sources++; sources > 1 {
				return nil, fmt.Errorf("sbom: %s: a second source archive", f.Path)
			}
			if f.Contains != "" {
				return nil, fmt.Errorf("sbom: %s: a source archive contains no binary (%s)", f.Path, f.Contains)
			}
		default:
			return nil, fmt.Errorf("sbom: %s: kind %q is not %q or %q", f.Path, f.Kind, LinuxPackage, SourceArchive)
		}
		in, err := os.Open(f.File)
		if err != nil {
			return nil, fmt.Errorf("sbom: %s: %w", f.Path, err)
		}
		h256, h512 := sha256.New(), sha512.New()
		_, err = io.Copy(io.MultiWriter(h256, h512), in)
		in.Close()
		if err != nil {
			return nil, fmt.Errorf("sbom: %s: %w", f.Path, err)
		}
		if got := sum(h256); got != strings.ToLower(f.SHA256) {
			return nil, fmt.Errorf("sbom: %s: sha256 mismatch: file has %s, want %s", f.Path, got, f.SHA256)
		}
		f.SHA256 = strings.ToLower(f.SHA256)
		out = append(out, extraFile{File: f, sha512: sum(h512)})
	}
	return out, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

func isLowerHex(s string) bool {
	return isHex(s) && s == strings.ToLower(s)
}
