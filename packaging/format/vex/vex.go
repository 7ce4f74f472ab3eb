// Package vex defines the vulnerability evidence of a cavra-go-runtime
// package: what the release's vulns step found (an [Analysis]) and the three
// documents written from it, which the verifier reads back (their names are
// in package layout).
//
//	vex/cavra-runtime.openvex.json      OpenVEX v0.2.0: a statement for every vulnerability
//	                                    of the database that touches a module or Go version
//	                                    in the binaries; the products are the binaries
//	vex/cavra-runtime.vex.cdx.json      the same analysis as CycloneDX 1.7 vulnerabilities,
//	                                    a VEX BOM whose affects point into the CycloneDX SBOM
//	                                    (BOM-Link: urn:cdx:<SBOM serial>/1#<binary>)
//	vex/cavra-runtime.vulns.intoto.json an in-toto Statement v1, predicate
//	                                    https://in-toto.io/attestation/vulns/v0.2: the scanner,
//	                                    the database (uri, version, last update), the results;
//	                                    the subjects are the binaries
//
// and the statement's DSSE envelope (vex/cavra-runtime.vulns.intoto.jsonl)
// and Sigstore bundle (vex/cavra-runtime.vulns.sigstore.json), signed with
// the release key like the provenance: `cosign verify-blob-attestation
// --type https://in-toto.io/attestation/vulns/v0.2` checks them.
//
// # Statuses
//
// Per binary, an entry of the database that touches a module version in it
// is:
//
//	affected       the version is vulnerable and govulncheck found a call path to a
//	               vulnerable symbol (reachable); a release fails on one, unless a
//	               reviewed exception says why it does not matter, which makes it
//	not_affected   with the exception's justification and impact statement; else
//	not_affected   vulnerable_code_not_in_execute_path: a vulnerable package is linked,
//	               no vulnerable symbol is reached; or vulnerable_code_not_present:
//	               the module is linked but no vulnerable package for this target
//	fixed          the version carries the fix of its own minor line (go1.27.3 for an
//	               entry fixed in go1.27.3)
//
// CycloneDX says the same in its words: exploitable, not_affected
// (code_not_reachable, code_not_present, requires_environment,
// protected_by_mitigating_control; see [CycloneDXJustification]) and
// resolved.
//
// # Reproducible
//
// Nothing in the documents comes from the clock or the machine: timestamps
// are SOURCE_DATE_EPOCH (the scan's start and finish too), identifiers are
// derived from the content (urn:uuid, name-based), every list is sorted. Two
// releases of one commit write the same bytes.
package vex

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The statuses of a vulnerability for a product, OpenVEX's words.
const (
	NotAffected        = "not_affected"
	Affected           = "affected"
	Fixed              = "fixed"
	UnderInvestigation = "under_investigation"
)

// The justifications of a not_affected status, OpenVEX's list.
const (
	ComponentNotPresent                         = "component_not_present"
	VulnerableCodeNotPresent                    = "vulnerable_code_not_present"
	VulnerableCodeNotInExecutePath              = "vulnerable_code_not_in_execute_path"
	VulnerableCodeCannotBeControlledByAdversary = "vulnerable_code_cannot_be_controlled_by_adversary"
	InlineMitigationsAlreadyExist               = "inline_mitigations_already_exist"
)

// Justifications lists OpenVEX's justifications.
var Justifications = []string{
	ComponentNotPresent, VulnerableCodeNotPresent, VulnerableCodeNotInExecutePath,
	VulnerableCodeCannotBeControlledByAdversary, InlineMitigationsAlreadyExist,
}

// Analysis is what a release's vulns step found: the data the three
// documents are written from.
type Analysis struct {
	Product  Product   // the runtime and its version
	Supplier Supplier  // who supplies the release and authors the documents
	Time     time.Time // SOURCE_DATE_EPOCH: the documents' time and the scan's
	Binaries []Binary  // every binary of the package
	Scanner  Scanner
	Database Database
	// SBOMSerial is the serial number of the package's CycloneDX SBOM
	// (urn:uuid:...), which the CycloneDX VEX points into.
	SBOMSerial string
	Vulns      []Vuln // every vulnerability of the database touching a binary, by id
}

// Product is the software the documents are about.
type Product struct {
	Name    string // cavra-runtime
	Version string // the release version
}

// Supplier is who supplies the release.
type Supplier struct {
	Name, URL, Email string
}

// Binary is one binary of the package.
type Binary struct {
	Path   string // bin/<os>-<arch>/cavra-runtime[.exe], its bom-ref in the SBOM
	Target string // os/arch
	SHA256 string
}

// Scanner is the tool that found what the runtime reaches.
type Scanner struct {
	Name    string // govulncheck
	Module  string // golang.org/x/vuln
	Version string // v1.9.0
}

// Database is the vulnerability database checked against.
type Database struct {
	Module   string    // golang.org/x/vulndb, or "" for a database folder (tests)
	Version  string    // the module version
	Sum      string    // its h1: hash, as go.sum pins it
	Modified time.Time // the newest entry's modified time, or the module's commit time
	Entries  int       // how many entries it holds
}

// URI names the database: the package URL of the module version.
func (d Database) URI() string {
	if d.Module == "" {
		return "file:database"
	}
	return goPURL(d.Module, d.Version)
}

// Vuln is one vulnerability of the database and how it touches each binary.
type Vuln struct {
	ID       string // GO-2026-6809
	Aliases  []string
	Summary  string
	URL      string // https://pkg.go.dev/vuln/<id>
	Findings []Finding
}

// Finding is how a vulnerability touches some binaries, alike.
type Finding struct {
	Module  string // stdlib or a module path
	Version string // as the binaries record it: go1.27.3, v1.2.3
	Fix     string // the version that fixes it ("" when none is known)
	Status  string // affected, not_affected or fixed
	// Justification of not_affected, OpenVEX's label.
	Justification string
	// Impact says why, in words (a reviewed exception's statement).
	Impact string
	// Action says what to do about an affected binary.
	Action string
	// Notes says how the status was found (govulncheck's level, the
	// exception's reviewer and date).
	Notes     string
	Reachable bool     // govulncheck found a call path to a vulnerable symbol
	Binaries  []string // paths, sorted
}

// Normalize sorts everything the documents list, so that one analysis
// always gives the same bytes.
func (a *Analysis) Normalize() {
	slices.SortFunc(a.Binaries, func(x, y Binary) int { return strings.Compare(x.Path, y.Path) })
	slices.SortFunc(a.Vulns, func(x, y Vuln) int { return strings.Compare(x.ID, y.ID) })
	for i := range a.Vulns {
		v := &a.Vulns[i]
		slices.Sort(v.Aliases)
		v.Aliases = slices.Compact(v.Aliases)
		for j := range v.Findings {
			slices.Sort(v.Findings[j].Binaries)
		}
		slices.SortFunc(v.Findings, func(x, y Finding) int {
			return cmp.Or(
				cmp.Compare(statusOrder(x.Status), statusOrder(y.Status)),
				strings.Compare(x.Justification, y.Justification),
				strings.Compare(x.Module, y.Module),
				strings.Compare(strings.Join(x.Binaries, ","), strings.Join(y.Binaries, ",")),
				strings.Compare(x.Notes, y.Notes))
		})
	}
}

func statusOrder(s string) int {
	switch s {
	case Affected:
		return 0
	case NotAffected:
		return 1
	case Fixed:
		return 2
	}
	return 3
}

// binary returns the binary at path p.
func (a *Analysis) binary(p string) (Binary, error) {
	for _, b := range a.Binaries {
		if b.Path == p {
			return b, nil
		}
	}
	return Binary{}, fmt.Errorf("vex: %s is not a binary of the analysis", p)
}

// Check reports what makes an analysis unfit to write: a finding naming no
// binary or another one, a status or justification outside OpenVEX's
// lists, a not_affected without justification, an affected without action.
func (a *Analysis) Check() error {
	if len(a.Binaries) == 0 {
		return fmt.Errorf("vex: no binaries")
	}
	for _, v := range a.Vulns {
		if v.ID == "" {
			return fmt.Errorf("vex: a vulnerability without id")
		}
		for _, f := range v.Findings {
			if err := checkStatus(f.Status, f.Justification, f.Impact, f.Action); err != nil {
				return fmt.Errorf("vex: %s: %w", v.ID, err)
			}
			if len(f.Binaries) == 0 {
				return fmt.Errorf("vex: %s: a finding names no binary", v.ID)
			}
			for _, p := range f.Binaries {
				if _, err := a.binary(p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkStatus checks a status against OpenVEX's rules.
func checkStatus(status, justification, impact, action string) error {
	switch status {
	case NotAffected:
		if justification == "" && impact == "" {
			return fmt.Errorf("not_affected needs a justification or an impact statement")
		}
	case Affected:
		if action == "" {
			return fmt.Errorf("affected needs an action statement")
		}
	case Fixed, UnderInvestigation:
	default:
		return fmt.Errorf("status %q is not one of OpenVEX's", status)
	}
	if justification != "" {
		if status != NotAffected {
			return fmt.Errorf("justification %q on a %s status", justification, status)
		}
		if !slices.Contains(Justifications, justification) {
			return fmt.Errorf("justification %q is not one of OpenVEX's (%s)", justification, strings.Join(Justifications, ", "))
		}
	}
	return nil
}

// PURL returns the package URL of a binary of the package, as the SBOMs
// give it: pkg:generic/<file name>@<version>?checksum=sha256:<hex>.
func PURL(binaryPath, version, sha256 string) string {
	name := binaryPath[strings.LastIndex(binaryPath, "/")+1:]
	return "pkg:generic/" + purlEscape(name) + "@" + purlEscape(version) + "?checksum=" + url.QueryEscape("sha256:"+sha256)
}

// goPURL returns the package URL of a Go module version.
func goPURL(module, version string) string {
	ns, name := "", module
	if i := strings.LastIndex(module, "/"); i > 0 {
		ns, name = module[:i], module[i+1:]
	}
	p := "pkg:golang/"
	if ns != "" {
		for _, seg := range strings.Split(ns, "/") {
			p += purlEscape(seg) + "/"
		}
	}
	p += purlEscape(name)
	if version != "" {
		p += "@" + purlEscape(version)
	}
	return p
}

// ModulePURL returns the package URL of a module version a binary links:
// pkg:golang/stdlib@go1.27.3 for the standard library.
func ModulePURL(module, version string) string { return goPURL(module, version) }

func purlEscape(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "+", "%2B")
}

// nameUUID returns a name-based (SHA-1, version 5) UUID URN of data in the
// URL namespace, as RFC 9562 defines it.
func nameUUID(data []byte) string {
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.New()
	h.Write(ns[:])
	h.Write(data)
	u := h.Sum(nil)[:16]
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	x := hex.EncodeToString(u)
	return "urn:uuid:" + x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// marshal encodes v as indented JSON with a final newline, without
// escaping <, > and & (summaries quote code).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// timestamp formats t as RFC 3339 in UTC, to the second.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
