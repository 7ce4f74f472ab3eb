package verify

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/linuxpkg"
	"github.com/cavra/cavra/packaging/format/manifest"
)

// parsedPackage is what linuxpkg.Read found in a package.
type parsedPackage struct {
	info  linuxpkg.Info
	files []linuxpkg.File
	err   error
}

// parsePackage reads a Linux package while the other files are still being
// read (it runs in readAll's workers); checkPackage uses the result.
func parsePackage(name string, c *content) {
	format := strings.TrimPrefix(path.Ext(name), ".")
	if !strings.HasPrefix(name, "packages/") || !slices.Contains(linuxpkg.Formats, format) || c.data == nil {
		return
	}
	var p parsedPackage
	p.info, p.files, p.err = linuxpkg.Read(format, bytes.NewReader(c.data), linuxpkg.DefaultLimits)
	c.parsed = p
}

// expectedPackages returns the paths of the Linux packages the verifier
// requires for version: every format for every Linux target of targets.
func expectedPackages(version string, targets []build.Target) (paths []string, errs []error) {
	for _, t := range targets {
		if t.GOOS != "linux" {
			continue
		}
		for _, f := range linuxpkg.Formats {
			p, err := linuxpkg.Path(f, version, t.String())
			if err != nil {
				errs = append(errs, err)
				continue
			}
			paths = append(paths, p)
		}
	}
	return paths, errs
}

// checkPackages checks each Linux package: the manifest records it with the
// verifier's name, version and contents, the file has the recorded digest,
// its metadata is right, and the binary it installs at /usr/bin/cavra-runtime
// is the target's binary, byte for byte.
func checkPackages(r *Report, pkg *Package, m *manifest.Manifest, o Options) {
	want, errs := expectedPackages(m.Package.Version, o.Matrix())
	for _, err := range errs {
		r.fail(CheckPackage, "", "%v", err)
	}
	expected := map[string]bool{}
	for _, p := range want {
		expected[p] = true
	}
	for _, rec := range m.Packages {
		if !expected[rec.Path] {
			r.fail(CheckPackage, rec.Path, "manifest records a package the verifier does not expect")
		}
	}
	for _, t := range o.Matrix() {
		if t.GOOS != "linux" {
			continue
		}
		bin := m.BinaryFor(t.String())
		for _, format := range linuxpkg.Formats {
			path, err := linuxpkg.Path(format, m.Package.Version, t.String())
			if err != nil {
				continue // reported above
			}
			var rec *manifest.LinuxPackage
			for i := range m.Packages {
				if m.Packages[i].Path == path {
					rec = &m.Packages[i]
				}
			}
			if rec == nil {
				r.fail(CheckPackage, path, "not recorded in the manifest")
				continue
			}
			checkPackage(r, pkg, m, t, format, bin, rec)
		}
	}
}

func checkPackage(r *Report, pkg *Package, m *manifest.Manifest, t build.Target, format string, bin *manifest.Binary, rec *manifest.LinuxPackage) {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	version, _ := linuxpkg.Version(format, m.Package.Version)
	arch, _ := linuxpkg.Arch(format, t.String())
	if rec.Format != format || rec.Target != t.String() || rec.Version != version || rec.Installed != linuxpkg.InstalledPath {
		bad("manifest records format %q, target %q, version %q, installed path %q; want %q, %q, %q, %q",
			rec.Format, rec.Target, rec.Version, rec.Installed, format, t, version, linuxpkg.InstalledPath)
	}
	if bin == nil || rec.Binary != bin.Binary {
		bad("manifest records that it carries %q, want the %s binary", rec.Binary, t)
	}
	c := pkg.files[rec.Path]
	switch {
	case c == nil:
		bad("missing")
	case c.err != nil:
		return
	case c.sha256 != rec.SHA256 || c.size != rec.SizeBytes:
		bad("sha256 mismatch: manifest records %s (%d bytes), file has %s (%d bytes)", rec.SHA256, rec.SizeBytes, c.sha256, c.size)
	}
	if c == nil || c.data == nil {
		report(r, CheckPackage, rec.Path, append(errs, "not read"), "")
		return
	}
	parsed, ok := c.parsed.(parsedPackage)
	if !ok {
		r.fail(CheckPackage, rec.Path, "not read as a %s package", format)
		return
	}
	info, files, err := parsed.info, parsed.files, parsed.err
	if err != nil {
		r.fail(CheckPackage, rec.Path, "%v", err)
		return
	}
	if info.Name != linuxpkg.Name || info.Version != version || info.Arch != arch {
		bad("metadata says %s %s %s, want %s %s %s", info.Name, info.Version, info.Arch, linuxpkg.Name, version, arch)
	}
	f, err := linuxpkg.Installed(files)
	switch {
	case err != nil:
		bad("%v", err)
	case bin == nil:
	case f.SHA256 != bin.SHA256 || f.Size != bin.SizeBytes:
		bad("installs %s with sha256 %s, the %s binary is %s", linuxpkg.InstalledPath, f.SHA256, t, bin.SHA256)
	case f.Mode.Perm() != 0o755:
		bad("installs %s with mode %v, want 0755", linuxpkg.InstalledPath, f.Mode.Perm())
	}
	report(r, CheckPackage, rec.Path, errs, "%s %s %s installs %s = %s", strings.ToUpper(format), version, arch, linuxpkg.InstalledPath, bin.Binary)
}
