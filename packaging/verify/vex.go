package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/vex"
	"github.com/cavra/cavra/signing/trust"
)

// VEX is what the package's vulnerability evidence says, for reports and
// the auditor's page: the database it was checked against and every
// statement of its OpenVEX document.
type VEX struct {
	Scanner    string         `json:"scanner"`  // e.g. govulncheck v1.9.0
	Database   string         `json:"database"` // the database's URI
	DBVersion  string         `json:"database_version"`
	DBSum      string         `json:"database_sum,omitempty"`
	DBModified string         `json:"database_modified"`
	Statements []VEXStatement `json:"statements"`
}

// VEXStatement is one statement of the OpenVEX document.
type VEXStatement struct {
	ID            string   `json:"id"`
	Aliases       []string `json:"aliases,omitempty"`
	Summary       string   `json:"summary,omitempty"`
	Status        string   `json:"status"`
	Justification string   `json:"justification,omitempty"`
	Impact        string   `json:"impact_statement,omitempty"`
	Notes         string   `json:"status_notes,omitempty"`
	Binaries      []string `json:"binaries"`
}

// binaryPURLs returns the package URL of every binary of the manifest, as
// the VEX documents and the SBOMs name it, and the binary it names.
func binaryPURLs(m *manifest.Manifest) map[string]string {
	out := map[string]string{}
	for _, b := range m.Binaries {
		out[vex.PURL(b.Binary, m.Package.Version, b.SHA256)] = b.Binary
	}
	return out
}

// statusKey is one (vulnerability, status, binary) claim, the unit the three
// documents are compared in.
type statusKey struct{ id, status, binary string }

// checkVEX checks vex/cavra-runtime.openvex.json: an OpenVEX v0.2.0
// document by the rules of the specification, issued at SOURCE_DATE_EPOCH,
// whose products are binaries of the package, each by its package URL and
// SHA-256. It returns the claims, for the other documents to agree with.
func checkVEX(r *Report, pkg *Package, m *manifest.Manifest) map[statusKey]bool {
	name := layout.OpenVEX
	data, ok := pkg.File(name)
	if !ok {
		return nil // reported as required
	}
	doc, err := vex.ParseOpenVEX(data)
	if err != nil {
		r.fail(CheckVEX, name, "%v", err)
		return nil
	}
	var bad problems
	if want := time.Unix(m.Package.SourceDateEpoch, 0).UTC().Format(time.RFC3339); doc.Timestamp != want {
		bad.add("timestamp %s, want SOURCE_DATE_EPOCH %s", doc.Timestamp, want)
	}
	purls := binaryPURLs(m)
	digests := map[string]string{}
	for _, b := range m.Binaries {
		digests[b.Binary] = b.SHA256
	}
	claims := map[statusKey]bool{}
	summary := &VEX{}
	for _, st := range doc.Statements {
		s := VEXStatement{ID: st.Vulnerability.Name, Aliases: st.Vulnerability.Aliases, Summary: st.Vulnerability.Description,
			Status: st.Status, Justification: st.Justification, Impact: st.ImpactStatement, Notes: st.StatusNotes}
		for _, p := range st.Products {
			bin, ok := purls[p.ID]
			switch {
			case !ok:
				bad.add("%s: product %s is not a binary of the package (or not with its digest)", st.Vulnerability.Name, p.ID)
				continue
			case p.Identifiers["purl"] != p.ID:
				bad.add("%s: product %s has identifiers.purl %q", st.Vulnerability.Name, p.ID, p.Identifiers["purl"])
			case p.Hashes["sha-256"] != digests[bin]:
				bad.add("%s: product %s has sha-256 %q, the binary has %s", st.Vulnerability.Name, bin, p.Hashes["sha-256"], digests[bin])
			}
			claims[statusKey{st.Vulnerability.Name, st.Status, bin}] = true
			s.Binaries = append(s.Binaries, bin)
		}
		slices.Sort(s.Binaries)
		summary.Statements = append(summary.Statements, s)
	}
	r.VEX = summary
	report(r, CheckVEX, name, bad, "OpenVEX v0.2.0, %d statements about the package's binaries, issued %s", len(doc.Statements), doc.Timestamp)
	return claims
}

// checkVEXCycloneDX checks vex/cavra-runtime.vex.cdx.json: a CycloneDX 1.7
// VEX BOM that references the package's CycloneDX SBOM by its serial
// number, whose affects are BOM-Links to binaries of that SBOM, and which
// states what the OpenVEX document states, in CycloneDX's words.
func checkVEXCycloneDX(r *Report, pkg *Package, m *manifest.Manifest, claims map[statusKey]bool) {
	name := layout.CycloneDXVEX
	data, ok := pkg.File(name)
	if !ok {
		return // reported as required
	}
	bom, err := vex.ParseCycloneDX(data)
	if err != nil {
		r.fail(CheckVEXCycloneDX, name, "%v", err)
		return
	}
	var bad problems
	serial := ""
	if sbom, ok := pkg.File(layout.CycloneDX); ok {
		var s struct {
			SerialNumber string `json:"serialNumber"`
		}
		json.Unmarshal(sbom, &s)
		serial = s.SerialNumber
	}
	if serial == "" || bom.SBOMSerial() != serial {
		bad.add("references the SBOM %q, %s has serial number %q", bom.SBOMSerial(), layout.CycloneDX, serial)
	}
	if want := time.Unix(m.Package.SourceDateEpoch, 0).UTC().Format(time.RFC3339); bom.Metadata.Timestamp != want {
		bad.add("metadata.timestamp %s, want SOURCE_DATE_EPOCH %s", bom.Metadata.Timestamp, want)
	}
	if c := bom.Metadata.Component; c.Name != "cavra-runtime" || c.Version != m.Package.Version {
		bad.add("metadata.component %s %s, want cavra-runtime %s", c.Name, c.Version, m.Package.Version)
	}
	links := map[string]string{}
	for _, b := range m.Binaries {
		links[vex.BOMLink(serial, b.Binary)] = b.Binary
	}
	got := map[statusKey]bool{}
	for _, v := range bom.Vulnerabilities {
		status := ""
		for _, p := range v.Properties {
			if p.Name == "cavra:openvex-status" {
				status = p.Value
			}
		}
		if vex.CycloneDXState(status) != v.Analysis.State {
			bad.add("%s: analysis.state %s does not say OpenVEX's %q", v.ID, v.Analysis.State, status)
		}
		for _, a := range v.Affects {
			bin, ok := links[a.Ref]
			if !ok {
				bad.add("%s: affects %s, which is not a binary of the SBOM", v.ID, a.Ref)
				continue
			}
			got[statusKey{v.ID, status, bin}] = true
		}
	}
	if claims != nil && !maps.Equal(got, claims) {
		bad.add("states %d (vulnerability, status, binary) claims, the OpenVEX document %d, and they differ", len(got), len(claims))
	}
	report(r, CheckVEXCycloneDX, name, bad, "CycloneDX 1.7 VEX of the SBOM %s, %d vulnerabilities, agrees with %s", serial, len(bom.Vulnerabilities), layout.OpenVEX)
}

// checkVulns checks the in-toto vulns statement and its DSSE envelope: the
// envelope verifies with the trusted key and holds exactly the statement
// file; the statement is an in-toto Statement v1 with the vulns v0.2
// predicate, its subjects exactly the package's binaries with their
// digests, its results exactly the vulnerabilities the OpenVEX document
// does not state as fixed.
func checkVulns(r *Report, pkg *Package, m *manifest.Manifest, key *trust.Key, claims map[statusKey]bool) {
	name := layout.Vulns
	data, ok := pkg.File(name)
	env, envOK := pkg.File(layout.VulnsEnvelope)
	if !ok || !envOK {
		return // reported as required
	}
	var bad problems
	payloadType, payload, err := openEnvelope(env, key)
	if err != nil {
		r.fail(CheckVulns, layout.VulnsEnvelope, "%v", err)
		return
	}
	if payloadType != vex.PayloadType {
		bad.add("%s: payloadType %q, want %q", layout.VulnsEnvelope, payloadType, vex.PayloadType)
	}
	if !bytes.Equal(payload, data) {
		bad.add("%s holds another statement than %s", layout.VulnsEnvelope, name)
	}
	st, err := vex.ParseStatement(data)
	if err != nil {
		r.fail(CheckVulns, name, "%v", err)
		return
	}
	want := map[string]string{}
	for _, b := range m.Binaries {
		want[b.Binary] = b.SHA256
	}
	got := map[string]string{}
	for _, s := range st.Subject {
		got[s.Name] = s.Digest["sha256"]
	}
	if !maps.Equal(got, want) {
		bad.add("subjects %v are not the package's binaries with their digests", slices.Sorted(maps.Keys(got)))
	}
	sc := st.Predicate.Scanner
	if when := time.Unix(m.Package.SourceDateEpoch, 0).UTC().Format(time.RFC3339); st.Predicate.Metadata.ScanStartedOn != when || st.Predicate.Metadata.ScanFinishedOn != when {
		bad.add("metadata scanStartedOn/scanFinishedOn %s/%s, want SOURCE_DATE_EPOCH %s", st.Predicate.Metadata.ScanStartedOn, st.Predicate.Metadata.ScanFinishedOn, when)
	}
	results := map[string]bool{}
	for _, res := range sc.Result {
		results[res.ID] = true
	}
	stated := map[string]bool{}
	for k := range claims {
		if k.status != vex.Fixed {
			stated[k.id] = true
		}
	}
	if claims != nil && !maps.Equal(results, stated) {
		bad.add("results %v, the OpenVEX document states %v as not fixed", slices.Sorted(maps.Keys(results)), slices.Sorted(maps.Keys(stated)))
	}
	if r.VEX != nil {
		r.VEX.Scanner = strings.TrimSpace(scannerName(sc.URI) + " " + sc.Version)
		r.VEX.Database, r.VEX.DBVersion, r.VEX.DBModified = sc.DB.URI, sc.DB.Version, sc.DB.LastUpdate
		if bom, ok := pkg.File(layout.CycloneDXVEX); ok {
			if b, err := vex.ParseCycloneDX(bom); err == nil {
				for _, p := range b.Metadata.Properties {
					if p.Name == "cavra:vulndb-sum" {
						r.VEX.DBSum = p.Value
					}
				}
			}
		}
	}
	how := "signature not checked: no trusted key"
	if key != nil {
		how = "DSSE signature verifies with " + key.Fingerprint()
	}
	report(r, CheckVulns, name, bad, "in-toto vulns v0.2 about %d binaries: %s against %s (%s), %d results; %s", len(got), sc.Version, sc.DB.URI, sc.DB.LastUpdate, len(sc.Result), how)
}

// scannerName returns the command name a scanner URI ends with.
func scannerName(uri string) string {
	if _, cmd, ok := strings.Cut(uri, "#cmd/"); ok {
		return cmd
	}
	return uri
}

// checkVulnsBundle checks the Sigstore bundle of the vulns statement: it
// verifies with the trusted key and holds the envelope's statement.
func checkVulnsBundle(r *Report, pkg *Package, key *trust.Key) {
	name := layout.VulnsBundle
	bundle, err := pkg.bytes(name)
	env, envErr := pkg.bytes(layout.VulnsEnvelope)
	if err != nil || envErr != nil {
		return // reported as required or unreadable
	}
	if key == nil {
		r.skip(CheckVulnsBundle, name, "not checked: no trusted key")
		return
	}
	bt, bp, err := key.VerifyDSSEBundle(bundle)
	if err != nil {
		r.fail(CheckVulnsBundle, name, "%v", err)
		return
	}
	et, ep, err := key.VerifyDSSE(env)
	if err != nil {
		return // reported by checkVulns
	}
	if bt != et || !bytes.Equal(bp, ep) {
		r.fail(CheckVulnsBundle, name, "holds another statement than %s", layout.VulnsEnvelope)
		return
	}
	r.pass(CheckVulnsBundle, name, "DSSE bundle verifies with %s and holds the statement of %s", key.Fingerprint(), layout.VulnsEnvelope)
}

// vexSummary is a short line about the statements, for reports.
func (v *VEX) String() string {
	n := map[string]int{}
	for _, s := range v.Statements {
		n[s.Status]++
	}
	var parts []string
	for _, s := range []string{vex.Affected, vex.NotAffected, vex.Fixed, vex.UnderInvestigation} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	if len(parts) == 0 {
		return "no statements"
	}
	return strings.Join(parts, ", ")
}
