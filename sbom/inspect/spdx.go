package inspect

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// spdxDoc holds the fields of an SPDX 2.3 JSON document that a summary
// and the compliance checks need.
type spdxDoc struct {
	SPDXVersion  string `json:"spdxVersion"`
	SPDXID       string `json:"SPDXID"`
	Name         string `json:"name"`
	Comment      string `json:"comment"`
	CreationInfo *struct {
		Created  string   `json:"created"`
		Creators []string `json:"creators"`
	} `json:"creationInfo"`
	DocumentDescribes []string      `json:"documentDescribes"`
	Packages          []spdxPackage `json:"packages"`
	Files             []struct {
		SPDXID           string         `json:"SPDXID"`
		FileName         string         `json:"fileName"`
		Checksums        []spdxChecksum `json:"checksums"`
		LicenseConcluded string         `json:"licenseConcluded"`
	} `json:"files"`
	Relationships []struct {
		A    string `json:"spdxElementId"`
		Type string `json:"relationshipType"`
		B    string `json:"relatedSpdxElement"`
	} `json:"relationships"`
}

type spdxPackage struct {
	SPDXID           string         `json:"SPDXID"`
	Name             string         `json:"name"`
	VersionInfo      string         `json:"versionInfo"`
	PackageFileName  string         `json:"packageFileName"`
	Supplier         string         `json:"supplier"`
	Originator       string         `json:"originator"`
	Homepage         string         `json:"homepage"`
	Checksums        []spdxChecksum `json:"checksums"`
	LicenseConcluded string         `json:"licenseConcluded"`
	LicenseDeclared  string         `json:"licenseDeclared"`
	ExternalRefs     []struct {
		Category string `json:"referenceCategory"`
		Type     string `json:"referenceType"`
		Locator  string `json:"referenceLocator"`
	} `json:"externalRefs"`
	Annotations []struct {
		Comment string `json:"comment"`
	} `json:"annotations"`
}

type spdxChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

// decodeSPDX decodes an SPDX 2.3 JSON document.
func decodeSPDX(data []byte) (*spdxDoc, error) {
	var doc spdxDoc
	if err := decode("spdx", data, &doc); err != nil {
		return nil, err
	}
	if doc.SPDXVersion != "SPDX-2.3" {
		return nil, fmt.Errorf("inspect: spdx: spdxVersion is %q, want SPDX-2.3", doc.SPDXVersion)
	}
	if doc.SPDXID != "SPDXRef-DOCUMENT" {
		return nil, fmt.Errorf("inspect: spdx: SPDXID is %q, want SPDXRef-DOCUMENT", doc.SPDXID)
	}
	return &doc, nil
}

// described returns the SPDX identifiers the document describes.
func (doc *spdxDoc) described() map[string]bool {
	described := map[string]bool{}
	for _, id := range doc.DocumentDescribes {
		described[id] = true
	}
	for _, r := range doc.Relationships {
		if r.A == "SPDXRef-DOCUMENT" && r.Type == "DESCRIBES" {
			described[r.B] = true
		}
	}
	return described
}

// purl returns the package URL among p's external references.
func (p *spdxPackage) purl() (string, error) {
	purl := ""
	for _, ref := range p.ExternalRefs {
		if ref.Type == "purl" {
			if purl != "" {
				return "", errors.New("externalRefs: two purls")
			}
			purl = ref.Locator
		}
	}
	return purl, nil
}

// sha256Of returns the one SHA256 of a file or package.
func sha256Of(sums []spdxChecksum) (string, error) {
	sum := ""
	for _, c := range sums {
		if c.Algorithm == "SHA256" {
			if sum != "" {
				return "", errors.New("checksums: two SHA256")
			}
			if c.Value == "" {
				return "", errors.New("checksums: empty SHA256")
			}
			sum = c.Value
		}
	}
	if sum == "" {
		return "", errors.New("checksums: no SHA256")
	}
	return sum, nil
}

// SPDX summarizes an SPDX 2.3 JSON document. Deployable files are
// packages with a packageFileName (the base name of the package name,
// which is the path) or, in older documents, files.
func SPDX(data []byte) (*Summary, error) {
	doc, err := decodeSPDX(data)
	if err != nil {
		return nil, err
	}
	s := newSummary("spdx")
	s.Format = doc.SPDXVersion
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

	described := doc.described()
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
		purl, err := p.purl()
		if err != nil {
			return nil, s.errorf("%s: %w", field, err)
		}
		switch {
		case described[p.SPDXID]:
			root = true
			s.Version, s.mainPURL = p.VersionInfo, purl
		case p.PackageFileName != "":
			if path.Base(p.Name) != p.PackageFileName {
				return nil, s.errorf("%s: packageFileName %q is not the file name of %q", field, p.PackageFileName, p.Name)
			}
			sum, err := sha256Of(p.Checksums)
			if err != nil {
				return nil, s.errorf("%s: %w", field, err)
			}
			if err := s.file(field, p.Name, sum); err != nil {
				return nil, err
			}
		default:
			if err := s.pkg(field, p.Name, p.VersionInfo, purl); err != nil {
				return nil, err
			}
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
		sum, err := sha256Of(f.Checksums)
		if err != nil {
			return nil, s.errorf("%s: %w", field, err)
		}
		if err := s.file(field, f.FileName, sum); err != nil {
			return nil, err
		}
	}
	return s.finish()
}
