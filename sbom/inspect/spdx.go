package inspect

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cavra/cavra/internal/strictjson"
)

// spdxDoc holds the fields of an SPDX 2.3 JSON document that a summary needs.
type spdxDoc struct {
	SPDXVersion  string `json:"spdxVersion"`
	SPDXID       string `json:"SPDXID"`
	Name         string `json:"name"`
	Comment      string `json:"comment"`
	CreationInfo *struct {
		Created string `json:"created"`
	} `json:"creationInfo"`
	DocumentDescribes []string `json:"documentDescribes"`
	Packages          []struct {
		SPDXID       string `json:"SPDXID"`
		Name         string `json:"name"`
		VersionInfo  string `json:"versionInfo"`
		ExternalRefs []struct {
			Category string `json:"referenceCategory"`
			Type     string `json:"referenceType"`
			Locator  string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
	Files []struct {
		SPDXID    string `json:"SPDXID"`
		FileName  string `json:"fileName"`
		Checksums []struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"checksumValue"`
		} `json:"checksums"`
	} `json:"files"`
	Relationships []struct {
		A    string `json:"spdxElementId"`
		Type string `json:"relationshipType"`
		B    string `json:"relatedSpdxElement"`
	} `json:"relationships"`
}

// SPDX summarizes an SPDX 2.3 JSON document.
func SPDX(data []byte) (*Summary, error) {
	if err := checkSize("spdx", data); err != nil {
		return nil, err
	}
	var doc spdxDoc
	// Keys that repeat, or differ only in case, would let two readers of
	// one document see different things.
	if err := strictjson.CheckDuplicates(data); err != nil {
		return nil, fmt.Errorf("inspect: spdx: %w", err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("inspect: spdx: %w", err)
	}
	s := newSummary("spdx")
	if doc.SPDXVersion != "SPDX-2.3" {
		return nil, s.errorf("spdxVersion is %q, want SPDX-2.3", doc.SPDXVersion)
	}
	s.Format = doc.SPDXVersion
	if doc.SPDXID != "SPDXRef-DOCUMENT" {
		return nil, s.errorf("SPDXID is %q, want SPDXRef-DOCUMENT", doc.SPDXID)
	}
	s.Name = doc.Name
	if doc.CreationInfo == nil {
		return nil, s.errorf("creationInfo: missing")
	}
	if err := s.created("creationInfo.created", doc.CreationInfo.Created); err != nil {
		return nil, err
	}
	for line := range strings.Lines(doc.Comment) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cavra:snapshot="); ok {
			if err := s.snapshot("comment", v); err != nil {
				return nil, err
			}
		}
	}

	described := map[string]bool{}
	for _, id := range doc.DocumentDescribes {
		described[id] = true
	}
	for _, r := range doc.Relationships {
		if r.A == "SPDXRef-DOCUMENT" && r.Type == "DESCRIBES" {
			described[r.B] = true
		}
	}
	if len(described) != 1 {
		return nil, s.errorf("relationships: the document describes %d elements, want 1", len(described))
	}

	seen := map[string]bool{}
	root := false
	for i, p := range doc.Packages {
		field := fmt.Sprintf("packages[%d] %q", i, p.SPDXID)
		if p.SPDXID == "" || seen[p.SPDXID] {
			return nil, s.errorf("%s: SPDXID empty or used twice", field)
		}
		seen[p.SPDXID] = true
		purl := ""
		for _, ref := range p.ExternalRefs {
			if ref.Type == "purl" {
				if purl != "" {
					return nil, s.errorf("%s: externalRefs: two purls", field)
				}
				purl = ref.Locator
			}
		}
		if described[p.SPDXID] {
			root = true
			s.Version, s.mainPURL = p.VersionInfo, purl
			continue
		}
		if err := s.pkg(field, p.Name, p.VersionInfo, purl); err != nil {
			return nil, err
		}
	}
	if !root {
		return nil, s.errorf("packages: the described element is not a package")
	}

	for i, f := range doc.Files {
		field := fmt.Sprintf("files[%d] %q", i, f.FileName)
		if f.SPDXID == "" || seen[f.SPDXID] {
			return nil, s.errorf("%s: SPDXID empty or used twice", field)
		}
		seen[f.SPDXID] = true
		sum := ""
		for _, c := range f.Checksums {
			if c.Algorithm == "SHA256" {
				if sum != "" {
					return nil, s.errorf("%s: checksums: two SHA256", field)
				}
				if c.Value == "" {
					return nil, s.errorf("%s: checksums: empty SHA256", field)
				}
				sum = c.Value
			}
		}
		if sum == "" {
			return nil, s.errorf("%s: checksums: no SHA256", field)
		}
		if err := s.file(field, f.FileName, sum); err != nil {
			return nil, err
		}
	}
	return s.finish()
}
