package sbom

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/anchore/packageurl-go"
	"github.com/anchore/syft/syft/file"
	"github.com/anchore/syft/syft/format/common/cyclonedxhelpers"
	"github.com/anchore/syft/syft/format/common/spdxhelpers"
	"github.com/anchore/syft/syft/pkg"
	"github.com/anchore/syft/syft/sbom"
	"github.com/anchore/syft/syft/source"
	"github.com/google/uuid"
	"github.com/spdx/tools-golang/spdx"
)

// assemble puts the scans of all binaries into one syft SBOM. The source
// is the release package, a directory, named and versioned as the release.
func assemble(info Info, scans []*scan, extra []extraFile) sbom.SBOM {
	s := sbom.SBOM{
		Artifacts: sbom.Artifacts{
			Packages:     pkg.NewCollection(),
			FileMetadata: make(map[file.Coordinates]file.Metadata),
			FileDigests:  make(map[file.Coordinates][]file.Digest),
		},
		Source: source.Description{
			Name:     info.Name,
			Version:  info.Version,
			Metadata: source.DirectoryMetadata{Path: "."},
		},
		Descriptor: sbom.Descriptor{Name: "syft", Version: SyftVersion},
	}
	for _, sc := range scans {
		s.Artifacts.Packages.Add(sc.pkgs...)
		s.Artifacts.FileMetadata[sc.coord] = sc.meta
		s.Artifacts.FileDigests[sc.coord] = sc.digests
		s.Relationships = append(s.Relationships, sc.rels...)
	}
	for _, f := range extra {
		s.Artifacts.FileMetadata[f.coord] = file.Metadata{Path: f.Path, MIMEType: mimeOf(f.Path)}
		s.Artifacts.FileDigests[f.coord] = []file.Digest{{Algorithm: "sha1", Value: f.sha1}, {Algorithm: "sha256", Value: f.SHA256}}
	}
	return s
}

// mimeOf names the media type of a Linux package by its extension.
func mimeOf(p string) string {
	switch path.Ext(p) {
	case ".deb":
		return "application/vnd.debian.binary-package"
	case ".rpm":
		return "application/x-rpm"
	case ".apk":
		return "application/vnd.alpine.package"
	}
	return "application/octet-stream"
}

// idSpace is the namespace of the name-based UUIDs of documents.
var idSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/cavra/cavra/sbom"))

// documentID returns a name-based UUID over all of info and the paths,
// targets and digests of bins, which are sorted by path.
func documentID(info Info, bins []Binary, extra []extraFile) uuid.UUID {
	var b strings.Builder
	fmt.Fprintf(&b, "name=%s\nversion=%s\ncommit=%s\nrepository=%s\nmodule=%s\ngo=%s\ncreated=%d\nsnapshot=%t\n",
		info.Name, info.Version, info.Commit, info.Repository, info.ModulePath, info.GoVersion,
		info.Created.Unix(), info.Snapshot)
	for _, bin := range bins {
		fmt.Fprintf(&b, "binary=%s %s %s\n", bin.Path, bin.Target, bin.SHA256)
	}
	for _, f := range extra {
		fmt.Fprintf(&b, "file=%s %s %s\n", f.Path, f.SHA256, f.Contains)
	}
	return uuid.NewSHA1(idSpace, []byte(b.String()))
}

// created formats the creation time as both formats want it.
func created(info Info) string {
	return info.Created.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// comment is the SPDX document comment: a line for people, then
// key=value lines for programs.
func comment(info Info) string {
	kind := "release"
	if info.Snapshot {
		kind = "snapshot (not a release)"
	}
	return fmt.Sprintf("%s %s %s of %s built with %s\ncavra:commit=%s\ncavra:snapshot=%t",
		info.Name, info.Version, kind, info.ModulePath, info.GoVersion, info.Commit, info.Snapshot)
}

func encodeSPDX(s sbom.SBOM, info Info, id uuid.UUID, scans []*scan, extra []extraFile) ([]byte, error) {
	doc := spdxhelpers.ToFormatModel(s)
	if doc == nil || doc.CreationInfo == nil {
		return nil, fmt.Errorf("sbom: spdx: syft made no document")
	}
	base := info.Repository
	if base == "" {
		base = "https://" + info.ModulePath
	}
	doc.DocumentName = info.Name
	doc.DocumentNamespace = strings.TrimSuffix(base, "/") + "/spdx/" +
		url.PathEscape(info.Name+"-"+info.Version) + "-" + uuid.NewSHA1(id, []byte("spdx")).String()
	doc.DocumentComment = comment(info)
	doc.CreationInfo.Created = created(info)
	doc.CreationInfo.Creators = []spdx.Creator{{CreatorType: "Tool", Creator: "syft-" + SyftVersion}}

	var root *spdx.Package
	for _, r := range doc.Relationships {
		if r.Relationship == "DESCRIBES" && r.RefA.ElementRefID == "DOCUMENT" {
			for _, p := range doc.Packages {
				if p.PackageSPDXIdentifier == r.RefB.ElementRefID {
					root = p
				}
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("sbom: spdx: syft described no root package")
	}
	root.PrimaryPackagePurpose = "APPLICATION"
	root.PackageSourceInfo = "built from " + info.ModulePath + " at commit " + info.Commit
	if info.Repository != "" {
		root.PackageDownloadLocation = "git+" + info.Repository + "@" + info.Commit
	}
	root.PackageExternalReferences = []*spdx.PackageExternalReference{{
		Category: "PACKAGE-MANAGER",
		RefType:  "purl",
		Locator:  goPURL(info.ModulePath, info.Version),
	}}

	// Each binary CONTAINS the packages found in it. (Put into syft's
	// model instead, this relationship would make syft claim that each
	// package contains the binary's file, with a verification code.)
	for _, sc := range scans {
		fileID, err := spdxFileID(doc, sc.bin.Path)
		if err != nil {
			return nil, err
		}
		for _, p := range sc.pkgs {
			pkgID, err := spdxPackageID(doc, p)
			if err != nil {
				return nil, fmt.Errorf("sbom: spdx: %s: %w", sc.bin.Path, err)
			}
			doc.Relationships = append(doc.Relationships, &spdx.Relationship{
				RefA:         spdx.DocElementID{ElementRefID: fileID},
				Relationship: "CONTAINS",
				RefB:         spdx.DocElementID{ElementRefID: pkgID},
			})
		}
	}

	// Each Linux package CONTAINS the binary it carries.
	for _, f := range extra {
		if f.Contains == "" {
			continue
		}
		fileID, err := spdxFileID(doc, f.Path)
		if err != nil {
			return nil, err
		}
		binID, err := spdxFileID(doc, f.Contains)
		if err != nil {
			return nil, err
		}
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         spdx.DocElementID{ElementRefID: fileID},
			Relationship: "CONTAINS",
			RefB:         spdx.DocElementID{ElementRefID: binID},
		})
	}

	slices.SortFunc(doc.Packages, func(a, b *spdx.Package) int {
		return cmp.Or(
			strings.Compare(a.PackageName, b.PackageName),
			strings.Compare(a.PackageVersion, b.PackageVersion),
			strings.Compare(string(a.PackageSPDXIdentifier), string(b.PackageSPDXIdentifier)))
	})
	slices.SortFunc(doc.Files, func(a, b *spdx.File) int {
		return cmp.Or(
			strings.Compare(a.FileName, b.FileName),
			strings.Compare(string(a.FileSPDXIdentifier), string(b.FileSPDXIdentifier)))
	})
	key := func(d spdx.DocElementID) string {
		return string(d.DocumentRefID) + ":" + string(d.ElementRefID) + ":" + d.SpecialID
	}
	slices.SortFunc(doc.Relationships, func(a, b *spdx.Relationship) int {
		return cmp.Or(
			strings.Compare(key(a.RefA), key(b.RefA)),
			strings.Compare(a.Relationship, b.Relationship),
			strings.Compare(key(a.RefB), key(b.RefB)),
			strings.Compare(a.RelationshipComment, b.RelationshipComment))
	})
	doc.Relationships = slices.CompactFunc(doc.Relationships, func(a, b *spdx.Relationship) bool {
		return *a == *b
	})

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("sbom: spdx: %w", err)
	}
	return buf.Bytes(), nil
}

// spdxFileID returns the SPDX identifier syft gave the file named name.
func spdxFileID(doc *spdx.Document, name string) (spdx.ElementID, error) {
	var ids []spdx.ElementID
	for _, f := range doc.Files {
		if f.FileName == name {
			ids = append(ids, f.FileSPDXIdentifier)
		}
	}
	if len(ids) != 1 {
		return "", fmt.Errorf("sbom: spdx: %s: found %d files, want 1", name, len(ids))
	}
	return ids[0], nil
}

// spdxPackageID returns the SPDX identifier syft gave p, which ends with
// p's ID.
func spdxPackageID(doc *spdx.Document, p pkg.Package) (spdx.ElementID, error) {
	var ids []spdx.ElementID
	for _, q := range doc.Packages {
		if q.PackageName == p.Name && strings.HasSuffix(string(q.PackageSPDXIdentifier), "-"+string(p.ID())) {
			ids = append(ids, q.PackageSPDXIdentifier)
		}
	}
	if len(ids) != 1 {
		return "", fmt.Errorf("package %s %s: found %d SPDX packages, want 1", p.Name, p.ID(), len(ids))
	}
	return ids[0], nil
}

func encodeCycloneDX(s sbom.SBOM, info Info, id uuid.UUID, scans []*scan, extra []extraFile) ([]byte, error) {
	bom := cyclonedxhelpers.ToFormatModel(s)
	if bom == nil || bom.Metadata == nil || bom.Components == nil {
		return nil, fmt.Errorf("sbom: cyclonedx: syft made no BOM")
	}
	bom.SerialNumber = uuid.NewSHA1(id, []byte("cyclonedx")).URN()
	bom.Version = 1

	md := bom.Metadata
	md.Timestamp = created(info)
	md.Tools = &cdx.ToolsChoice{Components: &[]cdx.Component{{
		Type:    cdx.ComponentTypeApplication,
		Author:  "anchore",
		Name:    "syft",
		Version: SyftVersion,
	}}}
	root := &cdx.Component{
		BOMRef:     info.Name + "@" + info.Version,
		Type:       cdx.ComponentTypeApplication,
		Name:       info.Name,
		Version:    info.Version,
		PackageURL: goPURL(info.ModulePath, info.Version),
	}
	if info.Repository != "" {
		root.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeVCS, URL: info.Repository}}
	}
	md.Component = root
	md.Properties = &[]cdx.Property{
		{Name: "cavra:commit", Value: info.Commit},
		{Name: "cavra:go-version", Value: info.GoVersion},
		{Name: "cavra:snapshot", Value: strconv.FormatBool(info.Snapshot)},
	}

	refs := make(map[string]bool)
	for _, c := range *bom.Components {
		refs[c.BOMRef] = true
	}
	if refs[root.BOMRef] {
		return nil, fmt.Errorf("sbom: cyclonedx: bom-ref %s used twice", root.BOMRef)
	}
	deps := make(map[string][]string)
	if bom.Dependencies != nil {
		for _, d := range *bom.Dependencies {
			if d.Dependencies != nil {
				deps[d.Ref] = append(deps[d.Ref], *d.Dependencies...)
			}
		}
	}
	// The release depends on its binaries, each binary on what is in it.
	for _, sc := range scans {
		fileRef := string(sc.coord.ID())
		if !refs[fileRef] {
			return nil, fmt.Errorf("sbom: cyclonedx: %s: no file component", sc.bin.Path)
		}
		deps[root.BOMRef] = append(deps[root.BOMRef], fileRef)
		for _, p := range sc.pkgs {
			ref := bomRef(p)
			if !refs[ref] {
				return nil, fmt.Errorf("sbom: cyclonedx: %s: no component for %s", sc.bin.Path, p.Name)
			}
			deps[fileRef] = append(deps[fileRef], ref)
		}
	}
	// The release depends on its Linux packages, each on the binary in it.
	for _, f := range extra {
		ref := string(f.coord.ID())
		if !refs[ref] {
			return nil, fmt.Errorf("sbom: cyclonedx: %s: no file component", f.Path)
		}
		deps[root.BOMRef] = append(deps[root.BOMRef], ref)
		if f.Contains != "" {
			deps[ref] = append(deps[ref], string(file.NewCoordinates(f.Contains, "").ID()))
		}
	}
	dependencies := make([]cdx.Dependency, 0, len(deps))
	for ref, on := range deps {
		slices.Sort(on)
		on = slices.Compact(on)
		dependencies = append(dependencies, cdx.Dependency{Ref: ref, Dependencies: &on})
	}
	slices.SortFunc(dependencies, func(a, b cdx.Dependency) int { return strings.Compare(a.Ref, b.Ref) })
	bom.Dependencies = &dependencies

	slices.SortStableFunc(*bom.Components, func(a, b cdx.Component) int {
		return cmp.Or(
			cmp.Compare(fileLast(a), fileLast(b)),
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Version, b.Version),
			strings.Compare(a.BOMRef, b.BOMRef))
	})

	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cycloneDXVersion); err != nil {
		return nil, fmt.Errorf("sbom: cyclonedx: %w", err)
	}
	return buf.Bytes(), nil
}

func fileLast(c cdx.Component) int {
	if c.Type == cdx.ComponentTypeFile {
		return 1
	}
	return 0
}

// bomRef is the bom-ref syft's CycloneDX encoder gives a package: its
// package URL with a package-id qualifier, or its ID.
func bomRef(p pkg.Package) string {
	u, err := packageurl.FromString(p.PURL)
	if err != nil {
		return string(p.ID())
	}
	u.Qualifiers = append(u.Qualifiers, packageurl.Qualifier{Key: "package-id", Value: string(p.ID())})
	return u.ToString()
}

// cycloneDXVersion is the CycloneDX spec version written: the newest that
// syft v1.57.1 encodes. It is pinned so that a newer syft does not change
// the documents unnoticed.
const cycloneDXVersion = cdx.SpecVersion1_7
