package vex

import (
	"fmt"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/strictjson"
)

// The in-toto identifiers of the vulnerability attestation.
const (
	StatementType = "https://in-toto.io/Statement/v1"
	PredicateType = "https://in-toto.io/attestation/vulns/v0.2"
	PayloadType   = "application/vnd.in-toto+json"
)

// VulnsStatement is an in-toto Statement v1 whose predicate is a
// vulnerability scan (https://in-toto.io/attestation/vulns/v0.2) and whose
// subjects are the binaries.
type VulnsStatement struct {
	Type          string    `json:"_type"`
	Subject       []Subject `json:"subject"`
	PredicateType string    `json:"predicateType"`
	Predicate     Vulns     `json:"predicate"`
}

// Subject is one binary the statement is about.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Vulns is the vulns v0.2 predicate.
type Vulns struct {
	Scanner  VulnsScanner  `json:"scanner"`
	Metadata VulnsMetadata `json:"metadata"`
}

// VulnsScanner is the scanner, its database and what it found.
type VulnsScanner struct {
	URI     string        `json:"uri"`
	Version string        `json:"version"`
	DB      VulnsDB       `json:"db"`
	Result  []VulnsResult `json:"result"`
}

// VulnsDB is the database scanned against.
type VulnsDB struct {
	URI        string `json:"uri"`
	Version    string `json:"version"`
	LastUpdate string `json:"lastUpdate"`
}

// VulnsResult is one vulnerability that affects a module or Go version in
// a binary (the scanner's result: fixed ones are not), with how it touches
// each binary as annotations.
type VulnsResult struct {
	ID          string           `json:"id"`
	Severity    []VulnsSeverity  `json:"severity"`
	Annotations []map[string]any `json:"annotations,omitempty"`
}

// VulnsSeverity is a score; the Go vulnerability database gives none.
type VulnsSeverity struct {
	Method string `json:"method"`
	Score  string `json:"score"`
}

// VulnsMetadata is when the scan ran: SOURCE_DATE_EPOCH, both.
type VulnsMetadata struct {
	ScanStartedOn  string `json:"scanStartedOn"`
	ScanFinishedOn string `json:"scanFinishedOn"`
}

// WriteStatement returns the in-toto vulns statement of a (the payload of
// its DSSE envelope).
func WriteStatement(a *Analysis) ([]byte, error) {
	if err := a.Check(); err != nil {
		return nil, err
	}
	st := VulnsStatement{
		Type:          StatementType,
		PredicateType: PredicateType,
		Predicate: Vulns{
			Scanner: VulnsScanner{
				URI:     goPURL(a.Scanner.Module, a.Scanner.Version) + "#cmd/" + a.Scanner.Name,
				Version: a.Scanner.Version,
				DB:      VulnsDB{URI: a.Database.URI(), Version: a.Database.Version, LastUpdate: timestamp(a.Database.Modified)},
				Result:  []VulnsResult{},
			},
			Metadata: VulnsMetadata{ScanStartedOn: timestamp(a.Time), ScanFinishedOn: timestamp(a.Time)},
		},
	}
	for _, b := range a.Binaries {
		st.Subject = append(st.Subject, Subject{Name: b.Path, Digest: map[string]string{"sha256": b.SHA256}})
	}
	for _, v := range a.Vulns {
		r := VulnsResult{ID: v.ID, Severity: []VulnsSeverity{}}
		for _, f := range v.Findings {
			if f.Status == Fixed {
				continue
			}
			ann := map[string]any{
				"status": f.Status, "module": f.Module, "version": f.Version,
				"reachable": f.Reachable, "binaries": f.Binaries,
			}
			if f.Fix != "" {
				ann["fixed"] = f.Fix
			}
			if f.Justification != "" {
				ann["justification"] = f.Justification
			}
			if len(v.Aliases) > 0 {
				ann["aliases"] = v.Aliases
			}
			r.Annotations = append(r.Annotations, ann)
		}
		if len(r.Annotations) > 0 {
			st.Predicate.Scanner.Result = append(st.Predicate.Scanner.Result, r)
		}
	}
	return marshal(st)
}

// ParseStatement decodes an in-toto vulns statement strictly and checks its
// types, subjects and times.
func ParseStatement(data []byte) (*VulnsStatement, error) {
	var st VulnsStatement
	if err := strictjson.Decode(data, &st); err != nil {
		return nil, err
	}
	var bad []string
	if st.Type != StatementType {
		bad = append(bad, fmt.Sprintf("_type %q, want %q", st.Type, StatementType))
	}
	if st.PredicateType != PredicateType {
		bad = append(bad, fmt.Sprintf("predicateType %q, want %q", st.PredicateType, PredicateType))
	}
	if len(st.Subject) == 0 {
		bad = append(bad, "no subjects")
	}
	sc := st.Predicate.Scanner
	if sc.URI == "" || sc.DB.URI == "" {
		bad = append(bad, "scanner.uri and scanner.db.uri are required")
	}
	for _, t := range []struct{ name, v string }{
		{"scanner.db.lastUpdate", sc.DB.LastUpdate},
		{"metadata.scanStartedOn", st.Predicate.Metadata.ScanStartedOn},
		{"metadata.scanFinishedOn", st.Predicate.Metadata.ScanFinishedOn},
	} {
		if _, err := time.Parse(time.RFC3339, t.v); err != nil {
			bad = append(bad, fmt.Sprintf("%s %q is not RFC 3339", t.name, t.v))
		}
	}
	for _, r := range sc.Result {
		if r.ID == "" || r.Severity == nil {
			bad = append(bad, "a result without id or severity")
		}
	}
	if len(bad) > 0 {
		return &st, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return &st, nil
}
