// Package sbom writes the software bills of materials of a CAVRA release
// package: one SPDX 2.3 JSON document and one CycloneDX 1.7 JSON document
// that together describe every cavra-runtime binary in the package and the
// Linux packages that carry them.
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
// Each binary is listed as a file under its path in the package
// ([Binary.Path], never its location on disk) with its SHA-1 and SHA-256.
// In SPDX the binary's file CONTAINS each of its packages, every module is
// a DEPENDENCY_OF the main module, and the document DESCRIBES a root package
// named [Info.Name] at [Info.Version]. In CycloneDX the BOM's
// metadata.component is that application; it depends on each binary's file
// component, which depends on the packages found in it, and the main module
// depends on the other modules and stdlib. The SPDX document comment and
// the CycloneDX metadata properties carry cavra:commit and cavra:snapshot
// (true for a snapshot) as key=value pairs; CycloneDX also has
// cavra:go-version.
//
// Further files given as [File] values, the release's Linux packages, are
// listed as files with their SHA-1 and SHA-256 too: in SPDX each CONTAINS
// the binary it carries, in CycloneDX the application depends on each and
// each on its binary. They are part of the document's identity.
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
// the same binary bytes give the same output bytes, wherever the binaries
// are on disk, whatever the working directory, time zone or clock. syft's
// format helpers stamp the current time and random UUIDs, so Generate takes
// their format models and rewrites these fields before encoding:
//
//   - the creation time is [Info.Created] (SOURCE_DATE_EPOCH) in UTC, to the
//     second;
//   - the SPDX document namespace
//     (<Info.Repository, or https://Info.ModulePath>/spdx/<name>-<version>-<uuid>)
//     and the CycloneDX serial number (urn:uuid:<uuid>) are name-based
//     (version 5) UUIDs over every field of [Info] and the sorted paths,
//     targets and digests of the binaries, one for each format;
//   - the only creator is the tool "syft-" + [SyftVersion] (SPDX) or syft
//     at [SyftVersion] (CycloneDX), a constant, not the syft version found
//     in the running program's build information, which differs between a
//     test binary and a release binary;
//   - packages, files, relationships, components and dependencies are
//     sorted.
//
// Package identifiers come from syft, which derives them by hashing the
// package contents and the binary's package path, so they are stable too.
//
// The verifier side, which reads these documents with the standard library
// alone, is package github.com/cavra/cavra/sbom/inspect.
package sbom

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
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

	"github.com/anchore/syft/syft/file"
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
}

// Generate returns an SPDX 2.3 JSON document and a CycloneDX 1.7 JSON
// document describing bins. It reads each binary once, fails if its SHA-256
// is not [Binary.SHA256], and fails if a binary is not a Go binary of
// info.ModulePath built with info.GoVersion for its [Binary.Target].
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
		data, sha1sum, err := readBinary(b)
		if err != nil {
			return nil, nil, err
		}
		sc, err := catalog(ctx, info, b, data, sha1sum)
		if err != nil {
			return nil, nil, err
		}
		scans = append(scans, sc)
	}
	s := assemble(info, scans, extra)
	id := documentID(info, bins, extra)
	spdx, err = encodeSPDX(s, info, id, scans, extra)
	if err != nil {
		return nil, nil, err
	}
	cyclonedx, err = encodeCycloneDX(s, info, id, scans, extra)
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
		if b.Path == "" || b.Path != path.Clean(b.Path) || path.IsAbs(b.Path) ||
			b.Path == "." || strings.HasPrefix(b.Path, "../") || strings.Contains(b.Path, `\`) {
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

// readBinary reads b.File into memory, hashing as it reads, and returns the
// bytes and their SHA-1 if the SHA-256 is b.SHA256. The cataloger then parses
// exactly the bytes that were checked.
func readBinary(b Binary) (data []byte, sha1sum string, err error) {
	f, err := os.Open(b.File)
	if err != nil {
		return nil, "", fmt.Errorf("sbom: %s: %w", b.Path, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		buf.Grow(int(fi.Size()) + bytes.MinRead)
	}
	h256, h1 := sha256.New(), sha1.New()
	if _, err := io.Copy(io.MultiWriter(&buf, h256, h1), f); err != nil {
		return nil, "", fmt.Errorf("sbom: %s: %w", b.Path, err)
	}
	if got := sum(h256); got != b.SHA256 {
		return nil, "", fmt.Errorf("sbom: %s: sha256 mismatch: file has %s, want %s", b.Path, got, b.SHA256)
	}
	return buf.Bytes(), sum(h1), nil
}

func sum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// File is a further file of the release that the SBOMs list with its
// digests, such as a Linux package; Contains names the binary it carries.
type File struct {
	Path     string // slash path in the package
	File     string // where it is on disk now
	SHA256   string // hex, already computed by the caller
	Contains string // path of the binary it carries, or ""
}

// extraFile is a File that was read and hashed.
type extraFile struct {
	File
	sha1  string
	coord file.Coordinates
}

// readFiles checks and hashes files (each read once), sorted by path.
func readFiles(bins []Binary, files []File) ([]extraFile, error) {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	var out []extraFile
	for i, f := range files {
		if f.Path == "" || f.Path != path.Clean(f.Path) || path.IsAbs(f.Path) || strings.HasPrefix(f.Path, "../") || strings.Contains(f.Path, `\`) {
			return nil, fmt.Errorf("sbom: file path %q is not a clean relative slash path", f.Path)
		}
		if (i > 0 && files[i-1].Path == f.Path) || slices.ContainsFunc(bins, func(b Binary) bool { return b.Path == f.Path }) {
			return nil, fmt.Errorf("sbom: %s: listed twice", f.Path)
		}
		if f.Contains != "" && !slices.ContainsFunc(bins, func(b Binary) bool { return b.Path == f.Contains }) {
			return nil, fmt.Errorf("sbom: %s: contains %s, which is not a binary of the release", f.Path, f.Contains)
		}
		in, err := os.Open(f.File)
		if err != nil {
			return nil, fmt.Errorf("sbom: %s: %w", f.Path, err)
		}
		h256, h1 := sha256.New(), sha1.New()
		_, err = io.Copy(io.MultiWriter(h256, h1), in)
		in.Close()
		if err != nil {
			return nil, fmt.Errorf("sbom: %s: %w", f.Path, err)
		}
		if got := sum(h256); got != strings.ToLower(f.SHA256) {
			return nil, fmt.Errorf("sbom: %s: sha256 mismatch: file has %s, want %s", f.Path, got, f.SHA256)
		}
		f.SHA256 = strings.ToLower(f.SHA256)
		out = append(out, extraFile{File: f, sha1: sum(h1), coord: file.NewCoordinates(f.Path, "")})
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
