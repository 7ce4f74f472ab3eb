package sbom

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/anchore/packageurl-go"
	"github.com/anchore/syft/syft/pkg"
	"github.com/anchore/syft/syft/sbom"
	"github.com/anchore/syft/syft/source"

	"github.com/cavra/cavra/sbom/inspect"
)

// model is what both documents say, before either format is written.
type model struct {
	info      Info
	syft      sbom.SBOM // the packages found and their relationships, for syft's format helpers
	scans     []*scan
	files     []*deployable // binaries, Linux packages and the source archive, sorted by path
	concluded string        // concluded licence of the release
}

// The kinds of deployable.
const (
	kindBinary  = "binary"
	kindPackage = "package"
	kindSource  = "source"
)

// deployable is a file of the release the documents list with its digests.
type deployable struct {
	path, sha256, sha512 string
	kind                 string
	scan                 *scan  // a binary's packages
	contains             string // a Linux package's binary
	concluded            string // concluded licence, or NOASSERTION
}

// bsi returns BSI TR-03183-2's executable, archive and structured
// properties of d, with the values of BSI's CycloneDX property taxonomy.
// A Go binary is structured: its build information lists the modules it
// holds (which is how they were found); a Linux package and a tar.gz list
// their files.
func (d *deployable) bsi() (executable, archive, structured string) {
	if d.kind == kindBinary {
		return inspect.Executable, inspect.NoArchive, inspect.Structured
	}
	return inspect.NonExecutable, inspect.Archive, inspect.Structured
}

// purpose is d's SPDX primary package purpose.
func (d *deployable) purpose() string {
	switch d.kind {
	case kindBinary:
		return "APPLICATION"
	case kindPackage:
		return "INSTALL"
	}
	return "SOURCE"
}

// purl is d's package URL: pkg:generic/<file name>@<version>?checksum=sha256:<hex>.
func (d *deployable) purl(version string) string {
	q := packageurl.Qualifiers{{Key: "checksum", Value: "sha256:" + d.sha256}}
	return packageurl.NewPackageURL(packageurl.TypeGeneric, "", path.Base(d.path), version, q, "").ToString()
}

// spdxID is d's SPDX identifier (see fileID).
func (d *deployable) spdxID() string { return fileID(d.path) }

// fileID is the SPDX identifier of the file at path p in the package: the
// path made safe, and a hash of the path so that two paths that differ only
// in unsafe characters differ.
func fileID(p string) string {
	h := sha256.Sum256([]byte(p))
	return "File-" + unsafeID.ReplaceAllString(p, "-") + "-" + hex.EncodeToString(h[:8])
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// newModel puts the scans of all binaries and the further files into one
// model. The syft SBOM holds packages alone: the documents list the files
// themselves.
func newModel(info Info, scans []*scan, extra []extraFile) *model {
	m := &model{
		info:  info,
		scans: scans,
		syft: sbom.SBOM{
			Artifacts: sbom.Artifacts{Packages: pkg.NewCollection()},
			Source: source.Description{
				Name:     info.Name,
				Version:  info.Version,
				Metadata: source.DirectoryMetadata{Path: "."},
			},
			Descriptor: sbom.Descriptor{Name: "syft", Version: SyftVersion},
		},
	}
	byPath := map[string]*deployable{}
	for _, sc := range scans {
		m.syft.Artifacts.Packages.Add(sc.pkgs...)
		m.syft.Relationships = append(m.syft.Relationships, sc.rels...)
		var lics []string
		for _, p := range sc.pkgs {
			lics = append(lics, m.license(p))
		}
		d := &deployable{path: sc.bin.Path, sha256: sc.bin.SHA256, sha512: sc.sha512, kind: kindBinary, scan: sc, concluded: and(lics...)}
		m.files = append(m.files, d)
		byPath[d.path] = d
	}
	for _, f := range extra {
		d := &deployable{path: f.Path, sha256: f.SHA256, sha512: f.sha512, kind: kindSource, concluded: info.License}
		if f.Kind == LinuxPackage {
			d.kind, d.contains, d.concluded = kindPackage, f.Contains, byPath[f.Contains].concluded
		}
		m.files = append(m.files, d)
	}
	slices.SortFunc(m.files, func(a, b *deployable) int { return strings.Compare(a.path, b.path) })
	var lics []string
	for _, d := range m.files {
		lics = append(lics, d.concluded)
	}
	m.concluded = and(lics...)
	return m
}

// ours reports whether p is the release's own module.
func (m *model) ours(p pkg.Package) bool { return p.Name == m.info.ModulePath }

// license returns the licence of a package found in a binary: the
// release's for the main module, the Go licence for stdlib, "" when not
// known.
func (m *model) license(p pkg.Package) string {
	switch {
	case m.ours(p):
		return m.info.License
	case p.Name == "stdlib":
		return StdlibLicense
	}
	return ""
}

// source returns the source archive, or nil.
func (m *model) source() *deployable {
	for _, d := range m.files {
		if d.kind == kindSource {
			return d
		}
	}
	return nil
}

// and returns the conjunction of licence expressions, each once, in
// order; NOASSERTION when one is unknown ("" or NOASSERTION).
func and(exprs ...string) string {
	var out []string
	for _, e := range exprs {
		if e == "" || e == noAssertion {
			return noAssertion
		}
		if strings.Contains(e, " ") {
			e = "(" + e + ")"
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return noAssertion
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a), strings.ToLower(b)), strings.Compare(a, b))
	})
	out = slices.Compact(out)
	if len(out) == 1 {
		return strings.TrimSuffix(strings.TrimPrefix(out[0], "("), ")")
	}
	return strings.Join(out, " AND ")
}

const noAssertion = "NOASSERTION"

// agent is a party as SPDX writes an organisation: "CAVRA (mail@example.org)".
func agent(p Party) string {
	if p.Email == "" {
		return p.Name
	}
	return fmt.Sprintf("%s (%s)", p.Name, p.Email)
}
