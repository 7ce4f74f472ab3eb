// Package vulndb reads and writes the Go vulnerability database, and
// matches its entries against the module versions a binary records.
//
// The database is a set of OSV entries (https://ossf.github.io/osv-schema/),
// one per vulnerability, in the layout https://vuln.go.dev serves and
// govulncheck's -db file://DIR reads:
//
//	index/db.json       {"modified": the newest entry's modified time}
//	index/modules.json  [{"path", "vulns": [{"id", "modified", "fixed"}]}], by path, then id
//	index/vulns.json    [{"id", "modified", "aliases"}], by id
//	ID/<id>.json        one OSV entry each
//
// vulndb.zip holds the same files. [Open] reads either; [Index] writes the
// layout from OSV entries, deterministically (sorted, no times but the
// entries'), as a release does from the golang.org/x/vulndb module that
// go.mod pins ([FromModule] reads its data/osv/).
//
// An entry names Go modules by path; the standard library is the module
// "stdlib" and the go command "toolchain", whose versions are Go releases
// (go1.27.3, "1.27.3" in a range). [Entry.Match] says whether an entry
// touches a module version: it is affected (inside a range), or fixed (past
// a fix of its own minor line: go1.27.3 for a fix in go1.27.3).
//
// Everything read here is hostile input: sizes are bounded, names are
// checked, and an entry must be named by its id.
package vulndb

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The module paths the database gives the Go standard library and the go
// command. A binary links the standard library ("stdlib" at its Go version),
// never the go command.
const (
	Stdlib    = "stdlib"
	Toolchain = "toolchain"
)

// Entry is an OSV entry of the Go vulnerability database: the fields this
// module reads (unknown fields are ignored, as OSV grows).
type Entry struct {
	ID               string            `json:"id"`
	Modified         time.Time         `json:"modified"`
	Published        time.Time         `json:"published"`
	Withdrawn        *time.Time        `json:"withdrawn,omitempty"`
	Aliases          []string          `json:"aliases,omitempty"`
	Summary          string            `json:"summary,omitempty"`
	Details          string            `json:"details,omitempty"`
	Affected         []Affected        `json:"affected"`
	DatabaseSpecific *DatabaseSpecific `json:"database_specific,omitempty"`
}

// Affected is one module an entry affects and the versions.
type Affected struct {
	Package           Package            `json:"package"`
	Ranges            []Range            `json:"ranges,omitempty"`
	EcosystemSpecific *EcosystemSpecific `json:"ecosystem_specific,omitempty"`
}

// Package names a module ("stdlib", "toolchain" or a module path) in the Go
// ecosystem.
type Package struct {
	Name      string `json:"name"`
	Ecosystem string `json:"ecosystem"`
}

// Range is a list of introduced and fixed events; only SEMVER ranges are
// read.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event opens (Introduced) or closes (Fixed) a range of affected versions;
// Introduced "0" is the beginning of time.
type Event struct {
	Introduced string `json:"introduced,omitempty"`
	Fixed      string `json:"fixed,omitempty"`
}

// EcosystemSpecific lists the packages and symbols of a module that are
// vulnerable, optionally only on some operating systems and architectures.
type EcosystemSpecific struct {
	Imports []Import `json:"imports,omitempty"`
}

// Import is a vulnerable package and its symbols.
type Import struct {
	Path    string   `json:"path"`
	GOOS    []string `json:"goos,omitempty"`
	GOARCH  []string `json:"goarch,omitempty"`
	Symbols []string `json:"symbols,omitempty"`
}

// DatabaseSpecific holds the Go database's own fields.
type DatabaseSpecific struct {
	URL          string `json:"url,omitempty"`
	ReviewStatus string `json:"review_status,omitempty"`
}

// ParseEntry decodes one OSV entry and checks that it has an id and names
// modules.
func ParseEntry(data []byte) (*Entry, error) {
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	if e.ID == "" || strings.ContainsAny(e.ID, `/\:`) || strings.Contains(e.ID, "..") {
		return nil, fmt.Errorf("entry id %q", e.ID)
	}
	for _, a := range e.Affected {
		if a.Package.Name == "" {
			return nil, fmt.Errorf("%s: an affected package has no name", e.ID)
		}
	}
	return &e, nil
}

// URL returns the page of the entry, https://pkg.go.dev/vuln/<id>.
func (e *Entry) URL() string {
	if e.DatabaseSpecific != nil && strings.HasPrefix(e.DatabaseSpecific.URL, "https://") {
		return e.DatabaseSpecific.URL
	}
	return "https://pkg.go.dev/vuln/" + e.ID
}

// Hit is how an entry touches one module version.
type Hit struct {
	// Affected is true when the version is inside a range of the entry;
	// false when it is past a fix of its own minor line (it is fixed).
	Affected bool
	// Fix is the version that fixes it, in the spelling of the binary
	// ("go1.27.4", "v1.2.3"): when Affected the first fix after the
	// version, "" when there is none; else the fix the version has.
	Fix string
	// Packages are the vulnerable packages of the module the entry names
	// (for the standard library, e.g. net/http).
	Packages []string
}

// Match reports how e touches the module path at version, spelled as a
// binary records it ("v1.2.3", "go1.27.3" for the standard library). A
// withdrawn entry, another module, a version that is not semantic (a main
// module's "(devel)") and a version only an older line's fix covers are
// not touched.
func (e *Entry) Match(path, version string) (Hit, bool) {
	if e.Withdrawn != nil {
		return Hit{}, false
	}
	v := Semver(version)
	if v == "" {
		return Hit{}, false
	}
	spell := func(s string) string {
		if s == "" {
			return ""
		}
		if strings.HasPrefix(version, "go") {
			return GoVersion(s)
		}
		return "v" + s
	}
	var hit *Hit
	var packages []string
	for _, a := range e.Affected {
		if a.Package.Name != path {
			continue
		}
		if a.EcosystemSpecific != nil {
			for _, imp := range a.EcosystemSpecific.Imports {
				packages = append(packages, imp.Path)
			}
		}
		if affects(a.Ranges, v) {
			fix := firstFixAfter(a.Ranges, v)
			if hit == nil || !hit.Affected || (fix != "" && (hit.Fix == "" || compare(fix, Semver(hit.Fix)) < 0)) {
				hit = &Hit{Affected: true, Fix: spell(fix)}
			}
			continue
		}
		if fix := fixOfLine(a.Ranges, v); fix != "" && (hit == nil || (!hit.Affected && compare(fix, Semver(hit.Fix)) > 0)) {
			hit = &Hit{Fix: spell(fix)}
		}
	}
	if hit == nil {
		return Hit{}, false
	}
	slices.Sort(packages)
	hit.Packages = slices.Compact(packages)
	return *hit, true
}

// affects reports whether v is in ranges: with no SEMVER range every
// version is (as govulncheck reads it); else v must be in one.
func affects(ranges []Range, v string) bool {
	semver := false
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		semver = true
		if contains(r, v) {
			return true
		}
	}
	return !semver
}

// contains reports whether v is in the range r: after an introduced event
// (inclusive) and before the next fixed one (exclusive).
func contains(r Range, v string) bool {
	events := sorted(r.Events)
	in := false
	for _, e := range events {
		switch {
		case !in && e.Introduced != "":
			in = compare(v, e.Introduced) >= 0
		case in && e.Fixed != "":
			in = compare(v, e.Fixed) < 0
		}
	}
	return in
}

// sorted returns the events in version order, "0" first.
func sorted(events []Event) []Event {
	out := slices.Clone(events)
	at := func(e Event) string {
		if e.Introduced != "" {
			return e.Introduced
		}
		return e.Fixed
	}
	slices.SortStableFunc(out, func(a, b Event) int { return compare(at(a), at(b)) })
	return out
}

// firstFixAfter returns the lowest fixed event above v, or "".
func firstFixAfter(ranges []Range, v string) string {
	best := ""
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && compare(e.Fixed, v) > 0 && (best == "" || compare(e.Fixed, best) < 0) {
				best = e.Fixed
			}
		}
	}
	return best
}

// fixOfLine returns the highest fixed event at or below v in v's own minor
// line (the fix v carries), or "".
func fixOfLine(ranges []Range, v string) string {
	best := ""
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && compare(e.Fixed, v) <= 0 && sameMinor(e.Fixed, v) && (best == "" || compare(e.Fixed, best) > 0) {
				best = e.Fixed
			}
		}
	}
	return best
}

// nonSupersededFix returns the latest fix of ranges unless the
// vulnerability was introduced again after it: the "fixed" of the modules
// index, which tells a client that every version from it on is safe.
func nonSupersededFix(ranges []Range) string {
	latest := ""
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && (latest == "" || compare(latest, e.Fixed) < 0) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && latest != "" && compare(latest, e.Introduced) < 0 {
				latest = ""
				break
			}
		}
	}
	return latest
}
