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
	info := m.info
	doc := spdxhelpers.ToFormatModel(m.syft)
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
	doc.CreationInfo.Creators = []spdx.Creator{
		{CreatorType: "Organization", Creator: agent(info.Supplier)},
		{CreatorType: "Tool", Creator: "syft-" + SyftVersion},
	}

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

	rel := func(a, typ, b string) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         spdx.DocElementID{ElementRefID: spdx.ElementID(a)},
			Relationship: typ,
			RefB:         spdx.DocElementID{ElementRefID: spdx.ElementID(b)},
		})
	}
	src := m.source()
	for _, d := range m.files {
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
			// Each binary CONTAINS the packages found in it, and was
			// made from the source archive.
			for _, p := range d.scan.pkgs {
				pkgID, err := spdxPackageID(doc, p)
				if err != nil {
					return nil, fmt.Errorf("sbom: spdx: %s: %w", d.path, err)
				}
				rel(d.spdxID(), "CONTAINS", string(pkgID))
			}
			if src != nil {
				rel(d.spdxID(), "GENERATED_FROM", src.spdxID())
			}
		case kindPackage:
			rel(d.spdxID(), "CONTAINS", fileID(d.contains))
		}
	}

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

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("sbom: spdx: %w", err)
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
	info := m.info
	bom := cyclonedxhelpers.ToFormatModel(m.syft)
	if bom == nil || bom.Metadata == nil {
		return nil, fmt.Errorf("sbom: cyclonedx: syft made no BOM")
	}
	bom.SerialNumber = uuid.NewSHA1(id, []byte("cyclonedx")).URN()
	bom.Version = 1

	ours := org(info.Supplier)
	authors := &[]cdx.OrganizationalContact{{Name: info.Supplier.Name, Email: info.Supplier.Email}}
	md := bom.Metadata
	md.Timestamp = created(info)
	md.Lifecycles = &[]cdx.Lifecycle{{Phase: cdx.LifecyclePhaseBuild}}
	md.Tools = &cdx.ToolsChoice{Components: &[]cdx.Component{{
		Type:    cdx.ComponentTypeApplication,
		Author:  "anchore",
		Name:    "syft",
		Version: SyftVersion,
	}}}
	md.Authors = authors
	md.Manufacturer = ours
	md.Supplier = ours
	root := &cdx.Component{
		BOMRef:       info.Name + "@" + info.Version,
		Type:         cdx.ComponentTypeApplication,
		Supplier:     ours,
		Manufacturer: ours,
		Authors:      authors,
		Name:         info.Name,
		Version:      info.Version,
		Licenses:     licenses(info.License, m.concluded),
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

	if bom.Components == nil {
		bom.Components = &[]cdx.Component{}
	}
	// The main module is ours, stdlib the Go authors'; syft knows nothing
	// of the others (licence search is off).
	kinds := map[string]string{}
	for _, sc := range m.scans {
		for _, p := range sc.pkgs {
			switch {
			case m.ours(p):
				kinds[bomRef(p)] = "ours"
			case p.Name == "stdlib":
				kinds[bomRef(p)] = "go"
			}
		}
	}
	gos := org(GoAuthors)
	for i := range *bom.Components {
		c := &(*bom.Components)[i]
		switch kinds[c.BOMRef] {
		case "ours":
			c.Supplier, c.Manufacturer, c.Authors = ours, ours, authors
			c.Licenses = licenses(info.License, info.License)
		case "go":
			c.Supplier, c.Manufacturer = gos, gos
			c.Licenses = licenses(StdlibLicense, StdlibLicense)
		}
	}

	refSet := map[string]bool{root.BOMRef: true}
	for _, c := range *bom.Components {
		if refSet[c.BOMRef] {
			return nil, fmt.Errorf("sbom: cyclonedx: bom-ref %s used twice", c.BOMRef)
		}
		refSet[c.BOMRef] = true
	}
	deps := map[string][]string{root.BOMRef: nil}
	if bom.Dependencies != nil {
		for _, d := range *bom.Dependencies {
			if d.Dependencies != nil {
				deps[d.Ref] = append(deps[d.Ref], *d.Dependencies...)
			}
		}
	}
	for _, d := range m.files {
		if refSet[d.path] {
			return nil, fmt.Errorf("sbom: cyclonedx: bom-ref %s used twice", d.path)
		}
		refSet[d.path] = true
		exe, arc, str := d.bsi()
		*bom.Components = append(*bom.Components, cdx.Component{
			BOMRef:       d.path,
			Type:         cdx.ComponentTypeFile,
			Supplier:     ours,
			Manufacturer: ours,
			Authors:      authors,
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
		// The release depends on its files; a binary on what is linked
		// into it, a Linux package on its binary.
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
