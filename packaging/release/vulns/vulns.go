// Package vulns is the release step "vulns": it checks the runtime against
// the Go vulnerability database that go.mod pins and writes the package's
// vulnerability evidence (see package
// github.com/cavra/cavra/packaging/format/vex for the documents).
//
// The step, in order:
//
//  1. Takes the database from the golang.org/x/vulndb module version that
//     go.mod requires (its data/osv/*.json), through the go command like any
//     dependency: from the module cache, checked against go.sum (and its h1:
//     hash checked again here), fetched through the module proxy the first
//     time. It indexes the entries into the layout govulncheck's -db
//     file:// reads (package vulndb), deterministically, in a temporary
//     folder. The database's identity is recorded: module version, h1: hash,
//     last update (the newest entry's modified time; the module's entries
//     carry none, so the commit time of its pseudo-version), entry count.
//  2. Runs govulncheck (golang.org/x/vuln, the version go.mod pins with a
//     tool directive, built by the release toolchain so that it reads that
//     toolchain's standard library) in source mode on ./cmd/cavra-runtime
//     of the extracted source archive, once per target with its GOOS and
//     GOARCH and the release's build settings, against that database, with
//     GOPROXY=off and no other network (see [Govulncheck]).
//  3. Reads each shipped binary's build info (the Go version and module
//     versions it records) and matches every entry of the database against
//     them (package vulndb): an entry touches a binary when it affects one
//     of its module versions, or that version carries the fix of its own
//     minor line.
//  4. Decides each binary's status per entry (see package vex): affected when
//     govulncheck reached a vulnerable symbol, not_affected with
//     vulnerable_code_not_in_execute_path or vulnerable_code_not_present
//     otherwise, fixed when fixed; a reviewed exception of
//     vex/exceptions.yaml (see [Exceptions]) turns a vulnerability it names
//     into not_affected with its justification and impact statement.
//  5. Fails the release on an affected binary: a reachable vulnerability
//     without a reviewed exception. Otherwise writes the OpenVEX, CycloneDX
//     VEX and in-toto vulns documents; the release's vulns-attestation step
//     signs the last.
//
// The documents depend on the source archive (which holds go.mod, go.sum
// and the exceptions), the binaries, the SBOM and the release toolchain
// alone, all of which key the release's step cache, so a warm release
// copies them from there.
package vulns

import (
	"cmp"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/dirhash"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/vex"
	"github.com/cavra/cavra/packaging/format/vulndb"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// The modules go.mod pins: the scanner and the database.
const (
	ScannerModule  = "golang.org/x/vuln"
	ScannerPackage = "golang.org/x/vuln/cmd/govulncheck"
	DatabaseModule = "golang.org/x/vulndb"
)

// Step is the release step "vulns".
type Step struct {
	// Database, for tests only, is a database folder (the -db file://
	// layout) to check against instead of the pinned golang.org/x/vulndb.
	// A release never sets it.
	Database string
	// Scanner finds what each target reaches; nil means [Govulncheck],
	// keeping its scans in Scans.
	Scanner Scanner
	// Scans, when set, keeps govulncheck's findings by what they depend
	// on (see [Govulncheck.Cache]), so a release of a new commit that
	// leaves the runtime's source alone scans nothing.
	Scans *release.StepCache
}

// Name implements release.Step.
func (Step) Name() string { return "vulns" }

// Run implements release.Step.
func (st Step) Run(ctx context.Context, s *release.State) (artifact.List, error) {
	c := s.Config
	work, err := os.MkdirTemp(s.OutDir, "vulns-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	start := time.Now()
	db, dir, err := st.database(ctx, c, work)
	if err != nil {
		return nil, err
	}
	s.Log.Done(fmt.Sprintf("vulns: database %s (%d entries, %s)", db.URI(), db.Entries, db.Modified.Format(time.DateOnly)), time.Since(start))

	exceptions, err := ReadExceptions(s)
	if err != nil {
		return nil, err
	}
	scanner := st.Scanner
	if scanner == nil {
		g := Govulncheck{}
		if st.Scans != nil && st.Scans.Dir != "" {
			g.Cache = filepath.Join(st.Scans.Dir, "vulns")
		}
		scanner = g
	}
	start = time.Now()
	reach, tool, err := scanner.Scan(ctx, s, dir)
	if err != nil {
		return nil, err
	}
	s.Log.Done(fmt.Sprintf("vulns: %s %s, %d targets in source mode", tool.Name, tool.Version, len(reach)), time.Since(start))

	a, err := analyse(s, db, dir, tool, reach, exceptions)
	if err != nil {
		return nil, err
	}
	if err := Policy(a); err != nil {
		return nil, err
	}
	var list artifact.List
	for _, doc := range []struct {
		path, format string
		write        func(*vex.Analysis) ([]byte, error)
	}{
		{layout.OpenVEX, "openvex-0.2.0", vex.WriteOpenVEX},
		{layout.CycloneDXVEX, "cyclonedx-1.7-vex", vex.WriteCycloneDX},
		{layout.Vulns, "in-toto-vulns-0.2", vex.WriteStatement},
	} {
		data, err := doc.write(a)
		if err != nil {
			return nil, err
		}
		f, err := artifact.WriteFile(s.Dir, doc.path, artifact.VEX, 0o644, data)
		if err != nil {
			return nil, err
		}
		f.Format = doc.format
		list = append(list, f)
	}
	return list, nil
}

// database returns the identity of the database and a folder holding it in
// the -db file:// layout.
func (st Step) database(ctx context.Context, c *release.Config, work string) (vex.Database, string, error) {
	if st.Database != "" {
		db, err := vulndb.Open(st.Database)
		if err != nil {
			return vex.Database{}, "", err
		}
		defer db.Close()
		return vex.Database{Modified: db.Modified, Entries: db.Len()}, st.Database, nil
	}
	mod, err := Download(ctx, c, DatabaseModule)
	if err != nil {
		return vex.Database{}, "", err
	}
	// The go command checked the zip against go.sum when it came into the
	// module cache; check it again, as read now.
	if sum, err := dirhash.HashZip(mod.Zip, dirhash.Hash1); err != nil || sum != mod.Sum {
		return vex.Database{}, "", fmt.Errorf("vulns: %s@%s: the module zip %s hashes to %s, go.sum pins %s (%v)", mod.Path, mod.Version, mod.Zip, sum, mod.Sum, err)
	}
	id := vex.Database{Module: mod.Path, Version: mod.Version, Sum: mod.Sum}
	// The database is a function of the module zip, whose h1: sum names
	// it: with a cache, it is written once per sum and read from there.
	var kept string
	if st.Scans != nil && st.Scans.Dir != "" {
		sum := sha256.Sum256([]byte(mod.Sum))
		kept = filepath.Join(st.Scans.Dir, "vulndb", hex.EncodeToString(sum[:16]))
		if db, err := vulndb.Open(kept); err == nil {
			id.Modified, id.Entries = db.Modified, db.Len()
			db.Close()
			return id, kept, nil
		}
	}
	db, err := vulndb.FromModuleZip(mod.Zip, mod.Path, mod.Version, nil)
	if err != nil {
		return vex.Database{}, "", err
	}
	id.Modified, id.Entries = db.Modified, db.Entries
	dir := filepath.Join(work, "vulndb")
	if err := vulndb.Write(dir, db.Files); err != nil {
		return vex.Database{}, "", err
	}
	if kept != "" && os.MkdirAll(filepath.Dir(kept), 0o755) == nil && os.Rename(dir, kept) == nil {
		return id, kept, nil
	}
	return id, dir, nil // kept by another release at once, or no cache
}

// binaryModules returns the module versions a binary records: the standard
// library at its Go version, then every dependency (its replacement when
// replaced). The main module has no version to match.
func binaryModules(file string) ([][2]string, error) {
	info, err := buildinfo.ReadFile(file)
	if err != nil {
		return nil, err
	}
	mods := [][2]string{{vulndb.Stdlib, info.GoVersion}}
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		mods = append(mods, [2]string{d.Path, d.Version})
	}
	return mods, nil
}

// analyse decides, for every entry of the database touching a module
// version of a binary, the binary's status.
func analyse(s *release.State, db vex.Database, dir string, tool vex.Scanner, reach map[string]Reach, exceptions []Exception) (*vex.Analysis, error) {
	c := s.Config
	a := &vex.Analysis{
		Product:  vex.Product{Name: build.BinaryName, Version: c.Version},
		Supplier: vex.Supplier(c.Supplier),
		Time:     c.Epoch,
		Scanner:  tool,
		Database: db,
	}
	serial, err := sbomSerial(s)
	if err != nil {
		return nil, err
	}
	a.SBOMSerial = serial
	d, err := vulndb.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	byModule := map[string][]*vulndb.Entry{}
	type group struct {
		id string
		f  vex.Finding
	}
	found := map[string]*group{} // by id and finding: the binaries alike
	entries := map[string]*vulndb.Entry{}
	used := map[string]bool{}
	for _, b := range s.Artifacts.Of(artifact.Binary) {
		a.Binaries = append(a.Binaries, vex.Binary{Path: b.Path, Target: b.Target, SHA256: b.SHA256})
		mods, err := binaryModules(filepath.Join(s.Dir, filepath.FromSlash(b.Path)))
		if err != nil {
			return nil, fmt.Errorf("vulns: %s: %w", b.Path, err)
		}
		scanned, ok := reach[b.Target]
		if !ok {
			return nil, fmt.Errorf("vulns: %s: the scanner did not scan %s", b.Path, b.Target)
		}
		for _, m := range mods {
			list, ok := byModule[m[0]]
			if !ok {
				if list, err = d.Module(m[0]); err != nil {
					return nil, err
				}
				byModule[m[0]] = list
			}
			for _, e := range list {
				hit, ok := e.Match(m[0], m[1])
				if !ok {
					continue
				}
				entries[e.ID] = e
				f := vex.Finding{Module: m[0], Version: m[1], Fix: hit.Fix}
				r := scanned.Level(e.ID)
				ex := findException(exceptions, e)
				switch {
				case !hit.Affected:
					f.Status = vex.Fixed
					f.Notes = fmt.Sprintf("%s %s carries the fix (%s).", m[0], m[1], hit.Fix)
				case ex != nil:
					used[ex.ID] = true
					f.Status, f.Justification, f.Impact = vex.NotAffected, ex.Justification, ex.Impact
					f.Reachable = r == Called
					f.Notes = fmt.Sprintf("%s Reviewed exception of %s by %s on %s.", r.describe(), ExceptionsFile, ex.ReviewedBy, ex.ReviewedOn)
				case r == Called:
					f.Status, f.Reachable = vex.Affected, true
					f.Action = "Update " + m[0] + " to " + cmp.Or(hit.Fix, "a fixed version") + " and release again."
					f.Notes = r.describe()
					if tr := scanned.Traces[e.ID]; tr != "" {
						f.Notes = "govulncheck found a call path: " + tr + "."
					}
				case r == Imported:
					f.Status, f.Justification = vex.NotAffected, vex.VulnerableCodeNotInExecutePath
					f.Notes = r.describe()
				default:
					f.Status, f.Justification = vex.NotAffected, vex.VulnerableCodeNotPresent
					f.Notes = r.describe()
				}
				k, err := json.Marshal(f)
				if err != nil {
					return nil, err
				}
				g := found[e.ID+"\x00"+string(k)]
				if g == nil {
					g = &group{id: e.ID, f: f}
					found[e.ID+"\x00"+string(k)] = g
				}
				g.f.Binaries = append(g.f.Binaries, b.Path)
			}
		}
	}
	for _, ex := range exceptions {
		if !used[ex.ID] {
			return nil, fmt.Errorf("vulns: %s: the exception for %s matches no vulnerability affecting this release (fixed, or not in the database): remove it", ExceptionsFile, ex.ID)
		}
	}
	byID := map[string]*vex.Vuln{}
	for _, g := range found {
		v := byID[g.id]
		if v == nil {
			e := entries[g.id]
			v = &vex.Vuln{ID: e.ID, Aliases: e.Aliases, Summary: cmp.Or(e.Summary, firstLine(e.Details)), URL: e.URL()}
			byID[g.id] = v
		}
		v.Findings = append(v.Findings, g.f)
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		a.Vulns = append(a.Vulns, *byID[id])
	}
	a.Normalize()
	return a, a.Check()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// sbomSerial returns the serial number of the package's CycloneDX SBOM.
func sbomSerial(s *release.State) (string, error) {
	a, ok := s.Artifacts.Find(layout.CycloneDX)
	if !ok {
		return "", fmt.Errorf("vulns: no %s: the sbom step runs first", layout.CycloneDX)
	}
	data, err := os.ReadFile(filepath.Join(s.Dir, filepath.FromSlash(a.Path)))
	if err != nil {
		return "", err
	}
	var bom struct {
		SerialNumber string `json:"serialNumber"`
	}
	if err := json.Unmarshal(data, &bom); err != nil || bom.SerialNumber == "" {
		return "", fmt.Errorf("vulns: %s: no serial number", a.Path)
	}
	return bom.SerialNumber, nil
}

// Policy fails on every binary a vulnerability affects: reachable, with no
// reviewed exception. The error names each, with the module version, the
// fix, the binaries and how to resolve it.
func Policy(a *vex.Analysis) error {
	var lines []string
	for _, v := range a.Vulns {
		for _, f := range v.Findings {
			if f.Status != vex.Affected {
				continue
			}
			lines = append(lines, fmt.Sprintf("  %s %s %s (fixed in %s) reachable in %s: %s\n    %s", v.ID, f.Module, f.Version, cmp.Or(f.Fix, "no release yet"), strings.Join(f.Binaries, ", "), v.Summary, f.Notes))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return errors.New("vulns: reachable vulnerabilities without a reviewed exception:\n" + strings.Join(lines, "\n") +
		"\nMove to a fixed version (the Go release toolchain is build.Toolchain in packaging/format/build), " +
		"or add a reviewed exception to " + ExceptionsFile + " (id, justification, impact, reviewed_by, reviewed_on) that says why it does not matter.")
}
