package inspect

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The standards [CheckSPDX] and [CheckCycloneDX] check a document against.
const (
	// NTIA is "The Minimum Elements For a Software Bill of Materials"
	// (NTIA, 2021): per component supplier, name, version, other unique
	// identifiers and dependency relationship; per document the author of
	// the SBOM data and a timestamp.
	NTIA = "NTIA minimum elements"
	// BSI is BSI TR-03183-2 v2.0.0, the last version that accepts SPDX 2
	// (v2.1.0 wants SPDX 3.0.1): its required data fields (section 5),
	// CycloneDX 1.5 or later or SPDX 2.2.1 or later.
	BSI = "BSI TR-03183-2 v2.0.0"
)

// The outcome of a requirement.
const (
	Pass = "PASS"
	Fail = "FAIL"
)

// The elements checked, as results name them.
const (
	ElemAuthor       = "author"       // NTIA: an organisation or person authored the SBOM data
	ElemTimestamp    = "timestamp"    // NTIA, BSI: an RFC 3339 creation time
	ElemFormat       = "format"       // BSI: CycloneDX >= 1.5 or SPDX >= 2.2.1, as JSON
	ElemCreator      = "creator"      // BSI: the SBOM's or the component's creator, with an e-mail address or https URL
	ElemSupplier     = "supplier"     // NTIA: the component's supplier
	ElemName         = "name"         // NTIA, BSI
	ElemVersion      = "version"      // NTIA, BSI
	ElemIdentifier   = "identifier"   // NTIA: other unique identifiers (purl, CPE, SWID)
	ElemDependencies = "dependencies" // NTIA, BSI: the component is in the dependency graph, which resolves
	ElemLicence      = "licence"      // BSI: associated licences, declared and concluded, as SPDX expressions
	ElemFilename     = "filename"     // BSI, deployables: the file name, not its path
	ElemHash         = "hash"         // BSI, deployables: SHA-512
	ElemExecutable   = "executable"   // BSI, deployables: executable or non-executable
	ElemArchive      = "archive"      // BSI, deployables: archive or no archive
	ElemStructured   = "structured"   // BSI, deployables: structured or unstructured
)

// BSI's CycloneDX property taxonomy (github.com/BSI-Bund/tr-03183-cyclonedx-property-taxonomy)
// names and values. SPDX 2.3 has no properties: there they are package
// annotations whose comment is "<name>=<value>".
const (
	PropExecutable = "bsi:component:executable"
	PropArchive    = "bsi:component:archive"
	PropStructured = "bsi:component:structured"
	PropFilename   = "bsi:component:filename"

	Executable    = "executable"
	NonExecutable = "non-executable"
	Archive       = "archive"
	NoArchive     = "no archive"
	Structured    = "structured"
	Unstructured  = "unstructured"
)

// The kinds of component, which decide the requirements that apply.
const (
	// KindRelease is what the document describes: the SPDX described
	// package, the CycloneDX metadata.component. It is no file, so BSI's
	// file fields do not apply (TR-03183-2 v2.1.0 calls it a logical
	// component).
	KindRelease = "release"
	// KindDeployable is a file of the release (a binary, a Linux package,
	// the source archive): an SPDX package with a packageFileName or an
	// SPDX file, a CycloneDX component of type file; or any component
	// with a bsi:component:* property. Every requirement applies.
	KindDeployable = "deployable"
	// KindModule is any other component, such as a Go module or the
	// standard library linked into a binary: no file of its own, so no
	// file name, hash or file properties.
	KindModule = "module"
)

// Requirement is the outcome of one element of one standard.
type Requirement struct {
	Standard string `json:"standard"`
	Element  string `json:"element"`
	Status   string `json:"status"` // PASS or FAIL
	Detail   string `json:"detail"` // what was found, or what is missing
}

// ComponentResult holds the requirements of one component.
type ComponentResult struct {
	ID     string        `json:"id"` // SPDXID or bom-ref
	Name   string        `json:"name"`
	Kind   string        `json:"kind"`
	Checks []Requirement `json:"checks"`
}

// Compliance is the outcome of checking one document against [NTIA] and
// [BSI]: the document's requirements, then each component's.
type Compliance struct {
	Format     string            `json:"format"` // "SPDX-2.3", "CycloneDX-1.7"
	Passed     int               `json:"passed"`
	Failed     int               `json:"failed"`
	Document   []Requirement     `json:"document"`
	Components []ComponentResult `json:"components"`
}

// OK reports whether every requirement passed.
func (c *Compliance) OK() bool { return c.Failed == 0 && c.Passed > 0 }

// Count returns how many requirements of standard std (all when "")
// passed and failed.
func (c *Compliance) Count(std string) (passed, failed int) {
	c.each(std, func(_ string, r Requirement) {
		if r.Status == Pass {
			passed++
		} else {
			failed++
		}
	})
	return passed, failed
}

// Failures returns each failed requirement of standard std (all when "")
// as "<component> [<id>]: <standard> <element>: <detail>", the document's
// ("document: ...") first.
func (c *Compliance) Failures(std string) []string {
	var out []string
	c.each(std, func(who string, r Requirement) {
		if r.Status != Pass {
			out = append(out, fmt.Sprintf("%s: %s %s: %s", who, r.Standard, r.Element, r.Detail))
		}
	})
	return out
}

// each calls fn for every requirement of standard std (all when ""), with
// the name of its component.
func (c *Compliance) each(std string, fn func(who string, r Requirement)) {
	for _, r := range c.Document {
		if std == "" || r.Standard == std {
			fn("document", r)
		}
	}
	for _, comp := range c.Components {
		for _, r := range comp.Checks {
			if std == "" || r.Standard == std {
				fn(fmt.Sprintf("%s [%s]", comp.Name, comp.ID), r)
			}
		}
	}
}

// CheckSPDX checks an SPDX 2.3 JSON document. The error is for a document
// that cannot be read as SPDX 2.3 at all; everything missing from one that
// can is a failed requirement.
func CheckSPDX(data []byte) (*Compliance, error) {
	doc, err := decodeSPDX(data)
	if err != nil {
		return nil, err
	}
	return evaluate(fromSPDX(doc)), nil
}

// CheckCycloneDX checks a CycloneDX 1.6 or 1.7 JSON document, as
// [CheckSPDX] does.
func CheckCycloneDX(data []byte) (*Compliance, error) {
	bom, err := decodeCycloneDX(data)
	if err != nil {
		return nil, err
	}
	return evaluate(fromCycloneDX(bom)), nil
}

// document is what the checks read from either format.
type document struct {
	format   string // "SPDX-2.3", "CycloneDX-1.7"
	created  string
	authors  []string // organisations and persons
	tools    []string
	contacts []string // the authors' e-mail addresses and URLs
	elems    []*element
}

// element is one component of a document.
type element struct {
	id, name, version, kind string

	supplier  string   // the supplier's name
	creator   string   // the creator's name
	contacts  []string // the creator's e-mail addresses and URLs
	ids       []string // purl, CPE, SWID
	declared  []string // declared licence expressions
	concluded []string // concluded licence expressions
	licErrs   []string // licences that are no expression
	sha512    []string
	filenames []string
	props     map[string][]string // bsi:component:* properties

	entry    bool     // the dependency graph has an entry for it (SPDX: always)
	children []string // what it depends on or contains
	dangling []string // references that resolve to nothing
	reached  bool     // the release, or depended on or contained by another component
}

func evaluate(d *document) *Compliance {
	c := &Compliance{Format: d.format}
	c.Document = []Requirement{
		checkAuthor(d),
		checkTimestamp(NTIA, d),
		checkFormat(d),
		checkSBOMCreator(d),
		checkTimestamp(BSI, d),
	}
	for _, e := range d.elems {
		r := ComponentResult{ID: e.id, Name: e.name, Kind: e.kind}
		deps := checkDependencies(e)
		r.Checks = append(r.Checks,
			checkSupplier(e),
			checkName(NTIA, e),
			checkVersion(NTIA, e),
			checkIdentifier(e),
			withStandard(NTIA, deps),
			checkCreator(e),
			checkName(BSI, e),
			checkVersion(BSI, e),
			withStandard(BSI, deps),
			checkLicence(e),
		)
		if e.kind == KindDeployable {
			r.Checks = append(r.Checks,
				checkFilename(e),
				checkHash(e),
				checkProperty(e, ElemExecutable, PropExecutable, Executable, NonExecutable),
				checkProperty(e, ElemArchive, PropArchive, Archive, NoArchive),
				checkProperty(e, ElemStructured, PropStructured, Structured, Unstructured),
			)
		}
		c.Components = append(c.Components, r)
	}
	c.Passed, c.Failed = c.Count("")
	return c
}

func pass(std, elem, format string, args ...any) Requirement {
	return Requirement{Standard: std, Element: elem, Status: Pass, Detail: fmt.Sprintf(format, args...)}
}

func fail(std, elem, format string, args ...any) Requirement {
	return Requirement{Standard: std, Element: elem, Status: Fail, Detail: fmt.Sprintf(format, args...)}
}

func withStandard(std string, r Requirement) Requirement {
	r.Standard = std
	return r
}

func checkAuthor(d *document) Requirement {
	if len(d.authors) == 0 {
		return fail(NTIA, ElemAuthor, "no organisation or person authored the document (tools: %s)", list(d.tools))
	}
	return pass(NTIA, ElemAuthor, "%s, with tools %s", strings.Join(d.authors, ", "), list(d.tools))
}

func checkTimestamp(std string, d *document) Requirement {
	if d.created == "" {
		return fail(std, ElemTimestamp, "no creation time")
	}
	if _, err := time.Parse(time.RFC3339, d.created); err != nil {
		return fail(std, ElemTimestamp, "creation time %q is not RFC 3339", d.created)
	}
	return pass(std, ElemTimestamp, "%s", d.created)
}

func checkFormat(d *document) Requirement {
	if !formatAccepted(d.format) {
		return fail(BSI, ElemFormat, "%s, want CycloneDX 1.5 or later or SPDX 2.2.1 or later", d.format)
	}
	return pass(BSI, ElemFormat, "%s JSON (CycloneDX 1.5 or later or SPDX 2.2.1 or later)", d.format)
}

// formatAccepted reports whether BSI TR-03183-2 v2.0.0 accepts a format
// ("SPDX-2.3", "CycloneDX-1.7"): CycloneDX 1.5 or later, SPDX 2.2.1 or
// later. (Decoding accepts fewer: SPDX 2.3, CycloneDX 1.6 and 1.7.)
func formatAccepted(format string) bool {
	name, v, _ := strings.Cut(format, "-")
	least := map[string][]int{"SPDX": {2, 2, 1}, "CycloneDX": {1, 5}}[name]
	if least == nil {
		return false
	}
	var got []int
	for _, f := range strings.Split(v, ".") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || strconv.Itoa(n) != f {
			return false
		}
		got = append(got, n)
	}
	return slices.Compare(got, least) >= 0
}

func checkSBOMCreator(d *document) Requirement {
	if c := validContacts(d.contacts); len(c) > 0 {
		return pass(BSI, ElemCreator, "%s", strings.Join(c, ", "))
	}
	return fail(BSI, ElemCreator, "no e-mail address or https URL of the document's creator")
}

func checkSupplier(e *element) Requirement {
	if e.supplier == "" {
		return fail(NTIA, ElemSupplier, "no supplier")
	}
	return pass(NTIA, ElemSupplier, "%s", e.supplier)
}

func checkName(std string, e *element) Requirement {
	if strings.TrimSpace(e.name) == "" {
		return fail(std, ElemName, "no name")
	}
	return pass(std, ElemName, "%s", e.name)
}

func checkVersion(std string, e *element) Requirement {
	if v := strings.TrimSpace(e.version); v == "" || v == "NOASSERTION" || v == "NONE" {
		return fail(std, ElemVersion, "no version")
	}
	return pass(std, ElemVersion, "%s", e.version)
}

func checkIdentifier(e *element) Requirement {
	for _, id := range e.ids {
		if validIdentifier(id) {
			return pass(NTIA, ElemIdentifier, "%s", id)
		}
	}
	if len(e.ids) > 0 {
		return fail(NTIA, ElemIdentifier, "malformed identifier %q", e.ids[0])
	}
	return fail(NTIA, ElemIdentifier, "no purl, CPE or SWID")
}

// validIdentifier reports whether id is a purl with a type and a name, or
// another non-blank identifier.
func validIdentifier(id string) bool {
	if rest, ok := strings.CutPrefix(id, "pkg:"); ok {
		typ, name, ok := strings.Cut(rest, "/")
		return ok && typ != "" && name != ""
	}
	return strings.TrimSpace(id) != ""
}

// checkDependencies checks that the component is in the dependency graph:
// it has an entry, every reference from or to it resolves, something
// depends on it (unless it is the release), and an executable names what
// it holds.
func checkDependencies(e *element) Requirement {
	switch {
	case len(e.dangling) > 0:
		return fail("", ElemDependencies, "references %s, which the document does not hold", list(e.dangling))
	case !e.entry:
		return fail("", ElemDependencies, "no entry in the dependency graph")
	case !e.reached:
		return fail("", ElemDependencies, "nothing depends on or contains it")
	case len(e.children) == 0 && slices.Contains(e.props[PropExecutable], Executable):
		return fail("", ElemDependencies, "an executable that names nothing it contains")
	case len(e.children) == 0:
		return pass("", ElemDependencies, "depends on nothing")
	}
	return pass("", ElemDependencies, "depends on %d components", len(e.children))
}

func checkCreator(e *element) Requirement {
	c := validContacts(e.contacts)
	switch {
	case e.creator == "":
		return fail(BSI, ElemCreator, "no creator")
	case len(c) == 0:
		return fail(BSI, ElemCreator, "creator %s has no e-mail address or https URL", e.creator)
	}
	return pass(BSI, ElemCreator, "%s (%s)", e.creator, strings.Join(c, ", "))
}

func checkLicence(e *element) Requirement {
	if len(e.licErrs) > 0 {
		return fail(BSI, ElemLicence, "%s", strings.Join(e.licErrs, "; "))
	}
	for _, l := range [][]string{e.declared, e.concluded} {
		for _, x := range l {
			if err := CheckLicense(x); err != nil {
				return fail(BSI, ElemLicence, "%v", err)
			}
		}
	}
	switch {
	case len(e.declared) == 0:
		return fail(BSI, ElemLicence, "no declared licence")
	case len(e.concluded) == 0:
		return fail(BSI, ElemLicence, "no concluded licence")
	}
	return pass(BSI, ElemLicence, "declared %s, concluded %s", strings.Join(e.declared, ", "), strings.Join(e.concluded, ", "))
}

func checkFilename(e *element) Requirement {
	switch {
	case len(e.filenames) == 0:
		return fail(BSI, ElemFilename, "no file name")
	case len(e.filenames) > 1:
		return fail(BSI, ElemFilename, "%d file names", len(e.filenames))
	case e.filenames[0] == "" || strings.ContainsAny(e.filenames[0], `/\`):
		return fail(BSI, ElemFilename, "%q is not a file name", e.filenames[0])
	}
	return pass(BSI, ElemFilename, "%s", e.filenames[0])
}

func checkHash(e *element) Requirement {
	for _, h := range e.sha512 {
		if len(h) == 128 && isHexString(h) {
			return pass(BSI, ElemHash, "SHA-512 %s", h)
		}
	}
	if len(e.sha512) > 0 {
		return fail(BSI, ElemHash, "SHA-512 %q is not 128 hex digits", e.sha512[0])
	}
	return fail(BSI, ElemHash, "no SHA-512")
}

// checkProperty checks that the BSI property prop occurs once with one of
// the two values the TR allows.
func checkProperty(e *element, elem, prop, yes, no string) Requirement {
	v := e.props[prop]
	switch {
	case len(v) == 0:
		return fail(BSI, elem, "no %s", prop)
	case len(v) > 1:
		return fail(BSI, elem, "%s given %d times", prop, len(v))
	case v[0] != yes && v[0] != no:
		return fail(BSI, elem, "%s is %q, want %q or %q", prop, v[0], yes, no)
	}
	return pass(BSI, elem, "%s", v[0])
}

// validContacts returns the e-mail addresses and https URLs among cs.
func validContacts(cs []string) []string {
	var out []string
	for _, c := range cs {
		if u, err := url.Parse(c); err == nil && u.Scheme == "https" && u.Host != "" {
			out = append(out, c)
		} else if a, err := mail.ParseAddress(c); err == nil && a.Address == c {
			out = append(out, c)
		}
	}
	return out
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func isHexString(s string) bool {
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return false
		}
	}
	return true
}

// agentOf splits an SPDX agent, "Organization: CAVRA (mail@example.org)",
// into its type, name and contact.
func agentOf(s string) (typ, name, contact string) {
	typ, rest, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", ""
	}
	rest = strings.TrimSpace(rest)
	if i := strings.LastIndex(rest, "("); i >= 0 && strings.HasSuffix(rest, ")") {
		contact = strings.TrimSpace(rest[i+1 : len(rest)-1])
		rest = strings.TrimSpace(rest[:i])
	}
	return typ, rest, contact
}

// person reports whether an SPDX agent type names an organisation or a
// person.
func person(typ string) bool { return typ == "Organization" || typ == "Person" }

func fromSPDX(doc *spdxDoc) *document {
	d := &document{format: doc.SPDXVersion}
	if doc.CreationInfo != nil {
		d.created = doc.CreationInfo.Created
		for _, c := range doc.CreationInfo.Creators {
			typ, name, contact := agentOf(c)
			switch {
			case typ == "Tool":
				d.tools = append(d.tools, name)
			case person(typ) && name != "":
				d.authors = append(d.authors, name)
				if contact != "" {
					d.contacts = append(d.contacts, contact)
				}
			}
		}
	}
	described := doc.described()
	byID := map[string]*element{}
	for _, p := range doc.Packages {
		e := &element{id: p.SPDXID, name: p.Name, version: p.VersionInfo, kind: KindModule, entry: true, props: map[string][]string{}}
		if p.PackageFileName != "" {
			e.filenames = []string{p.PackageFileName}
		}
		if typ, name, _ := agentOf(p.Supplier); person(typ) {
			e.supplier = name
		}
		if typ, name, contact := agentOf(p.Originator); person(typ) {
			e.creator = name
			if contact != "" {
				e.contacts = append(e.contacts, contact)
			}
			if h := p.Homepage; h != "" && h != "NONE" && h != "NOASSERTION" {
				e.contacts = append(e.contacts, h)
			}
		}
		for _, ref := range p.ExternalRefs {
			switch ref.Type {
			case "purl", "cpe22Type", "cpe23Type", "swid":
				e.ids = append(e.ids, ref.Locator)
			}
		}
		e.spdxLicences(p.LicenseDeclared, p.LicenseConcluded)
		e.sha512 = sha512Of(p.Checksums)
		for _, a := range p.Annotations {
			if k, v, ok := strings.Cut(a.Comment, "="); ok && strings.HasPrefix(k, "bsi:component:") {
				e.props[k] = append(e.props[k], v)
			}
		}
		switch {
		case described[p.SPDXID]:
			e.kind, e.reached = KindRelease, true
		case p.PackageFileName != "" || len(e.props) > 0:
			e.kind = KindDeployable
		}
		d.elems = append(d.elems, e)
		byID[e.id] = e
	}
	for _, f := range doc.Files {
		e := &element{id: f.SPDXID, name: f.FileName, kind: KindDeployable, entry: true,
			filenames: []string{path.Base(f.FileName)}, sha512: sha512Of(f.Checksums), props: map[string][]string{}}
		e.spdxLicences("", f.LicenseConcluded)
		d.elems = append(d.elems, e)
		byID[e.id] = e
	}
	for _, r := range doc.Relationships {
		a, b := byID[r.A], byID[r.B]
		if r.Type == "DESCRIBES" && r.A == "SPDXRef-DOCUMENT" {
			continue
		}
		known := func(id string) bool {
			return byID[id] != nil || id == "SPDXRef-DOCUMENT" || id == "NOASSERTION" || id == "NONE" || strings.HasPrefix(id, "DocumentRef-")
		}
		if a != nil && !known(r.B) {
			a.dangling = append(a.dangling, r.B)
		}
		if b != nil && !known(r.A) {
			b.dangling = append(b.dangling, r.A)
		}
		parent, child := a, b
		switch r.Type {
		case "CONTAINS", "DEPENDS_ON", "GENERATED_FROM", "STATIC_LINK", "DYNAMIC_LINK", "HAS_PREREQUISITE":
		case "CONTAINED_BY", "DEPENDENCY_OF", "GENERATES", "PREREQUISITE_FOR",
			"BUILD_DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF", "DEV_DEPENDENCY_OF", "OPTIONAL_DEPENDENCY_OF", "PROVIDED_DEPENDENCY_OF":
			parent, child = b, a
		default:
			continue
		}
		if parent != nil && child != nil && parent != child {
			parent.children = append(parent.children, child.id)
			child.reached = true
		}
	}
	return d
}

// spdxLicences records an SPDX package's or file's licence fields.
func (e *element) spdxLicences(declared, concluded string) {
	for _, l := range []struct {
		v    string
		into *[]string
	}{{declared, &e.declared}, {concluded, &e.concluded}} {
		if l.v != "" && l.v != "NOASSERTION" && l.v != "NONE" {
			*l.into = append(*l.into, l.v)
		}
	}
}

func sha512Of(sums []spdxChecksum) []string {
	var out []string
	for _, c := range sums {
		if c.Algorithm == "SHA512" {
			out = append(out, c.Value)
		}
	}
	return out
}

func fromCycloneDX(bom *cdxBOM) *document {
	d := &document{format: "CycloneDX-" + bom.SpecVersion}
	byRef := map[string]*element{}
	add := func(c *cdxComponent, kind string) {
		e := &element{id: c.BOMRef, name: c.Name, version: c.Version, kind: kind, props: map[string][]string{}}
		if c.Supplier != nil {
			e.supplier = c.Supplier.Name
		}
		if m := c.Manufacturer; m != nil && m.Name != "" {
			e.creator = m.Name
			e.contacts = append(e.contacts, orgContacts(m)...)
		}
		for _, a := range c.Authors {
			if e.creator == "" {
				e.creator = a.Name
			}
			if a.Email != "" {
				e.contacts = append(e.contacts, a.Email)
			}
		}
		for _, id := range []string{c.PURL, c.CPE} {
			if id != "" {
				e.ids = append(e.ids, id)
			}
		}
		if c.SWID != nil && c.SWID.TagID != "" {
			e.ids = append(e.ids, c.SWID.TagID)
		}
		for _, l := range c.Licenses {
			expr, ack := l.Expression, l.Acknowledgement
			if l.License != nil {
				expr, ack = l.License.ID, l.License.Acknowledgement
				if expr == "" {
					e.licErrs = append(e.licErrs, fmt.Sprintf("licence %q has no SPDX identifier", l.License.Name))
					continue
				}
			}
			switch ack {
			case "declared":
				e.declared = append(e.declared, expr)
			case "concluded":
				e.concluded = append(e.concluded, expr)
			default:
				e.licErrs = append(e.licErrs, fmt.Sprintf("licence %q is neither declared nor concluded", expr))
			}
		}
		for _, h := range c.Hashes {
			if h.Alg == "SHA-512" {
				e.sha512 = append(e.sha512, h.Content)
			}
		}
		for _, p := range c.Properties {
			if strings.HasPrefix(p.Name, "bsi:component:") {
				e.props[p.Name] = append(e.props[p.Name], p.Value)
			}
		}
		e.filenames = e.props[PropFilename]
		d.elems = append(d.elems, e)
		if c.BOMRef != "" && byRef[c.BOMRef] == nil {
			byRef[c.BOMRef] = e
		}
	}
	if md := bom.Metadata; md != nil {
		d.created = md.Timestamp
		d.tools = cdxTools(md.Tools)
		for _, a := range md.Authors {
			if a.Name != "" {
				d.authors = append(d.authors, a.Name)
			}
			if a.Email != "" {
				d.contacts = append(d.contacts, a.Email)
			}
		}
		if m := md.Manufacturer; m != nil {
			if m.Name != "" && !slices.Contains(d.authors, m.Name) {
				d.authors = append(d.authors, m.Name)
			}
			d.contacts = append(d.contacts, orgContacts(m)...)
		}
		if c := md.Component; c != nil {
			add(c, KindRelease)
			root := d.elems[len(d.elems)-1]
			root.reached = true
			if root.supplier == "" && md.Supplier != nil {
				root.supplier = md.Supplier.Name
			}
		}
	}
	var walk func([]cdxComponent)
	walk = func(cs []cdxComponent) {
		for i := range cs {
			add(&cs[i], KindModule)
			if e := d.elems[len(d.elems)-1]; cs[i].Type == "file" || len(e.props) > 0 {
				e.kind = KindDeployable
			}
			walk(cs[i].Components)
		}
	}
	walk(bom.Components)
	for _, dep := range bom.Dependencies {
		e := byRef[dep.Ref]
		if e == nil {
			continue
		}
		e.entry = true
		for _, ref := range dep.DependsOn {
			child := byRef[ref]
			if child == nil {
				e.dangling = append(e.dangling, ref)
				continue
			}
			e.children = append(e.children, ref)
			if child != e {
				child.reached = true
			}
		}
	}
	return d
}

// orgContacts returns an organisation's URLs and contacts' e-mail addresses.
func orgContacts(o *cdxOrg) []string {
	out := slices.Clone(o.URL)
	for _, c := range o.Contact {
		if c.Email != "" {
			out = append(out, c.Email)
		}
	}
	return out
}

// cdxTools returns the names of the tools, from a tools object (CycloneDX
// 1.5 and later) or a legacy array.
func cdxTools(raw json.RawMessage) []string {
	type tool struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	var obj struct {
		Components []tool `json:"components"`
		Services   []tool `json:"services"`
	}
	var arr []tool
	if json.Unmarshal(raw, &obj) != nil {
		if json.Unmarshal(raw, &arr) != nil {
			return nil
		}
	} else {
		arr = append(obj.Components, obj.Services...)
	}
	var out []string
	for _, t := range arr {
		if t.Name != "" {
			out = append(out, strings.TrimSpace(t.Name+" "+t.Version))
		}
	}
	return out
}
