package verify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/build"
	"github.com/cavra/cavra/packaging/layout"
	"github.com/cavra/cavra/packaging/manifest"
	"github.com/cavra/cavra/sbom/inspect"
)

// checkSBOMs checks both SBOMs against the manifest: they parse as SPDX 2.3
// and CycloneDX, name the runtime version, the Go version and the commit's
// creation time, carry the snapshot label, and list exactly the package's
// binaries and Linux packages with their digests.
func checkSBOMs(r *Report, pkg *Package, m *manifest.Manifest) {
	for _, f := range []struct {
		name  string
		parse func([]byte) (*inspect.Summary, error)
	}{
		{layout.SPDX, inspect.SPDX},
		{layout.CycloneDX, inspect.CycloneDX},
	} {
		data, ok := pkg.File(f.name)
		if !ok {
			continue // reported as required
		}
		sum, err := f.parse(data)
		if err != nil {
			r.fail("sbom", f.name, "%v", strings.TrimPrefix(err.Error(), "inspect: "))
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
		for _, b := range m.Binaries {
			switch got, ok := sum.Files[b.Binary]; {
			case !ok:
				bad("does not list %s", b.Binary)
			case got != b.SHA256:
				bad("lists %s with sha256 %s, manifest records %s", b.Binary, got, b.SHA256)
			}
		}
		for _, lp := range m.Packages {
			switch got, ok := sum.Files[lp.Path]; {
			case !ok:
				bad("does not list %s", lp.Path)
			case got != lp.SHA256:
				bad("lists %s with sha256 %s, manifest records %s", lp.Path, got, lp.SHA256)
			}
		}
		var extra []string
		for p := range sum.Files {
			if m.BinaryFor(targetOf(m, p)) == nil && !slices.ContainsFunc(m.Packages, func(lp manifest.LinuxPackage) bool { return lp.Path == p }) {
				extra = append(extra, p)
			}
		}
		slices.Sort(extra)
		if len(extra) > 0 {
			bad("lists files the manifest does not: %s", strings.Join(extra, ", "))
		}
		report(r, "sbom", f.name, errs, "%s: %s %s, %s, %d binaries, %d packages, %d modules", sum.Format, sum.Name, sum.Version, sum.GoVersion, len(m.Binaries), len(m.Packages), len(sum.Modules))
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
