package verify

import (
	"bytes"
	"debug/buildinfo"
	"fmt"
	"maps"
	"path"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/manifest"
)

// checkBinaries checks each target's binary: the manifest records it once,
// at the verifier's path, with the verifier's rebuild command; the file has
// the recorded size and digest; and the build settings the Go toolchain
// embedded agree with the manifest.
func checkBinaries(r *Report, pkg *Package, m *manifest.Manifest, o Options) {
	for _, b := range m.Binaries {
		if !inMatrix(o.Matrix(), b.Target) {
			r.fail(CheckBinary, b.Binary, "target %q is not in the verifier's matrix", b.Target)
		}
	}
	for _, t := range o.Matrix() {
		var recs []manifest.Binary
		for _, b := range m.Binaries {
			if b.Target == t.String() {
				recs = append(recs, b)
			}
		}
		if len(recs) != 1 {
			r.fail(CheckBinary, t.Binary(), "manifest has %d records for %s, want 1", len(recs), t)
			continue
		}
		checkBinary(r, pkg, m, t, recs[0])
	}
}

func checkBinary(r *Report, pkg *Package, m *manifest.Manifest, t build.Target, b manifest.Binary) {
	name := t.Binary()
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if b.Binary != name {
		bad("manifest records path %q, want %q", b.Binary, name)
	}
	if b.GOOS != t.GOOS || b.GOARCH != t.GOARCH {
		bad("manifest records goos/goarch %s/%s for target %s", b.GOOS, b.GOARCH, t)
	}
	want := build.Spec(t, m.Package.Version, t.Exe())
	if !reflect.DeepEqual(b.Rebuild, want) {
		bad("rebuild command %s differs from the verifier's %s", describe(b.Rebuild), describe(want))
	}
	if b.RebuildCommand != want.String() {
		bad("rebuild_command %q, want %q", b.RebuildCommand, want.String())
	}
	report(r, CheckRebuildCommand, name, errs, "%s", want.String())

	c := pkg.files[name]
	if c == nil || c.err != nil {
		return // reported as missing or unreadable
	}
	if c.size != b.SizeBytes || c.sha256 != b.SHA256 {
		r.fail(CheckBinary, name, "sha256 mismatch: manifest records %s (%d bytes), file has %s (%d bytes)", b.SHA256, b.SizeBytes, c.sha256, c.size)
	} else {
		r.pass(CheckBinary, name, "sha256 %s, %d bytes", c.sha256, c.size)
	}
	if c.data == nil {
		r.fail(CheckBuildinfo, name, "larger than the verifier reads")
		return
	}
	info, err := buildinfo.Read(bytes.NewReader(c.data))
	if err != nil {
		r.fail(CheckBuildinfo, name, "no Go build information: %v", err)
		return
	}
	errs = CompareBuildInfo(info, Expect(m, t))
	report(r, CheckBuildinfo, name, errs, "%s %s %s", info.GoVersion, info.Path, settingsSummary(info))
}

// Expected is what a binary's embedded build information must say.
type Expected struct {
	GoVersion string
	Path      string            // main package import path
	Module    string            // main module path
	Settings  map[string]string // exactly these, except Allowed ones
}

// Allowed are build settings a binary may carry beyond the expected ones:
// DefaultGODEBUG follows from the go.mod go line, which the source pins.
var Allowed = []string{"DefaultGODEBUG"}

// Expect returns what target t's binary must embed according to m.
func Expect(m *manifest.Manifest, t build.Target) Expected {
	s := map[string]string{
		"-buildmode":  "exe",
		"-compiler":   "gc",
		"-trimpath":   "true",
		"CGO_ENABLED": "0",
		"GOOS":        t.GOOS,
		"GOARCH":      t.GOARCH,
	}
	if k, v := t.Level(); k != "" {
		s[k] = v
		if lv, ok := m.Build.Levels[k]; ok {
			s[k] = lv
		}
	}
	return Expected{
		GoVersion: m.Go.Version,
		Path:      path.Join(build.ModulePath, strings.TrimPrefix(build.MainPackage, "./")),
		Module:    build.ModulePath,
		Settings:  s,
	}
}

// CompareBuildInfo lists every way info differs from e: toolchain, package,
// module, a missing, different or unexpected setting (vcs.* included), or a
// dependency without a go.sum hash.
func CompareBuildInfo(info *debug.BuildInfo, e Expected) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if info.GoVersion != e.GoVersion {
		bad("toolchain %s, manifest records %s", info.GoVersion, e.GoVersion)
	}
	if info.Path != e.Path {
		bad("main package %s, want %s", info.Path, e.Path)
	}
	if info.Main.Path != e.Module {
		bad("main module %s, want %s", info.Main.Path, e.Module)
	}
	got := map[string]string{}
	for _, s := range info.Settings {
		got[s.Key] = s.Value
	}
	for _, k := range slices.Sorted(maps.Keys(e.Settings)) {
		if v, ok := got[k]; !ok {
			bad("setting %s missing, want %s", k, e.Settings[k])
		} else if v != e.Settings[k] {
			bad("setting %s=%s, want %s", k, v, e.Settings[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := e.Settings[k]; ok || slices.Contains(Allowed, k) {
			continue
		}
		if strings.HasPrefix(k, "vcs") {
			bad("setting %s=%s: VCS stamping must be off (-buildvcs=false)", k, got[k])
		} else {
			bad("unexpected setting %s=%s", k, got[k])
		}
	}
	for _, d := range info.Deps {
		if d.Replace != nil {
			bad("dependency %s@%s is replaced by %s", d.Path, d.Version, d.Replace.Path)
		} else if d.Sum == "" {
			bad("dependency %s@%s has no go.sum hash", d.Path, d.Version)
		}
	}
	return errs
}

func settingsSummary(info *debug.BuildInfo) string {
	var parts []string
	for _, s := range info.Settings {
		parts = append(parts, s.Key+"="+s.Value)
	}
	return strings.Join(parts, " ")
}

func describe(c build.Command) string {
	return fmt.Sprintf("{dir %q, env %v, argv %q}", c.Dir, c.Env, c.Argv)
}
