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
	"github.com/anchore/syft/syft/format/common/cyclonedxhelpers"
	"github.com/anchore/syft/syft/format/common/spdxhelpers"
	"github.com/anchore/syft/syft/pkg"
	"github.com/google/uuid"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"

	"github.com/cavra/cavra/sbom/inspect"
)

// idSpace is the namespace of the name-based UUIDs of documents.
var idSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/cavra/cavra/sbom"))

// documentID returns a name-based UUID over all of info and the paths,
// targets, kinds and digests of bins and extra, which are sorted by path.
func documentID(info Info, bins []Binary, extra []extraFile) uuid.UUID {
	var b strings.Builder
	fmt.Fprintf(&b, "name=%s\nversion=%s\ncommit=%s\nrepository=%s\nmodule=%s\ngo=%s\ncreated=%d\nsnapshot=%t\n",
		info.Name, info.Version, info.Commit, info.Repository, info.ModulePath, info.GoVersion,
		info.Created.Unix(), info.Snapshot)
	fmt.Fprintf(&b, "supplier=%q %q %q\nlicense=%s\n", info.Supplier.Name, info.Supplier.URL, info.Supplier.Email, info.License)
	for _, bin := range bins {
		fmt.Fprintf(&b, "binary=%s %s %s\n", bin.Path, bin.Target, bin.SHA256)
	}
	for _, f := range extra {
		fmt.Fprintf(&b, "file=%s %s %s %s\n", f.Kind, f.Path, f.SHA256, f.Contains)
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

func encodeSPDX(m *model, id uuid.UUID) ([]byte, error) {
	doc := spdxhelpers.ToFormatModel(m.syft)
	if doc == nil || doc.CreationInfo == nil {
		return nil, fmt.Errorf("sbom: spdx: syft made no document")
	}
	spdxHeader(doc, m.info, id)
	root, err := spdxRoot(doc, m)
	if err != nil {
		return nil, err
	}
	for _, d := range m.files {
		if err := spdxDeployable(doc, root, m, d); err != nil {
			return nil, err
		}
	}
	spdxSort(doc)
	return encodeJSON(doc, "spdx")
}

// spdxHeader names the document, gives it a namespace derived from its
// content and names its creators: the supplier and the tool.
func spdxHeader(doc *spdx.Document, info Info, id uuid.UUID) {
	base := info.Repository
	if base == "" {
		base = "https://" + info.ModulePath
	}
	doc.DocumentName = info.Name
	doc.DocumentNamespace = strings.TrimSuffix(base, "/") + "/spdx/" +
		url.PathEscape(info.Name+"-"+info.Version) + "-" + uuid.NewSHA1(id, []byte("spdx")).String()
	doc.DocumentComment = comment(info)
	doc.CreationInfo.Created = created(info)
	doc.CreationInfo.Creators = []spdx.Creator{
		{CreatorType: "Organization", Creator: agent(info.Supplier)},
		{CreatorType: "Tool", Creator: "syft-" + SyftVersion},
	}
}

// spdxRoot finds the package the document describes, the main module,
// and sets its purpose, source and origin, and those of the main module
// and the standard library where syft found them.
func spdxRoot(doc *spdx.Document, m *model) (*spdx.Package, error) {
	info := m.info
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
	root.PackageExternalReferences = []*spdx.PackageExternalReference{purlRef(goPURL(info.ModulePath, info.Version))}
	setOrigin(root, info.Supplier, info.License, m.concluded)

	// The main module is ours, stdlib the Go authors'; syft knows nothing
	// of the others (licence search is off).
	for _, p := range doc.Packages {
		switch {
		case p == root:
		case p.PackageName == info.ModulePath:
			setOrigin(p, info.Supplier, info.License, info.License)
		case p.PackageName == "stdlib":
			setOrigin(p, GoAuthors, StdlibLicense, StdlibLicense)
		}
	}
	return root, nil
}

// spdxDeployable adds the deployable d (a binary, a Linux package, the
// source archive) as a package with its digests, identifier, origin and
// BSI properties, and its relationships: the root CONTAINS it; a binary
// CONTAINS the packages found in it and was GENERATED_FROM the source
// archive; a Linux package CONTAINS its binary.
func spdxDeployable(doc *spdx.Document, root *spdx.Package, m *model, d *deployable) error {
	info := m.info
	rel := func(a, typ, b string) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         spdx.DocElementID{ElementRefID: spdx.ElementID(a)},
			Relationship: typ,
			RefB:         spdx.DocElementID{ElementRefID: spdx.ElementID(b)},
		})
	}
	p := &spdx.Package{
		PackageName:             d.path,
		PackageSPDXIdentifier:   spdx.ElementID(d.spdxID()),
		PackageVersion:          info.Version,
		PackageFileName:         path.Base(d.path),
		PackageDownloadLocation: noAssertion,
		PackageChecksums: []spdx.Checksum{
			{Algorithm: spdx.SHA256, Value: d.sha256},
			{Algorithm: spdx.SHA512, Value: d.sha512},
		},
		PackageSourceInfo:         sourceInfo(info, d),
		PackageExternalReferences: []*spdx.PackageExternalReference{purlRef(d.purl(info.Version))},
		PrimaryPackagePurpose:     d.purpose(),
		IsFilesAnalyzedTagPresent: true,
	}
	setOrigin(p, info.Supplier, info.License, d.concluded)
	exe, arc, str := d.bsi()
	for _, kv := range [][2]string{{inspect.PropExecutable, exe}, {inspect.PropArchive, arc}, {inspect.PropStructured, str}} {
		p.Annotations = append(p.Annotations, spdx.Annotation{
			Annotator:         common.Annotator{AnnotatorType: "Organization", Annotator: agent(info.Supplier)},
			AnnotationDate:    created(info),
			AnnotationType:    "OTHER",
			AnnotationComment: kv[0] + "=" + kv[1],
		})
	}
	doc.Packages = append(doc.Packages, p)
	rel(string(root.PackageSPDXIdentifier), "CONTAINS", d.spdxID())

	switch d.kind {
	case kindBinary:
		for _, p := range d.scan.pkgs {
			pkgID, err := spdxPackageID(doc, p)
			if err != nil {
				return fmt.Errorf("sbom: spdx: %s: %w", d.path, err)
			}
			rel(d.spdxID(), "CONTAINS", string(pkgID))
		}
		if src := m.source(); src != nil {
			rel(d.spdxID(), "GENERATED_FROM", src.spdxID())
		}
	case kindPackage:
		rel(d.spdxID(), "CONTAINS", fileID(d.contains))
	}
	return nil
}

// spdxSort puts packages and relationships in a fixed order and drops
// repeated relationships.
func spdxSort(doc *spdx.Document) {
	slices.SortFunc(doc.Packages, func(a, b *spdx.Package) int {
		return cmp.Or(
			strings.Compare(a.PackageName, b.PackageName),
			strings.Compare(a.PackageVersion, b.PackageVersion),
			strings.Compare(string(a.PackageSPDXIdentifier), string(b.PackageSPDXIdentifier)))
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
}

// encodeJSON writes v as indented JSON without HTML escaping, as both
// SBOMs are written.
func encodeJSON(v any, format string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("sbom: %s: %w", format, err)
	}
	return buf.Bytes(), nil
}

// sourceInfo says where a deployable comes from.
func sourceInfo(info Info, d *deployable) string {
	switch d.kind {
	case kindBinary:
		return "built for " + d.scan.bin.Target + " from " + info.ModulePath + " at commit " + info.Commit
	case kindPackage:
		return "Linux package of " + d.contains
	}
	return "the files of " + info.ModulePath + " at commit " + info.Commit
}

// setOrigin makes party the supplier and originator of p, with its
// homepage, and sets p's licences.
func setOrigin(p *spdx.Package, party Party, declared, concluded string) {
	p.PackageSupplier = &common.Supplier{SupplierType: "Organization", Supplier: agent(party)}
	p.PackageOriginator = &common.Originator{OriginatorType: "Organization", Originator: agent(party)}
	p.PackageHomePage = party.URL
	p.PackageLicenseDeclared = declared
	p.PackageLicenseConcluded = concluded
	if p.PackageCopyrightText == "" {
		p.PackageCopyrightText = noAssertion
	}
}

func purlRef(purl string) *spdx.PackageExternalReference {
	return &spdx.PackageExternalReference{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: purl}
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

func encodeCycloneDX(m *model, id uuid.UUID) ([]byte, error) {
	bom := cyclonedxhelpers.ToFormatModel(m.syft)
	if bom == nil || bom.Metadata == nil {
		return nil, fmt.Errorf("sbom: cyclonedx: syft made no BOM")
	}
	bom.SerialNumber = uuid.NewSHA1(id, []byte("cyclonedx")).URN()
	bom.Version = 1
	if bom.Components == nil {
		bom.Components = &[]cdx.Component{}
	}
	c := cdxBOM{bom: bom, m: m, ours: org(m.info.Supplier),
		authors: &[]cdx.OrganizationalContact{{Name: m.info.Supplier.Name, Email: m.info.Supplier.Email}}}
	root := c.metadata()
	c.origins()
	deps, err := c.deployables(root)
	if err != nil {
		return nil, err
	}
	c.dependencies(deps)
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

// cdxBOM is a CycloneDX BOM while it is completed from syft's.
type cdxBOM struct {
	bom     *cdx.BOM
	m       *model
	ours    *cdx.OrganizationalEntity // the supplier
	authors *[]cdx.OrganizationalContact
}

// metadata fills the BOM's metadata: time, lifecycle, tool, authors,
// supplier, and the release itself as the root component, which it returns.
func (c cdxBOM) metadata() *cdx.Component {
	info := c.m.info
	md := c.bom.Metadata
	md.Timestamp = created(info)
	md.Lifecycles = &[]cdx.Lifecycle{{Phase: cdx.LifecyclePhaseBuild}}
	md.Tools = &cdx.ToolsChoice{Components: &[]cdx.Component{{
		Type:    cdx.ComponentTypeApplication,
		Author:  "anchore",
		Name:    "syft",
		Version: SyftVersion,
	}}}
	md.Authors = c.authors
	md.Manufacturer = c.ours
	md.Supplier = c.ours
	root := &cdx.Component{
		BOMRef:       info.Name + "@" + info.Version,
		Type:         cdx.ComponentTypeApplication,
		Supplier:     c.ours,
		Manufacturer: c.ours,
		Authors:      c.authors,
		Name:         info.Name,
		Version:      info.Version,
		Licenses:     licenses(info.License, c.m.concluded),
		PackageURL:   goPURL(info.ModulePath, info.Version),
	}
	refs := &[]cdx.ExternalReference{{Type: cdx.ERTypeWebsite, URL: info.Supplier.URL}}
	if info.Repository != "" {
		*refs = append(*refs, cdx.ExternalReference{Type: cdx.ERTypeVCS, URL: info.Repository})
	}
	root.ExternalReferences = refs
	md.Component = root
	md.Properties = &[]cdx.Property{
		{Name: "cavra:commit", Value: info.Commit},
		{Name: "cavra:go-version", Value: info.GoVersion},
		{Name: "cavra:snapshot", Value: strconv.FormatBool(info.Snapshot)},
	}
	return root
}

// origins sets supplier, manufacturer and licences of the components syft
// found: the main module is ours, stdlib the Go authors'; syft knows
// nothing of the others (licence search is off).
func (c cdxBOM) origins() {
	info := c.m.info
	kinds := map[string]string{}
	for _, sc := range c.m.scans {
		for _, p := range sc.pkgs {
			switch {
			case c.m.ours(p):
				kinds[bomRef(p)] = "ours"
			case p.Name == "stdlib":
				kinds[bomRef(p)] = "go"
			}
		}
	}
	gos := org(GoAuthors)
	for i := range *c.bom.Components {
		x := &(*c.bom.Components)[i]
		switch kinds[x.BOMRef] {
		case "ours":
			x.Supplier, x.Manufacturer, x.Authors = c.ours, c.ours, c.authors
			x.Licenses = licenses(info.License, info.License)
		case "go":
			x.Supplier, x.Manufacturer = gos, gos
			x.Licenses = licenses(StdlibLicense, StdlibLicense)
		}
	}
}

// deployables adds every deployable (binaries, Linux packages, the source
// archive) as a file component with its digests and BSI properties, and
// returns what each component depends on: the release on its files, a
// binary on what is linked into it, a Linux package on its binary. Every
// bom-ref must be unique.
func (c cdxBOM) deployables(root *cdx.Component) (map[string][]string, error) {
	info := c.m.info
	refSet := map[string]bool{root.BOMRef: true}
	for _, x := range *c.bom.Components {
		if refSet[x.BOMRef] {
			return nil, fmt.Errorf("sbom: cyclonedx: bom-ref %s used twice", x.BOMRef)
		}
		refSet[x.BOMRef] = true
	}
	deps := map[string][]string{root.BOMRef: nil}
	if c.bom.Dependencies != nil {
		for _, d := range *c.bom.Dependencies {
			if d.Dependencies != nil {
				deps[d.Ref] = append(deps[d.Ref], *d.Dependencies...)
			}
		}
	}
	for _, d := range c.m.files {
		if refSet[d.path] {
			return nil, fmt.Errorf("sbom: cyclonedx: bom-ref %s used twice", d.path)
		}
		refSet[d.path] = true
		exe, arc, str := d.bsi()
		*c.bom.Components = append(*c.bom.Components, cdx.Component{
			BOMRef:       d.path,
			Type:         cdx.ComponentTypeFile,
			Supplier:     c.ours,
			Manufacturer: c.ours,
			Authors:      c.authors,
			Name:         d.path,
			Version:      info.Version,
			Hashes: &[]cdx.Hash{
				{Algorithm: cdx.HashAlgoSHA256, Value: d.sha256},
				{Algorithm: cdx.HashAlgoSHA512, Value: d.sha512},
			},
			Licenses:   licenses(info.License, d.concluded),
			PackageURL: d.purl(info.Version),
			Properties: &[]cdx.Property{
				{Name: inspect.PropArchive, Value: arc},
				{Name: inspect.PropExecutable, Value: exe},
				{Name: inspect.PropFilename, Value: path.Base(d.path)},
				{Name: inspect.PropStructured, Value: str},
			},
		})
		deps[root.BOMRef] = append(deps[root.BOMRef], d.path)
		switch d.kind {
		case kindBinary:
			for _, p := range d.scan.pkgs {
				ref := bomRef(p)
				if !refSet[ref] {
					return nil, fmt.Errorf("sbom: cyclonedx: %s: no component for %s", d.path, p.Name)
				}
				deps[d.path] = append(deps[d.path], ref)
			}
		case kindPackage:
			deps[d.path] = append(deps[d.path], d.contains)
		}
	}
	// Every component has an entry: empty when it depends on nothing.
	for ref := range refSet {
		if _, ok := deps[ref]; !ok {
			deps[ref] = nil
		}
	}
	return deps, nil
}

// dependencies writes the dependency graph deps, sorted.
func (c cdxBOM) dependencies(deps map[string][]string) {
	dependencies := make([]cdx.Dependency, 0, len(deps))
	for ref, on := range deps {
		slices.Sort(on)
		on = slices.Compact(on)
		if on == nil {
			on = []string{}
		}
		dependencies = append(dependencies, cdx.Dependency{Ref: ref, Dependencies: &on})
	}
	slices.SortFunc(dependencies, func(a, b cdx.Dependency) int { return strings.Compare(a.Ref, b.Ref) })
	c.bom.Dependencies = &dependencies
}

// org is a party as CycloneDX names an organisation.
func org(p Party) *cdx.OrganizationalEntity {
	e := &cdx.OrganizationalEntity{Name: p.Name, URL: &[]string{p.URL}}
	if p.Email != "" {
		e.Contact = &[]cdx.OrganizationalContact{{Email: p.Email}}
	}
	return e
}

// licenses are a component's declared and concluded licences; an unknown
// concluded licence is left out.
func licenses(declared, concluded string) *cdx.Licenses {
	ack := func(a cdx.LicenseAcknowledgement) *cdx.LicenseAcknowledgement { return &a }
	l := cdx.Licenses{{Expression: declared, Acknowledgement: ack(cdx.LicenseAcknowledgementDeclared)}}
	if concluded != noAssertion && concluded != "" {
		l = append(l, cdx.LicenseChoice{Expression: concluded, Acknowledgement: ack(cdx.LicenseAcknowledgementConcluded)})
	}
	return &l
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
