// Package vulns re-checks a cavra-go-runtime package against a Go
// vulnerability database the operator brings, typically newer than the one
// the release was checked against, with the standard library alone: what
// `cavra release vulns PACKAGE --db DIR|vulndb.zip` and `go run mage.go
// verify:vulns` run inside a restricted network.
//
// The package is verified first (see package verify): its VEX documents are
// only as good as their signature, so a package that fails verification is
// not re-checked. Then, for every binary, the check reads the Go version
// and module versions its build info records (debug/buildinfo, without
// running it), and matches every entry of the database against them (the
// standard library as "stdlib" at its go1.x.y; see package vulndb). Each
// entry that affects a version in a binary is:
//
//	COVERED  the package's OpenVEX document has a statement about it (by id or
//	         alias) for that binary, saying affected, not_affected or
//	         under_investigation: the release knew it and said so
//	NEW      no statement covers it, or the statement says fixed while the
//	         database says the version is affected
//
// The re-check fails when any is NEW, naming its id, module, version, the
// version that fixes it and the binaries. Nothing touches the network, and
// nothing is written.
package vulns

import (
	"bytes"
	"cmp"
	"debug/buildinfo"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/jsonio"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/vex"
	"github.com/cavra/cavra/packaging/format/vulndb"
	"github.com/cavra/cavra/packaging/verify"
)

// Options control a re-check.
type Options struct {
	Verify   verify.Options // what the package must be
	Database string         // a database folder, or a zip of one (vulndb.zip)
}

// The outcomes of one vulnerability.
const (
	Covered = "COVERED"
	New     = "NEW"
)

// Finding is one vulnerability that affects a module version in some
// binaries.
type Finding struct {
	Result   string   `json:"result"` // COVERED or NEW
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases,omitempty"`
	Summary  string   `json:"summary,omitempty"`
	URL      string   `json:"url"`
	Module   string   `json:"module"`  // stdlib or a module path
	Version  string   `json:"version"` // as the binaries record it
	Fixed    string   `json:"fixed"`   // the version that fixes it, "" when none
	Binaries []string `json:"binaries"`
	// Statement is what the package's VEX says, for a covered one: its
	// status and justification.
	Statement string `json:"statement,omitempty"`
}

// Database describes the database checked against.
type Database struct {
	Source   string `json:"source"`
	Modified string `json:"modified"`
	Entries  int    `json:"entries"`
}

// Report is the result of a re-check.
type Report struct {
	Input    string        `json:"input"`
	Package  string        `json:"package"`
	Version  string        `json:"version,omitempty"`
	Verify   verify.Status `json:"verify"`
	Failures []string      `json:"verify_failures,omitempty"`
	Database Database      `json:"database"`
	// Released names the database the release checked against, from the
	// package's vulns statement.
	Released string        `json:"released_with,omitempty"`
	Binaries []Binary      `json:"binaries"`
	Findings []Finding     `json:"findings"`
	Status   verify.Status `json:"status"` // FAIL when the package failed verification or any finding is NEW
	Error    string        `json:"error,omitempty"`
	Seconds  float64       `json:"seconds"`
}

// Binary is one binary as its build info describes it.
type Binary struct {
	Path      string `json:"path"`
	GoVersion string `json:"go_version"`
	Modules   int    `json:"modules"` // dependencies recorded besides the main module
}

// OK reports whether the re-check passed.
func (r *Report) OK() bool { return r.Status == verify.Pass }

// New returns the findings no statement of the package covers.
func (r *Report) New() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Result == New {
			out = append(out, f)
		}
	}
	return out
}

// Run verifies the package at path (a folder or a zip) and re-checks it
// against the database. The error is non-nil only when the package or the
// database cannot be read at all; a failed verification or a new
// vulnerability is a FAIL in the report.
func Run(path string, o Options) (*Report, error) {
	start := time.Now()
	db, err := vulndb.Open(o.Database)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	vr, pkg, err := verify.Path(path, o.Verify)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Input: path, Package: vr.Package, Version: vr.Version, Verify: vr.Status, Failures: vr.Errors(),
		Database: Database{Source: o.Database, Modified: db.Modified.Format(time.RFC3339), Entries: db.Len()},
		Findings: []Finding{},
	}
	defer func() { rep.Seconds = time.Since(start).Seconds() }()
	if vr.VEX != nil {
		rep.Released = strings.TrimSpace(vr.VEX.Database + " (" + vr.VEX.DBModified + ")")
	}
	if !vr.OK() || pkg == nil || pkg.Manifest == nil {
		rep.Status = verify.Fail
		rep.Error = fmt.Sprintf("the package failed verification (%d checks failed): its VEX is not trusted, nothing was re-checked", vr.Failed)
		return rep, nil
	}
	m := pkg.Manifest
	data, ok := pkg.File(layout.OpenVEX)
	if !ok {
		return nil, fmt.Errorf("vulns: %s: not readable", layout.OpenVEX)
	}
	doc, err := vex.ParseOpenVEX(data)
	if err != nil {
		return nil, fmt.Errorf("vulns: %s: %w", layout.OpenVEX, err)
	}
	var bins []input
	for _, b := range m.Binaries {
		data, ok := pkg.File(b.Binary)
		if !ok {
			return nil, fmt.Errorf("vulns: %s: not readable", b.Binary)
		}
		bins = append(bins, input{Path: b.Binary, SHA256: b.SHA256, Data: data})
	}
	if rep.Findings, rep.Binaries, err = recheck(doc, db, m.Package.Version, bins); err != nil {
		return nil, err
	}
	rep.Status = verify.Pass
	if len(rep.New()) > 0 {
		rep.Status = verify.Fail
	}
	return rep, nil
}

// input is one binary of the package.
type input struct {
	Path, SHA256 string
	Data         []byte
}

// recheck matches the database against the module versions each binary
// records and sorts what affects them into covered and new.
func recheck(doc *vex.OpenVEX, db *vulndb.DB, version string, bins []input) ([]Finding, []Binary, error) {
	byModule := map[string][]*vulndb.Entry{}
	type key struct{ id, module, version, fixed, result, statement string }
	groups := map[key]*Finding{}
	var binaries []Binary
	for _, b := range bins {
		info, err := buildinfo.Read(bytes.NewReader(b.Data))
		if err != nil {
			return nil, nil, fmt.Errorf("vulns: %s: %w", b.Path, err)
		}
		binaries = append(binaries, Binary{Path: b.Path, GoVersion: info.GoVersion, Modules: len(info.Deps)})
		mods := [][2]string{{vulndb.Stdlib, info.GoVersion}}
		for _, d := range info.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			mods = append(mods, [2]string{d.Path, d.Version})
		}
		purl := vex.PURL(b.Path, version, b.SHA256)
		for _, mod := range mods {
			entries, ok := byModule[mod[0]]
			if !ok {
				if entries, err = db.Module(mod[0]); err != nil {
					return nil, nil, err
				}
				byModule[mod[0]] = entries
			}
			for _, e := range entries {
				hit, ok := e.Match(mod[0], mod[1])
				if !ok || !hit.Affected {
					continue
				}
				k := key{id: e.ID, module: mod[0], version: mod[1], fixed: hit.Fix, result: New}
				if st, ok := doc.Covers(append([]string{e.ID}, e.Aliases...), purl); ok && st.Status != vex.Fixed {
					k.result, k.statement = Covered, strings.TrimSuffix(st.Status+": "+st.Justification, ": ")
				}
				f := groups[k]
				if f == nil {
					f = &Finding{Result: k.result, ID: e.ID, Aliases: e.Aliases, Summary: cmp.Or(e.Summary, firstLine(e.Details)), URL: e.URL(),
						Module: k.module, Version: k.version, Fixed: k.fixed, Statement: k.statement}
					groups[k] = f
				}
				f.Binaries = append(f.Binaries, b.Path)
			}
		}
	}
	findings := []Finding{}
	for _, k := range slices.SortedFunc(maps.Keys(groups), func(a, b key) int {
		return cmp.Or(strings.Compare(b.result, a.result), strings.Compare(a.id, b.id), strings.Compare(a.module, b.module), strings.Compare(a.statement, b.statement))
	}) {
		f := groups[k]
		slices.Sort(f.Binaries)
		findings = append(findings, *f)
	}
	return findings, binaries, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error { return jsonio.Write(w, r) }

// WriteText writes the report for people: the database, one line per
// finding, NEW first, then a summary line.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "vulns %s: %s %s against %s (modified %s, %d entries)\n", r.Input, r.Package, r.Version, r.Database.Source, r.Database.Modified, r.Database.Entries)
	if r.Released != "" {
		fmt.Fprintf(&b, "the release was checked against %s\n", r.Released)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "FAIL  %s\n", r.Error)
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "FAIL  verify: %s\n", f)
		}
	}
	for _, f := range r.Findings {
		fixed := cmp.Or(f.Fixed, "no fix yet")
		line := fmt.Sprintf("%-7s %s %s %s, fixed in %s, in %s", f.Result, f.ID, f.Module, f.Version, fixed, strings.Join(f.Binaries, ", "))
		if f.Statement != "" {
			line += " (VEX: " + f.Statement + ")"
		}
		if f.Summary != "" {
			line += ": " + f.Summary
		}
		b.WriteString(line + "\n")
	}
	n := len(r.New())
	switch {
	case r.Error != "":
	case n > 0:
		fmt.Fprintf(&b, "FAIL  %s %s: %d vulnerabilities the package's VEX does not cover; %d covered\n", r.Package, r.Version, n, len(r.Findings)-n)
	default:
		fmt.Fprintf(&b, "PASS  %s %s: no vulnerability of the database the package's VEX does not cover (%d covered, %d binaries)\n", r.Package, r.Version, len(r.Findings), len(r.Binaries))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
