package verify

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
)

var (
	goVersionRE = regexp.MustCompile(`^go1\.[0-9]+(\.[0-9]+)?$`)
	commitRE    = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)
)

// problems collects what is wrong, for one check.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// checkManifestIdentity checks the package's identity: name, full commit
// hash, SOURCE_DATE_EPOCH, and that only a snapshot may be dirty.
func checkManifestIdentity(r *Report, m *manifest.Manifest) {
	var bad problems
	if m.Package.Name != layout.Name {
		bad.add("package.name %q, want %s", m.Package.Name, layout.Name)
	}
	if !commitRE.MatchString(m.Package.Commit) {
		bad.add("package.commit %q is not a full commit hash", m.Package.Commit)
	}
	if m.Package.Dirty && !m.Snapshot {
		bad.add("package.dirty is set on a release that is not a snapshot")
	}
	if m.Package.SourceDateEpoch <= 0 {
		bad.add("package.source_date_epoch %d is not set", m.Package.SourceDateEpoch)
	}
	report(r, CheckManifestIdentity, manifest.Name, bad, "version %s, commit %.12s", m.Package.Version, m.Package.Commit)
}

// checkManifestMatrix checks that the declared targets are exactly the
// operator's matrix.
func checkManifestMatrix(r *Report, m *manifest.Manifest, o Options) {
	var bad problems
	var want []string
	for _, t := range o.Matrix() {
		want = append(want, t.String())
	}
	if !slices.Equal(sorted(m.Targets), sorted(want)) {
		bad.add("targets %v, want %v", m.Targets, want)
	}
	report(r, CheckManifestMatrix, manifest.Name, bad, "%d targets: %s", len(m.Targets), strings.Join(m.Targets, " "))
}

// checkManifestGo checks the toolchain and the module: a Go release, this
// module, its main package, at the root of the source archive.
func checkManifestGo(r *Report, m *manifest.Manifest) {
	var bad problems
	if !goVersionRE.MatchString(m.Go.Version) {
		bad.add("go.version %q is not a Go release", m.Go.Version)
	}
	if m.Go.ModulePath != build.ModulePath {
		bad.add("go.module_path %q, want %q", m.Go.ModulePath, build.ModulePath)
	}
	if m.Go.MainPackage != build.MainPackage {
		bad.add("go.main_package %q, want %q", m.Go.MainPackage, build.MainPackage)
	}
	if m.Go.ModuleDir != "." {
		bad.add("go.module_dir %q, want \".\"", m.Go.ModuleDir)
	}
	report(r, CheckManifestGo, manifest.Name, bad, "%s, %s", m.Go.Version, m.Go.ModulePath)
}

// checkManifestBuild checks the pinned build settings: every target's
// environment must be the verifier's, so the shared part must be too.
func checkManifestBuild(r *Report, m *manifest.Manifest) {
	var bad problems
	env, levels := build.Shared()
	if !maps.Equal(m.Build.Env, env) {
		bad.add("build.env %v, want %v", m.Build.Env, env)
	}
	if !maps.Equal(m.Build.Levels, levels) {
		bad.add("build.levels %v, want %v", m.Build.Levels, levels)
	}
	if want := build.Ldflags(m.Package.Version); m.Build.Ldflags != want {
		bad.add("build.ldflags %q, want %q", m.Build.Ldflags, want)
	}
	if want := build.Flags(m.Package.Version); !slices.Equal(m.Build.Flags, want) {
		bad.add("build.flags %q, want %q", m.Build.Flags, want)
	}
	report(r, CheckManifestBuild, manifest.Name, bad, "CGO_ENABLED=0 GOFLAGS=%q ldflags %q", build.GOFLAGS, m.Build.Ldflags)
}

// checkManifestControls checks the operator controls: exactly the
// verifier's network controls, no network, the build's toolchain.
func checkManifestControls(r *Report, m *manifest.Manifest) {
	var bad problems
	network := build.Network()
	for _, k := range slices.Sorted(maps.Keys(network)) {
		v, ok := m.Controls.Env[k]
		switch {
		case !ok:
			bad.add("operator_controls.env does not set %s", k)
		case v != network[k]:
			bad.add("operator_controls.env sets %s=%q, want %q", k, v, network[k])
		}
	}
	for k := range m.Controls.Env {
		if _, ok := network[k]; !ok {
			bad.add("operator_controls.env sets %s, which the verifier does not know", k)
		}
	}
	if m.Controls.Network != "none" {
		bad.add("operator_controls.network %q, want \"none\"", m.Controls.Network)
	}
	if m.Controls.Toolchain != m.Go.Version {
		bad.add("operator_controls.toolchain %q, want the build's %q", m.Controls.Toolchain, m.Go.Version)
	}
	if len(m.Controls.Evidence) == 0 {
		bad.add("operator_controls.evidence is empty")
	}
	report(r, CheckManifestControls, manifest.Name, bad, "GOPROXY=off GOSUMDB=off GOFLAGS=%q GOTOOLCHAIN=local GOWORK=off, no network", build.GOFLAGS)
}

// checkManifestSource checks the source archive: the verifier's path and
// root folder, and the digest and size of the file.
func checkManifestSource(r *Report, pkg *Package, m *manifest.Manifest) {
	var bad problems
	want := layout.Source(m.Package.Version)
	src := pkg.files[m.Source.Archive]
	switch {
	case m.Source.Archive != want:
		bad.add("source.archive %q, want %q", m.Source.Archive, want)
	case src == nil:
		bad.add("source.archive %s is missing", m.Source.Archive)
	case src.err != nil:
	case src.sha256 != m.Source.SHA256 || src.size != m.Source.SizeBytes:
		bad.add("source archive %s has sha256 %s and %d bytes, manifest records %s and %d", m.Source.Archive, src.sha256, src.size, m.Source.SHA256, m.Source.SizeBytes)
	}
	if want := layout.SourceRoot(m.Package.Version); m.Source.Root != want {
		bad.add("source.root %q, want %q", m.Source.Root, want)
	}
	report(r, CheckManifestSource, m.Source.Archive, bad, "sha256 %s", m.Source.SHA256)
}

// checkManifestModules checks the offline module proxy: it holds mage, and
// every module it records is in the package.
func checkManifestModules(r *Report, pkg *Package, m *manifest.Manifest) {
	var bad problems
	var mage bool
	if m.Modules == nil || m.Modules.Proxy != layout.ProxyDir {
		bad.add("offline_modules.proxy is not %q", layout.ProxyDir)
	} else {
		for _, mod := range m.Modules.Modules {
			for _, ext := range []string{".info", ".mod", ".zip"} {
				f := layout.ProxyFile(mod.Path, mod.Version+ext)
				if err := layout.CheckPath(f); err != nil {
					bad.add("offline_modules: %s@%s: %v", mod.Path, mod.Version, err)
				} else if pkg.files[f] == nil {
					bad.add("offline_modules: %s is missing", f)
				}
			}
			mage = mage || mod.Path == "github.com/magefile/mage"
		}
	}
	if !mage {
		bad.add("offline_modules does not hold github.com/magefile/mage")
	}
	report(r, CheckManifestModules, manifest.Name, bad, "offline module proxy in %s/", layout.ProxyDir)
}

// report adds one check: FAIL with every problem when there are any, else
// PASS with the summary.
func report(r *Report, check, file string, bad problems, format string, args ...any) {
	if len(bad) > 0 {
		r.fail(check, file, "%s", strings.Join(bad, "; "))
		return
	}
	r.pass(check, file, format, args...)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
