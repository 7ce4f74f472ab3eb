package inspect

import (
	"encoding/json"
	"fmt"
	"slices"
)

// cdxComponent holds the fields of a CycloneDX component that a summary
// and the compliance checks need.
type cdxComponent struct {
	BOMRef       string      `json:"bom-ref"`
	Type         string      `json:"type"`
	Name         string      `json:"name"`
	Version      string      `json:"version"`
	PURL         string      `json:"purl"`
	CPE          string      `json:"cpe"`
	SWID         *cdxSWID    `json:"swid"`
	Supplier     *cdxOrg     `json:"supplier"`
	Manufacturer *cdxOrg     `json:"manufacturer"`
	Authors      []cdxPerson `json:"authors"`
	Hashes       []struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	} `json:"hashes"`
	Licenses   []cdxLicense   `json:"licenses"`
	Properties []cdxProperty  `json:"properties"`
	Components []cdxComponent `json:"components"`
}

type cdxSWID struct {
	TagID string `json:"tagId"`
}

// cdxOrg is an organizationalEntity.
type cdxOrg struct {
	Name    string      `json:"name"`
	URL     []string    `json:"url"`
	Contact []cdxPerson `json:"contact"`
}

// cdxPerson is an organizationalContact.
type cdxPerson struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// cdxLicense is a licenseChoice: a licence or an expression.
type cdxLicense struct {
	License *struct {
		ID              string `json:"id"`
		Name            string `json:"name"`
		Acknowledgement string `json:"acknowledgement"`
	} `json:"license"`
	Expression      string `json:"expression"`
	Acknowledgement string `json:"acknowledgement"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// cdxBOM holds the fields of a CycloneDX JSON BOM that a summary and the
// compliance checks need.
type cdxBOM struct {
	BOMFormat   string `json:"bomFormat"`
	SpecVersion string `json:"specVersion"`
	Metadata    *struct {
		Timestamp    string          `json:"timestamp"`
		Tools        json.RawMessage `json:"tools"`
		Authors      []cdxPerson     `json:"authors"`
		Manufacturer *cdxOrg         `json:"manufacturer"`
		Supplier     *cdxOrg         `json:"supplier"`
		Component    *cdxComponent   `json:"component"`
		Properties   []cdxProperty   `json:"properties"`
	} `json:"metadata"`
	Components   []cdxComponent `json:"components"`
	Dependencies []struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	} `json:"dependencies"`
}

// cycloneDXVersions are the spec versions accepted.
var cycloneDXVersions = []string{"1.6", "1.7"}

// CycloneDX summarizes a CycloneDX 1.6 or 1.7 JSON document.
func CycloneDX(data []byte) (*Summary, error) {
	bom, err := decodeCycloneDX(data)
	if err != nil {
		return nil, err
	}
	s := newSummary("cyclonedx")
	s.Format = "CycloneDX-" + bom.SpecVersion
	md := bom.Metadata
	if md == nil {
		return nil, s.errorf("metadata: missing")
	}
	if err := s.created("metadata.timestamp", md.Timestamp); err != nil {
		return nil, err
	}
	if md.Component == nil {
		return nil, s.errorf("metadata.component: missing")
	}
	s.Name, s.Version, s.mainPURL = md.Component.Name, md.Component.Version, md.Component.PURL
	snap := false
	for i, p := range md.Properties {
		if p.Name != "cavra:snapshot" {
			continue
		}
		if snap {
			return nil, s.errorf("metadata.properties[%d]: cavra:snapshot given twice", i)
		}
		snap = true
		if err := s.snapshot(fmt.Sprintf("metadata.properties[%d]", i), p.Value); err != nil {
			return nil, err
		}
	}
	if err := s.components("components", bom.Components); err != nil {
		return nil, err
	}
	return s.finish()
}

// decodeCycloneDX decodes a CycloneDX 1.6 or 1.7 JSON document.
func decodeCycloneDX(data []byte) (*cdxBOM, error) {
	var bom cdxBOM
	if err := decode("cyclonedx", data, &bom); err != nil {
		return nil, err
	}
	if bom.BOMFormat != "CycloneDX" {
		return nil, fmt.Errorf("inspect: cyclonedx: bomFormat is %q, want CycloneDX", bom.BOMFormat)
	}
	if !slices.Contains(cycloneDXVersions, bom.SpecVersion) {
		return nil, fmt.Errorf("inspect: cyclonedx: specVersion is %q, want one of %q", bom.SpecVersion, cycloneDXVersions)
	}
	return &bom, nil
}

// components adds cs and the components nested in them to the summary.
func (s *summary) components(field string, cs []cdxComponent) error {
	for i, c := range cs {
		f := fmt.Sprintf("%s[%d] %q", field, i, c.Name)
		if c.Type == "file" {
			sum := ""
			for _, h := range c.Hashes {
				if h.Alg == "SHA-256" {
					if sum != "" {
						return s.errorf("%s: hashes: two SHA-256", f)
					}
					if h.Content == "" {
						return s.errorf("%s: hashes: empty SHA-256", f)
					}
					sum = h.Content
				}
			}
			if sum == "" {
				return s.errorf("%s: hashes: no SHA-256", f)
			}
			if err := s.file(f, c.Name, sum); err != nil {
				return err
			}
		} else if err := s.pkg(f, c.Name, c.Version, c.PURL); err != nil {
			return err
		}
		if err := s.components(f+".components", c.Components); err != nil {
			return err
		}
	}
	return nil
}
