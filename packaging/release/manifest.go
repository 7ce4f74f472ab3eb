package release

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/linuxpkg"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// ManifestStep writes cavra-runtime.reproducibility.json from the config and
// the artifacts of earlier steps.
type ManifestStep struct{}

// Name implements [Step].
func (ManifestStep) Name() string { return "manifest" }

// Run implements [Step].
func (ManifestStep) Run(ctx context.Context, s *State) (artifact.List, error) {
	m, err := NewManifest(s.Config, s.Artifacts)
	if err != nil {
		return nil, err
	}
	data, err := manifest.Marshal(m)
	if err != nil {
		return nil, err
	}
	a, err := artifact.WriteFile(s.Dir, manifest.Name, artifact.Manifest, 0o644, data)
	if err != nil {
		return nil, err
	}
	return artifact.List{a}, nil
}

// Controls are the operator controls every manifest declares for a
// restricted-network rebuild.
func Controls(goVersion string) manifest.Controls {
	return manifest.Controls{
		Env:       build.Network(),
		Network:   "none",
		Toolchain: goVersion,
		Evidence: []string{
			"package version, commit and the SHA-256 of this manifest",
			"host OS, architecture and name",
			"go version and go env (GOROOT, GOCACHE, GOMODCACHE, GOPROXY, GOFLAGS, GOTOOLCHAIN)",
			"the controls applied to every build",
			"per target: expected and rebuilt SHA-256, result, and duration",
		},
	}
}

// NewManifest returns the manifest for a release made of list.
func NewManifest(c *Config, list artifact.List) (*manifest.Manifest, error) {
	m := &manifest.Manifest{
		SchemaVersion: manifest.Schema,
		Snapshot:      c.Snapshot,
		Package: manifest.Package{
			Name:            "cavra-go-runtime",
			Version:         c.Version,
			Commit:          c.Commit,
			Ref:             c.Ref,
			Repository:      c.Repository,
			WorkflowRef:     c.WorkflowRef,
			Dirty:           c.Dirty,
			SourceDateEpoch: c.Epoch.Unix(),
		},
		Go: manifest.Go{
			Version:     c.GoVersion,
			ModulePath:  build.ModulePath,
			ModuleDir:   c.ModuleDir,
			MainPackage: build.MainPackage,
		},
		Build: manifest.Build{
			Ldflags: build.Ldflags(c.Version),
			Flags:   build.Flags(c.Version),
		},
		Controls: Controls(c.GoVersion),
	}
	for _, t := range c.Targets {
		m.Targets = append(m.Targets, t.String())
	}
	m.Build.Env, m.Build.Levels = build.Shared()
	src := list.Of(artifact.Source)
	if len(src) != 1 {
		return nil, fmt.Errorf("want one source archive, have %d", len(src))
	}
	m.Source = manifest.Source{
		Archive:   src[0].Path,
		SHA256:    src[0].SHA256,
		SizeBytes: src[0].Size,
		Root:      layout.SourceRoot(c.Version),
	}
	for _, a := range list.Of(artifact.Module) {
		mod, ver, ok := proxyZip(a.Path)
		if !ok {
			continue
		}
		if m.Modules == nil {
			m.Modules = &manifest.Modules{Proxy: layout.ProxyDir}
		}
		m.Modules.Modules = append(m.Modules.Modules, manifest.Module{Path: mod, Version: ver})
	}
	for _, a := range list.Of(artifact.Binary) {
		t, err := build.ParseTarget(a.Target)
		if err != nil {
			return nil, err
		}
		cmd := build.Spec(t, c.Version, t.Exe())
		m.Binaries = append(m.Binaries, manifest.Binary{
			Target:         a.Target,
			GOOS:           t.GOOS,
			GOARCH:         t.GOARCH,
			Binary:         a.Path,
			SizeBytes:      a.Size,
			SHA256:         a.SHA256,
			Rebuild:        cmd,
			RebuildCommand: cmd.String(),
		})
	}
	for _, a := range list.Of(artifact.Package) {
		m.Packages = append(m.Packages, manifest.LinuxPackage{
			Format:    a.Format,
			Target:    a.Target,
			Path:      a.Path,
			SizeBytes: a.Size,
			SHA256:    a.SHA256,
			Version:   a.Version,
			Binary:    a.Contains,
			Installed: linuxpkg.InstalledPath,
		})
	}
	return m, nil
}

// proxyZip parses goproxy/<escaped module>/@v/<version>.zip.
func proxyZip(p string) (mod, version string, ok bool) {
	rest, ok := strings.CutPrefix(p, layout.ProxyDir+"/")
	if !ok {
		return "", "", false
	}
	esc, file, ok := strings.Cut(rest, "/@v/")
	if !ok || !strings.HasSuffix(file, ".zip") {
		return "", "", false
	}
	return unescapePath(esc), strings.TrimSuffix(file, ".zip"), true
}

func unescapePath(p string) string {
	var b strings.Builder
	up := false
	for _, r := range p {
		if r == '!' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
