// Package nfpm is the release step that writes the Linux packages of
// cavra-runtime with the nfpm library: a .deb, an .rpm and an .apk for each
// of linux/amd64 and linux/arm64, each carrying the exact release binary of
// its target.
//
// # Contents
//
// Every package installs, owned by root:root:
//
//	/usr/bin/cavra-runtime                      0755  the release binary
//	/usr/lib/systemd/system/cavra-runtime.service 0644  the systemd unit
//	/etc/cavra-runtime/                         0755  the configuration folder
//	/etc/cavra-runtime/README                   0644  a configuration file
//	/usr/share/doc/cavra-runtime/LICENSE        0644  the Apache-2.0 licence
//
// The README is a configuration file (a deb conffile, an rpm
// %config(noreplace)), so upgrades keep local edits; in the rpm the licence
// is a %license file. The unit runs "cavra-runtime serve --socket
// /run/cavra-runtime/cavra-runtime.sock" as a dynamic user under systemd's
// hardening options. The packages have no maintainer scripts: installing
// one neither enables nor starts the service.
//
// # Names and versions
//
// Package names, versions, architectures and file names are those of
// package [github.com/cavra/cavra/packaging/linuxpkg], which the verifier
// uses too: nfpm is given the version exactly as [linuxpkg.Version] spells
// it (with version_schema "none", so it does not reparse it), the rpm
// release [linuxpkg.RPMRelease], and the architecture as [linuxpkg.Arch]
// names it. After writing a package the step reads it back with
// [linuxpkg.Read] and checks the name, version, architecture and the
// binary's SHA-256 against the release's record.
//
// # Reproducibility
//
// The bytes of a package depend only on the binary, the files embedded in
// this package, the version, the repository URL and SOURCE_DATE_EPOCH:
// every payload file and folder time, the deb's control files and ar
// member times and the rpm's build time are SOURCE_DATE_EPOCH; owners are
// root:root (uid and gid 0) and modes are fixed; the rpm's build host is
// the constant [BuildHost] rather than the machine's name; payloads are
// gzip-compressed at level 5 (deb, rpm; within 1% of level 9 at a third of
// its time) or nfpm's fixed default (apk). Two
// constants of nfpm's own remain: the apk's .PKGINFO entry is dated
// 1970-01-01, and the gzip headers written by klauspost/pgzip (rpm
// payload, apk segments) hold the truncated Unix time of Go's zero time
// where compress/gzip writes 0. Neither the wall clock, nor the time zone,
// nor the umask, nor the number of CPUs changes the result.
//
// SOURCE_DATE_EPOCH must lie between 1970 and 2038, since rpm headers hold
// times as 32-bit numbers; the step fails otherwise.
package nfpm

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/apk"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	"github.com/goreleaser/nfpm/v2/rpm"

	"github.com/cavra/cavra/packaging/format/linuxpkg"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// Package metadata.
const (
	Maintainer = "CAVRA Maintainers <maintainers@cavra.dev>"
	Vendor     = "CAVRA"
	License    = "Apache-2.0"
	Homepage   = "https://github.com/cavra/cavra" // when the release names no repository
	Summary    = "CAVRA runtime decision daemon"
	// BuildHost is the rpm BUILDHOST: a constant, so that the package
	// does not depend on the machine that built it.
	BuildHost = "reproducible"
)

// description is the long description, after the summary line.
const description = `cavra-runtime decides, before an AI agent acts, whether the action is
allowed, blocked or needs approval, and records evidence of each decision.
This package installs the cavra-runtime command and a systemd unit that
serves decisions on a Unix socket; the unit is not enabled by default.`

// Paths inside the packages.
const (
	UnitPath    = "/usr/lib/systemd/system/cavra-runtime.service"
	ConfigDir   = "/etc/cavra-runtime"
	ReadmePath  = "/etc/cavra-runtime/README"
	LicensePath = "/usr/share/doc/cavra-runtime/LICENSE"
)

//go:embed files/LICENSE files/README files/cavra-runtime.service
var embedded embed.FS

// packagers are the nfpm packagers by format.
var packagers = map[string]nfpm.Packager{
	"deb": deb.Default,
	"rpm": rpm.DefaultRPM,
	"apk": apk.Default,
}

// Step writes a .deb, .rpm and .apk for linux/amd64 and linux/arm64 (those
// of the release's targets that are linux), each carrying the exact release
// binary.
type Step struct{}

// Name implements [release.Step].
func (Step) Name() string { return "packages" }

// job is one package to write.
type job struct {
	format, target string
	bin            artifact.Artifact
	path           string // linuxpkg.Path
	version        string // linuxpkg.Version
	arch           string // linuxpkg.Arch
}

// Run implements [release.Step]. It writes the packages concurrently and
// returns them in the order of [linuxpkg.Targets] and [linuxpkg.Formats].
func (Step) Run(ctx context.Context, s *release.State) (artifact.List, error) {
	c := s.Config
	if c.Epoch.IsZero() || c.Epoch.Unix() < 0 || c.Epoch.Unix() > math.MaxInt32 {
		return nil, fmt.Errorf("nfpm: SOURCE_DATE_EPOCH %v is unset or outside 1970..2038, which rpm cannot hold", c.Epoch)
	}
	var jobs []job
	for _, t := range c.Targets {
		target := t.String()
		if !isPackaged(target) {
			continue
		}
		bin, err := binary(s.Artifacts, target)
		if err != nil {
			return nil, err
		}
		for _, format := range linuxpkg.Formats {
			j := job{format: format, target: target, bin: bin}
			var err error
			if j.path, err = linuxpkg.Path(format, c.Version, target); err != nil {
				return nil, fmt.Errorf("nfpm: %w", err)
			}
			if j.version, err = linuxpkg.Version(format, c.Version); err != nil {
				return nil, fmt.Errorf("nfpm: %w", err)
			}
			if j.arch, err = linuxpkg.Arch(format, target); err != nil {
				return nil, fmt.Errorf("nfpm: %w", err)
			}
			jobs = append(jobs, j)
		}
	}
	if len(jobs) == 0 {
		return nil, nil
	}

	tmp, err := os.MkdirTemp(s.OutDir, "nfpm-")
	if err != nil {
		return nil, fmt.Errorf("nfpm: %w", err)
	}
	defer os.RemoveAll(tmp)
	srcs, err := writeEmbedded(tmp)
	if err != nil {
		return nil, fmt.Errorf("nfpm: %w", err)
	}
	homepage := Homepage
	if c.Repository != "" && strings.HasPrefix(c.Repository, "https://") {
		homepage = c.Repository
	}

	out := make(artifact.List, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			start := time.Now()
			info := packageInfo(j, c.Epoch, homepage, filepath.Join(s.Dir, filepath.FromSlash(j.bin.Path)), srcs)
			a, err := artifact.Create(s.Dir, j.path, artifact.Package, 0o644, func(w io.Writer) error {
				return packagers[j.format].Package(info, w)
			})
			if err == nil {
				err = check(s.Dir, j)
				if err != nil {
					os.Remove(filepath.Join(s.Dir, filepath.FromSlash(j.path)))
					err = fmt.Errorf("%s: %w", j.path, err)
				}
			}
			if err != nil {
				errs[i] = fmt.Errorf("nfpm: %w", err)
				return
			}
			a.Format, a.Target, a.Version, a.Contains = j.format, j.target, j.version, j.bin.Path
			out[i] = a
			s.Log.Done(fmt.Sprintf("%s %s (%.1f MB)", j.format, j.target, float64(a.Size)/1e6), time.Since(start))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for i, a := range out {
			if errs[i] == nil {
				os.Remove(filepath.Join(s.Dir, filepath.FromSlash(a.Path)))
			}
		}
		return nil, err
	}
	return out, nil
}

func isPackaged(target string) bool {
	for _, t := range linuxpkg.Targets {
		if t == target {
			return true
		}
	}
	return false
}

// binary returns the release binary of target.
func binary(l artifact.List, target string) (artifact.Artifact, error) {
	var found []artifact.Artifact
	for _, a := range l.Of(artifact.Binary) {
		if a.Target == target {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		return artifact.Artifact{}, fmt.Errorf("nfpm: want one binary for %s, have %d", target, len(found))
	}
	return found[0], nil
}

// sources are the paths on disk of the embedded files.
type sources struct{ license, readme, unit string }

// writeEmbedded writes the embedded files into dir, for nfpm to read.
func writeEmbedded(dir string) (sources, error) {
	var s sources
	for _, f := range []struct {
		name string
		dst  *string
	}{{"LICENSE", &s.license}, {"README", &s.readme}, {"cavra-runtime.service", &s.unit}} {
		data, err := fs.ReadFile(embedded, "files/"+f.name)
		if err != nil {
			return s, err
		}
		*f.dst = filepath.Join(dir, f.name)
		if err := os.WriteFile(*f.dst, data, 0o644); err != nil {
			return s, err
		}
	}
	return s, nil
}

// packageInfo returns the nfpm description of one package.
func packageInfo(j job, epoch time.Time, homepage, bin string, src sources) *nfpm.Info {
	epoch = time.Unix(epoch.Unix(), 0).UTC()
	file := func(src, dst, typ string, mode fs.FileMode) *files.Content {
		return &files.Content{
			Source: src, Destination: dst, Type: typ,
			FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode, MTime: epoch},
		}
	}
	licenseType := files.TypeFile
	if j.format == "rpm" {
		licenseType = files.TypeRPMLicense
	}
	var desc string
	switch j.format {
	case "deb":
		// The first line of a Debian description is the summary.
		desc = Summary + "\n" + description
	case "rpm":
		desc = description // Summary is a field of its own
	default:
		// .PKGINFO is one "key = value" line per field.
		desc = Summary
	}
	release := ""
	if j.format == "rpm" {
		release = linuxpkg.RPMRelease
	}
	return &nfpm.Info{
		Name:          linuxpkg.Name,
		Arch:          j.arch,
		Platform:      "linux",
		Version:       j.version,
		VersionSchema: "none",
		Release:       release,
		Section:       "admin",
		Priority:      "optional",
		Maintainer:    Maintainer,
		Description:   desc,
		Vendor:        Vendor,
		Homepage:      homepage,
		License:       License,
		// nfpm would glob the sources; the paths are exact.
		DisableGlobbing: true,
		MTime:           epoch,
		Overridables: nfpm.Overridables{
			Umask: 0o022,
			Contents: files.Contents{
				file(bin, linuxpkg.InstalledPath, files.TypeFile, 0o755),
				file(src.unit, UnitPath, files.TypeFile, 0o644),
				file("", ConfigDir, files.TypeDir, 0o755),
				file(src.readme, ReadmePath, files.TypeConfigNoReplace, 0o644),
				file(src.license, LicensePath, licenseType, 0o644),
			},
			Deb: nfpm.Deb{Arch: j.arch, Compression: "gzip:5"},
			RPM: nfpm.RPM{
				Arch:        j.arch,
				Compression: "gzip:5",
				BuildHost:   BuildHost,
				Group:       "System Environment/Daemons",
				Summary:     Summary,
				Packager:    Maintainer,
			},
			APK: nfpm.APK{Arch: j.arch},
		},
	}
}

// check reads the package written for j back and compares it with the
// release's record of the binary and the expected metadata.
func check(root string, j job) error {
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(j.path)))
	if err != nil {
		return err
	}
	defer f.Close()
	info, got, err := linuxpkg.Read(j.format, f, linuxpkg.Limits{})
	if err != nil {
		return fmt.Errorf("reading it back: %w", err)
	}
	want := linuxpkg.Info{Name: linuxpkg.Name, Version: j.version, Arch: j.arch}
	if j.format == "rpm" {
		want.Release = linuxpkg.RPMRelease
	}
	if info != want {
		return fmt.Errorf("metadata %+v, want %+v", info, want)
	}
	b, err := linuxpkg.Installed(got)
	if err != nil {
		return err
	}
	if b.SHA256 != j.bin.SHA256 || b.Size != j.bin.Size {
		return fmt.Errorf("%s has SHA-256 %s (%d bytes), but the release binary %s has %s (%d bytes)",
			linuxpkg.InstalledPath, b.SHA256, b.Size, j.bin.Path, j.bin.SHA256, j.bin.Size)
	}
	if b.Mode != 0o755 {
		return fmt.Errorf("%s has mode %v, want 0755", linuxpkg.InstalledPath, b.Mode)
	}
	return nil
}
