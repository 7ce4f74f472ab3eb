package verify

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/cavra/cavra/packaging/build"
	"github.com/cavra/cavra/packaging/layout"
	"github.com/cavra/cavra/packaging/manifest"
)

var (
	goVersionRE = regexp.MustCompile(`^go1\.[0-9]+(\.[0-9]+)?$`)
	commitRE    = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)
	sha256RE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// checkManifest checks what the manifest declares against what the
// verifier requires: the identity, the matrix, the pinned build settings,
// the operator controls, the source archive and the offline modules.
func checkManifest(r *Report, pkg *Package, m *manifest.Manifest, o Options) {
	name := manifest.Name
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	// Identity.
	if m.Package.Name != "cavra-go-runtime" {
		bad("package.name %q, want cavra-go-runtime", m.Package.Name)
	}
	if !commitRE.MatchString(m.Package.Commit) {
		bad("package.commit %q is not a full commit hash", m.Package.Commit)
	}
	if m.Package.Dirty && !m.Snapshot {
		bad("package.dirty is set on a release that is not a snapshot")
	}
	if m.Package.SourceDateEpoch <= 0 {
		bad("package.source_date_epoch %d is not set", m.Package.SourceDateEpoch)
	}
	report(r, "manifest.identity", name, errs, "version %s, commit %.12s", m.Package.Version, m.Package.Commit)

	// The matrix.
	errs = nil
	var want []string
	for _, t := range o.Matrix() {
		want = append(want, t.String())
	}
	if !slices.Equal(sorted(m.Targets), sorted(want)) {
		bad("targets %v, want %v", m.Targets, want)
	}
	report(r, "manifest.matrix", name, errs, "%d targets: %s", len(m.Targets), strings.Join(m.Targets, " "))

	// The toolchain and module.
	errs = nil
	if !goVersionRE.MatchString(m.Go.Version) {
		bad("go.version %q is not a Go release", m.Go.Version)
	}
	if m.Go.ModulePath != build.ModulePath {
		bad("go.module_path %q, want %q", m.Go.ModulePath, build.ModulePath)
	}
	if m.Go.MainPackage != build.MainPackage {
		bad("go.main_package %q, want %q", m.Go.MainPackage, build.MainPackage)
	}
	if m.Go.ModuleDir != "." {
		bad("go.module_dir %q, want \".\"", m.Go.ModuleDir)
	}
	report(r, "manifest.go", name, errs, "%s, %s", m.Go.Version, m.Go.ModulePath)

	// The pinned build settings: every target's environment must be the
	// verifier's, so the shared part must be too.
	errs = nil
	env, levels := build.Shared()
	if !maps.Equal(m.Build.Env, env) {
		bad("build.env %v, want %v", m.Build.Env, env)
	}
	if !maps.Equal(m.Build.Levels, levels) {
		bad("build.levels %v, want %v", m.Build.Levels, levels)
	}
	if want := build.Ldflags(m.Package.Version); m.Build.Ldflags != want {
		bad("build.ldflags %q, want %q", m.Build.Ldflags, want)
	}
	if want := build.Flags(m.Package.Version); !slices.Equal(m.Build.Flags, want) {
		bad("build.flags %q, want %q", m.Build.Flags, want)
	}
	report(r, "manifest.build", name, errs, "CGO_ENABLED=0 GOFLAGS=%q ldflags %q", build.GOFLAGS, m.Build.Ldflags)

	// The operator controls.
	errs = nil
	for _, k := range sorted(slices.Collect(maps.Keys(build.Network))) {
		v, ok := m.Controls.Env[k]
		switch {
		case !ok:
			bad("operator_controls.env does not set %s", k)
		case v != build.Network[k]:
			bad("operator_controls.env sets %s=%q, want %q", k, v, build.Network[k])
		}
	}
	for k := range m.Controls.Env {
		if _, ok := build.Network[k]; !ok {
			bad("operator_controls.env sets %s, which the verifier does not know", k)
		}
	}
	if m.Controls.Network != "none" {
		bad("operator_controls.network %q, want \"none\"", m.Controls.Network)
	}
	if m.Controls.Toolchain != m.Go.Version {
		bad("operator_controls.toolchain %q, want the build's %q", m.Controls.Toolchain, m.Go.Version)
	}
	if len(m.Controls.Evidence) == 0 {
		bad("operator_controls.evidence is empty")
	}
	report(r, "manifest.controls", name, errs, "GOPROXY=off GOSUMDB=off GOFLAGS=%q GOTOOLCHAIN=local GOWORK=off, no network", build.GOFLAGS)

	// The source archive.
	errs = nil
	want1 := layout.Source(m.Package.Version)
	src := pkg.files[m.Source.Archive]
	switch {
	case m.Source.Archive != want1:
		bad("source.archive %q, want %q", m.Source.Archive, want1)
	case src == nil:
		bad("source.archive %s is missing", m.Source.Archive)
	case src.err != nil:
	case src.sha256 != m.Source.SHA256 || src.size != m.Source.SizeBytes:
		bad("source archive %s has sha256 %s and %d bytes, manifest records %s and %d", m.Source.Archive, src.sha256, src.size, m.Source.SHA256, m.Source.SizeBytes)
	}
	if want := layout.SourceRoot(m.Package.Version); m.Source.Root != want {
		bad("source.root %q, want %q", m.Source.Root, want)
	}
	report(r, "manifest.source", m.Source.Archive, errs, "sha256 %s", m.Source.SHA256)

	// The offline module proxy.
	errs = nil
	var mage bool
	if m.Modules == nil || m.Modules.Proxy != layout.ProxyDir {
		bad("offline_modules.proxy is not %q", layout.ProxyDir)
	} else {
		for _, mod := range m.Modules.Modules {
			dir := layout.ProxyDir + "/" + layout.EscapePath(mod.Path) + "/@v/"
			for _, ext := range []string{".info", ".mod", ".zip"} {
				if err := layout.CheckPath(dir + mod.Version + ext); err != nil {
					bad("offline_modules: %s@%s: %v", mod.Path, mod.Version, err)
				} else if pkg.files[dir+mod.Version+ext] == nil {
					bad("offline_modules: %s is missing", dir+mod.Version+ext)
				}
			}
			mage = mage || mod.Path == "github.com/magefile/mage"
		}
	}
	if !mage {
		bad("offline_modules does not hold github.com/magefile/mage")
	}
	report(r, "manifest.modules", name, errs, "offline module proxy in %s/", layout.ProxyDir)
}

// report adds one check: FAIL with every problem when errs is not empty,
// else PASS with the summary.
func report(r *Report, check, file string, errs []string, format string, args ...any) {
	if len(errs) > 0 {
		r.fail(check, file, "%s", strings.Join(errs, "; "))
		return
	}
	r.pass(check, file, format, args...)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
