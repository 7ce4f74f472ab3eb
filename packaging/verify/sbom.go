package verify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/sbom/inspect"
)

// checkSBOMs checks both SBOMs against the manifest: they parse as SPDX 2.3
// and CycloneDX, name the runtime version, the Go version and the commit's
// creation time, carry the snapshot label, and list exactly the package's
// binaries, Linux packages and source archive with their digests. Then it
// checks each against the NTIA minimum elements and BSI TR-03183-2 (see
// [checkCompliance]).
func checkSBOMs(r *Report, pkg *Package, m *manifest.Manifest) {
	for _, f := range []struct {
		name   string
		parse  func([]byte) (*inspect.Summary, error)
		comply func([]byte) (*inspect.Compliance, error)
	}{
		{layout.SPDX, inspect.SPDX, inspect.CheckSPDX},
		{layout.CycloneDX, inspect.CycloneDX, inspect.CheckCycloneDX},
	} {
		data, ok := pkg.File(f.name)
		if !ok {
			continue // reported as required
		}
		sum, err := f.parse(data)
		if err != nil {
			r.fail(CheckSBOM, f.name, "%v", strings.TrimPrefix(err.Error(), "inspect: "))
			continue
		}
		var errs []string
		bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
		if sum.Version != m.Package.Version {
			bad("names version %q, manifest records %q", sum.Version, m.Package.Version)
		}
		if sum.GoVersion != m.Go.Version {
			bad("names Go %q, manifest records %q", sum.GoVersion, m.Go.Version)
		}
		if sum.Snapshot != m.Snapshot {
			bad("snapshot=%v, manifest says %v", sum.Snapshot, m.Snapshot)
		}
		if want := time.Unix(m.Package.SourceDateEpoch, 0).UTC(); !sum.Created.Equal(want) {
			bad("created %s, want SOURCE_DATE_EPOCH %s", sum.Created.Format(time.RFC3339), want.Format(time.RFC3339))
		}
		if v := sum.Modules[build.ModulePath]; v != m.Package.Version {
			bad("main module %s at %q, want %q", build.ModulePath, v, m.Package.Version)
		}
		// Every deployable the manifest records, with its digest.
		lists := func(path, sha256 string) {
			switch got, ok := sum.Files[path]; {
			case !ok:
				bad("does not list %s", path)
			case got != sha256:
				bad("lists %s with sha256 %s, manifest records %s", path, got, sha256)
			}
		}
		for _, b := range m.Binaries {
			lists(b.Binary, b.SHA256)
		}
		for _, lp := range m.Packages {
			lists(lp.Path, lp.SHA256)
		}
		lists(m.Source.Archive, m.Source.SHA256)
		var extra []string
		for p := range sum.Files {
			if m.BinaryFor(targetOf(m, p)) == nil && p != m.Source.Archive &&
				!slices.ContainsFunc(m.Packages, func(lp manifest.LinuxPackage) bool { return lp.Path == p }) {
				extra = append(extra, p)
			}
		}
		slices.Sort(extra)
		if len(extra) > 0 {
			bad("lists files the manifest does not: %s", strings.Join(extra, ", "))
		}
		report(r, CheckSBOM, f.name, errs, "%s: %s %s, %s, %d binaries, %d packages, the source archive, %d modules", sum.Format, sum.Name, sum.Version, sum.GoVersion, len(m.Binaries), len(m.Packages), len(sum.Modules))
		checkCompliance(r, pkg, f.name, f.comply)
	}
}

// checkCompliance checks one SBOM against the NTIA minimum elements and
// BSI TR-03183-2 with package inspect's checker: one PASS per standard
// when every element of the document and of each component passes, else
// one FAIL per failed element, naming the component and the element. The
// report keeps every result in SBOMCompliance.
func checkCompliance(r *Report, pkg *Package, name string, comply func([]byte) (*inspect.Compliance, error)) {
	data, _ := pkg.File(name)
	c, err := comply(data)
	if err != nil {
		r.fail(CheckSBOMNTIA, name, "%v", strings.TrimPrefix(err.Error(), "inspect: "))
		return
	}
	r.SBOMCompliance = append(r.SBOMCompliance, SBOMCompliance{File: name, Compliance: c})
	for _, std := range []struct{ check, name string }{{CheckSBOMNTIA, inspect.NTIA}, {CheckSBOMBSI, inspect.BSI}} {
		passed, failed := c.Count(std.name)
		if failed == 0 && passed > 0 {
			r.pass(std.check, name, "%s: all %d requirements pass, for the document and %d components", std.name, passed, len(c.Components))
			continue
		}
		for _, f := range c.Failures(std.name) {
			r.fail(std.check, name, "%s", f)
		}
		if failed == 0 {
			r.fail(std.check, name, "%s: nothing checked", std.name)
		}
	}
}

// targetOf returns the target whose binary the manifest records at path p.
func targetOf(m *manifest.Manifest, p string) string {
	for _, b := range m.Binaries {
		if b.Binary == p {
			return b.Target
		}
	}
	return ""
}
