package vex

import (
	"fmt"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
)

// OpenVEXContext is the @context of an OpenVEX v0.2.0 document.
const OpenVEXContext = "https://openvex.dev/ns/v0.2.0"

// OpenVEX is an OpenVEX v0.2.0 document (https://github.com/openvex/spec).
type OpenVEX struct {
	Context    string      `json:"@context"`
	ID         string      `json:"@id"`
	Author     string      `json:"author"`
	Role       string      `json:"role,omitempty"`
	Timestamp  string      `json:"timestamp"`
	Version    int         `json:"version"`
	Tooling    string      `json:"tooling,omitempty"`
	Statements []Statement `json:"statements"`
}

// Statement is one OpenVEX statement: a vulnerability, the products, the
// status.
type Statement struct {
	Vulnerability   Vulnerability `json:"vulnerability"`
	Timestamp       string        `json:"timestamp,omitempty"`
	Products        []Component   `json:"products"`
	Status          string        `json:"status"`
	StatusNotes     string        `json:"status_notes,omitempty"`
	Justification   string        `json:"justification,omitempty"`
	ImpactStatement string        `json:"impact_statement,omitempty"`
	ActionStatement string        `json:"action_statement,omitempty"`
}

// Vulnerability names a vulnerability.
type Vulnerability struct {
	ID          string   `json:"@id,omitempty"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty"`
}

// Component is a product or a subcomponent.
type Component struct {
	ID            string            `json:"@id,omitempty"`
	Identifiers   map[string]string `json:"identifiers,omitempty"` // "purl": ...
	Hashes        map[string]string `json:"hashes,omitempty"`      // "sha-256": hex
	Subcomponents []Component       `json:"subcomponents,omitempty"`
}

// WriteOpenVEX returns the OpenVEX document of a: one statement per
// vulnerability and finding, its products the binaries of the finding
// (each by package URL and SHA-256), the vulnerable module its
// subcomponent.
func WriteOpenVEX(a *Analysis) ([]byte, error) {
	if err := a.Check(); err != nil {
		return nil, err
	}
	doc := OpenVEX{
		Context:    OpenVEXContext,
		Author:     author(a.Supplier),
		Role:       "Document Creator",
		Timestamp:  timestamp(a.Time),
		Version:    1,
		Tooling:    tooling(a),
		Statements: []Statement{},
	}
	for _, v := range a.Vulns {
		for _, f := range v.Findings {
			st := Statement{
				Vulnerability:   Vulnerability{ID: v.URL, Name: v.ID, Description: v.Summary, Aliases: v.Aliases},
				Status:          f.Status,
				StatusNotes:     f.Notes,
				Justification:   f.Justification,
				ImpactStatement: f.Impact,
				ActionStatement: f.Action,
			}
			for _, p := range f.Binaries {
				b, err := a.binary(p)
				if err != nil {
					return nil, err
				}
				purl := PURL(b.Path, a.Product.Version, b.SHA256)
				st.Products = append(st.Products, Component{
					ID:            purl,
					Identifiers:   map[string]string{"purl": purl},
					Hashes:        map[string]string{"sha-256": b.SHA256},
					Subcomponents: []Component{{ID: ModulePURL(f.Module, f.Version)}},
				})
			}
			doc.Statements = append(doc.Statements, st)
		}
	}
	// The @id is derived from everything else.
	body, err := marshal(doc)
	if err != nil {
		return nil, err
	}
	doc.ID = nameUUID(body)
	return marshal(doc)
}

// author names the supplier, with its address when it has one.
func author(s Supplier) string {
	if s.Email != "" {
		return s.Name + " <" + s.Email + ">"
	}
	return s.Name
}

// tooling says how the statements were made.
func tooling(a *Analysis) string {
	db := a.Database.URI()
	if a.Database.Sum != "" {
		db += " " + a.Database.Sum
	}
	return fmt.Sprintf("%s %s (%s), source mode per target with the release toolchain's standard library, against %s (%d entries, last modified %s)",
		a.Scanner.Name, a.Scanner.Version, a.Scanner.Module, db, a.Database.Entries, timestamp(a.Database.Modified))
}

// ParseOpenVEX decodes an OpenVEX document strictly (no unknown fields, no
// duplicate keys) and checks it against the specification's rules: the
// context, an @id, an author, a timestamp, version 1 or more, and every
// statement's status, justification and products.
func ParseOpenVEX(data []byte) (*OpenVEX, error) {
	var d OpenVEX
	if err := strictjson.Decode(data, &d); err != nil {
		return nil, err
	}
	var bad []string
	if d.Context != OpenVEXContext {
		bad = append(bad, fmt.Sprintf("@context %q, want %q", d.Context, OpenVEXContext))
	}
	if d.ID == "" || d.Author == "" || d.Version < 1 {
		bad = append(bad, "@id, author and version (1 or more) are required")
	}
	if _, err := time.Parse(time.RFC3339, d.Timestamp); err != nil {
		bad = append(bad, fmt.Sprintf("timestamp %q is not RFC 3339", d.Timestamp))
	}
	for i, st := range d.Statements {
		where := fmt.Sprintf("statement %d (%s)", i, st.Vulnerability.Name)
		if st.Vulnerability.Name == "" {
			bad = append(bad, where+": no vulnerability name")
		}
		if err := checkStatus(st.Status, st.Justification, st.ImpactStatement, st.ActionStatement); err != nil {
			bad = append(bad, where+": "+err.Error())
		}
		if len(st.Products) == 0 {
			bad = append(bad, where+": no products")
		}
		if st.Timestamp != "" {
			if _, err := time.Parse(time.RFC3339, st.Timestamp); err != nil {
				bad = append(bad, fmt.Sprintf("%s: timestamp %q is not RFC 3339", where, st.Timestamp))
			}
		}
	}
	if len(bad) > 0 {
		return &d, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return &d, nil
}

// Covers reports whether a statement of d is about the vulnerability (by
// name or alias, any of names) for the product whose package URL is purl,
// and returns it.
func (d *OpenVEX) Covers(names []string, purl string) (*Statement, bool) {
	for i := range d.Statements {
		st := &d.Statements[i]
		if !st.names(names) {
			continue
		}
		for _, p := range st.Products {
			if p.ID == purl || p.Identifiers["purl"] == purl {
				return st, true
			}
		}
	}
	return nil, false
}

func (st *Statement) names(names []string) bool {
	for _, n := range names {
		if n == "" {
			continue
		}
		if st.Vulnerability.Name == n {
			return true
		}
		for _, a := range st.Vulnerability.Aliases {
			if a == n {
				return true
			}
		}
	}
	return false
}
