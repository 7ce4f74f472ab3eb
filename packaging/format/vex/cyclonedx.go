package vex

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
)

// CycloneDX is a CycloneDX 1.7 VEX BOM: metadata and vulnerabilities, no
// components of its own; every affects names a binary of the package's
// CycloneDX SBOM by BOM-Link.
type CycloneDX struct {
	BOMFormat          string          `json:"bomFormat"`
	SpecVersion        string          `json:"specVersion"`
	SerialNumber       string          `json:"serialNumber"`
	Version            int             `json:"version"`
	Metadata           CDXMetadata     `json:"metadata"`
	ExternalReferences []CDXReference  `json:"externalReferences"`
	Vulnerabilities    []CDXVulnerable `json:"vulnerabilities"`
}

// CDXMetadata is the BOM's metadata.
type CDXMetadata struct {
	Timestamp  string          `json:"timestamp"`
	Tools      CDXTools        `json:"tools"`
	Authors    []CDXContact    `json:"authors"`
	Supplier   CDXOrganization `json:"supplier"`
	Component  CDXComponent    `json:"component"`
	Properties []CDXProperty   `json:"properties"`
}

// CDXTools lists the tools that made the BOM.
type CDXTools struct {
	Components []CDXComponent `json:"components"`
}

// CDXComponent is the product the BOM is about, or a tool.
type CDXComponent struct {
	BOMRef  string `json:"bom-ref,omitempty"`
	Type    string `json:"type"`
	Group   string `json:"group,omitempty"`
	Name    string `json:"name"`
	Version string `json:"version"`
	PURL    string `json:"purl,omitempty"`
}

// CDXContact is a person or role.
type CDXContact struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// CDXOrganization is an organisation.
type CDXOrganization struct {
	Name    string       `json:"name"`
	URL     []string     `json:"url,omitempty"`
	Contact []CDXContact `json:"contact,omitempty"`
}

// CDXProperty is a name and a value.
type CDXProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CDXReference is an external reference.
type CDXReference struct {
	Type    string `json:"type"`
	URL     string `json:"url"`
	Comment string `json:"comment,omitempty"`
}

// CDXVulnerable is one vulnerability of the BOM, with its analysis.
type CDXVulnerable struct {
	BOMRef         string        `json:"bom-ref"`
	ID             string        `json:"id"`
	Source         CDXSource     `json:"source"`
	References     []CDXVulnRef  `json:"references,omitempty"`
	Description    string        `json:"description,omitempty"`
	Recommendation string        `json:"recommendation,omitempty"`
	Analysis       CDXAnalysis   `json:"analysis"`
	Affects        []CDXAffects  `json:"affects"`
	Properties     []CDXProperty `json:"properties,omitempty"`
}

// CDXSource says where a vulnerability is described.
type CDXSource struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

// CDXVulnRef is another id of the vulnerability.
type CDXVulnRef struct {
	ID     string    `json:"id"`
	Source CDXSource `json:"source"`
}

// CDXAnalysis is CycloneDX's impact analysis.
type CDXAnalysis struct {
	State         string   `json:"state"`
	Justification string   `json:"justification,omitempty"`
	Response      []string `json:"response,omitempty"`
	Detail        string   `json:"detail,omitempty"`
}

// CDXAffects names an affected component by reference.
type CDXAffects struct {
	Ref string `json:"ref"`
}

// CycloneDXState returns CycloneDX's analysis state for an OpenVEX status.
func CycloneDXState(status string) string {
	switch status {
	case Affected:
		return "exploitable"
	case NotAffected:
		return "not_affected"
	case Fixed:
		return "resolved"
	}
	return "in_triage"
}

// CycloneDXJustification returns CycloneDX's justification for an
// OpenVEX one: component_not_present and vulnerable_code_not_present are
// code_not_present, vulnerable_code_not_in_execute_path code_not_reachable,
// vulnerable_code_cannot_be_controlled_by_adversary requires_environment,
// inline_mitigations_already_exist protected_by_mitigating_control.
func CycloneDXJustification(j string) string {
	switch j {
	case ComponentNotPresent, VulnerableCodeNotPresent:
		return "code_not_present"
	case VulnerableCodeNotInExecutePath:
		return "code_not_reachable"
	case VulnerableCodeCannotBeControlledByAdversary:
		return "requires_environment"
	case InlineMitigationsAlreadyExist:
		return "protected_by_mitigating_control"
	}
	return ""
}

// BOMLink returns the BOM-Link of the component ref of the BOM serial
// (urn:uuid:...), version 1: urn:cdx:<uuid>/1#<ref>.
func BOMLink(serial, ref string) string {
	return "urn:cdx:" + strings.TrimPrefix(serial, "urn:uuid:") + "/1#" + fragmentEscape(ref)
}

func fragmentEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/!$&'()*+,;=:@", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// WriteCycloneDX returns the CycloneDX 1.7 VEX BOM of a.
func WriteCycloneDX(a *Analysis) ([]byte, error) {
	if err := a.Check(); err != nil {
		return nil, err
	}
	if !serialRE.MatchString(a.SBOMSerial) {
		return nil, fmt.Errorf("vex: SBOM serial number %q is not urn:uuid:<uuid>", a.SBOMSerial)
	}
	org := CDXOrganization{Name: a.Supplier.Name}
	if a.Supplier.URL != "" {
		org.URL = []string{a.Supplier.URL}
	}
	if a.Supplier.Email != "" {
		org.Contact = []CDXContact{{Email: a.Supplier.Email}}
	}
	bom := CycloneDX{
		BOMFormat:   "CycloneDX",
		SpecVersion: "1.7",
		Version:     1,
		Metadata: CDXMetadata{
			Timestamp: timestamp(a.Time),
			Tools: CDXTools{Components: []CDXComponent{{
				Type: "application", Group: a.Scanner.Module, Name: a.Scanner.Name, Version: a.Scanner.Version,
				PURL: goPURL(a.Scanner.Module, a.Scanner.Version),
			}}},
			Authors:  []CDXContact{{Name: a.Supplier.Name, Email: a.Supplier.Email}},
			Supplier: org,
			Component: CDXComponent{
				BOMRef: a.Product.Name + "@" + a.Product.Version, Type: "application",
				Name: a.Product.Name, Version: a.Product.Version,
			},
			Properties: []CDXProperty{
				{Name: "cavra:vulndb", Value: a.Database.URI()},
				{Name: "cavra:vulndb-sum", Value: a.Database.Sum},
				{Name: "cavra:vulndb-modified", Value: timestamp(a.Database.Modified)},
				{Name: "cavra:vulndb-entries", Value: fmt.Sprint(a.Database.Entries)},
			},
		},
		ExternalReferences: []CDXReference{{
			Type: "bom", URL: "urn:cdx:" + strings.TrimPrefix(a.SBOMSerial, "urn:uuid:") + "/1",
			Comment: "the CycloneDX SBOM of the package (sbom/cavra-runtime.cdx.json), whose binaries the affects name",
		}},
		Vulnerabilities: []CDXVulnerable{},
	}
	for _, v := range a.Vulns {
		for i, f := range v.Findings {
			x := CDXVulnerable{
				BOMRef:      fmt.Sprintf("%s/%d", v.ID, i+1),
				ID:          v.ID,
				Source:      CDXSource{Name: "Go Vulnerability Database", URL: v.URL},
				Description: v.Summary,
				Analysis: CDXAnalysis{
					State:         CycloneDXState(f.Status),
					Justification: CycloneDXJustification(f.Justification),
					Detail:        strings.TrimSpace(strings.Join([]string{f.Impact, f.Action, f.Notes}, " ")),
				},
				Properties: []CDXProperty{
					{Name: "cavra:module", Value: f.Module},
					{Name: "cavra:version", Value: f.Version},
					{Name: "cavra:openvex-status", Value: f.Status},
				},
			}
			if f.Justification != "" {
				x.Properties = append(x.Properties, CDXProperty{Name: "cavra:openvex-justification", Value: f.Justification})
			}
			if f.Fix != "" {
				x.Properties = append(x.Properties, CDXProperty{Name: "cavra:fixed-version", Value: f.Fix})
			}
			switch f.Status {
			case Affected:
				x.Analysis.Response = []string{"update"}
				if f.Fix != "" {
					x.Recommendation = "Update " + f.Module + " to " + f.Fix + "."
				}
			case Fixed:
				x.Analysis.Response = []string{"update"}
			}
			for _, alias := range v.Aliases {
				x.References = append(x.References, CDXVulnRef{ID: alias, Source: aliasSource(alias)})
			}
			for _, p := range f.Binaries {
				x.Affects = append(x.Affects, CDXAffects{Ref: BOMLink(a.SBOMSerial, p)})
			}
			bom.Vulnerabilities = append(bom.Vulnerabilities, x)
		}
	}
	body, err := marshal(bom)
	if err != nil {
		return nil, err
	}
	bom.SerialNumber = nameUUID(body)
	return marshal(bom)
}

// aliasSource says where an alias is described.
func aliasSource(id string) CDXSource {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return CDXSource{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + id}
	case strings.HasPrefix(id, "GHSA-"):
		return CDXSource{Name: "GitHub Advisories", URL: "https://github.com/advisories/" + id}
	}
	return CDXSource{Name: "OSV", URL: "https://osv.dev/vulnerability/" + id}
}

var serialRE = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ParseCycloneDX decodes a CycloneDX VEX BOM as [WriteCycloneDX] writes it,
// strictly, and checks its form: CycloneDX 1.7, a serial number, a time,
// every vulnerability with an analysis state and affects.
func ParseCycloneDX(data []byte) (*CycloneDX, error) {
	var b CycloneDX
	if err := strictjson.Decode(data, &b); err != nil {
		return nil, err
	}
	var bad []string
	if b.BOMFormat != "CycloneDX" || b.SpecVersion != "1.7" {
		bad = append(bad, fmt.Sprintf("bomFormat %q specVersion %q, want CycloneDX 1.7", b.BOMFormat, b.SpecVersion))
	}
	if !serialRE.MatchString(b.SerialNumber) || b.Version < 1 {
		bad = append(bad, fmt.Sprintf("serialNumber %q version %d", b.SerialNumber, b.Version))
	}
	if _, err := time.Parse(time.RFC3339, b.Metadata.Timestamp); err != nil {
		bad = append(bad, fmt.Sprintf("metadata.timestamp %q is not RFC 3339", b.Metadata.Timestamp))
	}
	for _, v := range b.Vulnerabilities {
		switch v.Analysis.State {
		case "exploitable", "not_affected", "resolved", "in_triage", "false_positive", "resolved_with_pedigree":
		default:
			bad = append(bad, fmt.Sprintf("%s: analysis.state %q", v.ID, v.Analysis.State))
		}
		if len(v.Affects) == 0 {
			bad = append(bad, v.ID+": affects nothing")
		}
	}
	if len(bad) > 0 {
		return &b, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return &b, nil
}

// SBOMSerial returns the serial number (urn:uuid:...) of the SBOM the BOM
// points into, from its bom external reference.
func (b *CycloneDX) SBOMSerial() string {
	for _, r := range b.ExternalReferences {
		if r.Type == "bom" {
			if u, ok := strings.CutPrefix(r.URL, "urn:cdx:"); ok {
				u, _, _ = strings.Cut(u, "/")
				return "urn:uuid:" + u
			}
		}
	}
	return ""
}
