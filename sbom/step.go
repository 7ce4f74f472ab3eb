package sbom

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// Step is the release step "sbom": it writes the SPDX 2.3 and CycloneDX SBOMs of the binaries (with syft's
// Go cataloger), the Linux packages that carry them and the source archive.
// The supplier comes from the release configuration; the licence of the
// release's own code is read from LICENSE at the module root in the source
// archive, the code the binaries are built from.
type Step struct{}

// Name implements release.Step.
func (Step) Name() string { return "sbom" }

// Run implements release.Step.
func (Step) Run(ctx context.Context, s *release.State) (artifact.List, error) {
	c := s.Config
	repo := c.Repository
	if !strings.HasPrefix(repo, "https://") {
		repo = "" // a local clone's path is no public identifier
	}
	start := time.Now()
	license, err := sourceLicense(s)
	if err != nil {
		return nil, err
	}
	s.Log.Done("licence "+license+" (LICENSE, licensecheck)", time.Since(start))
	info := Info{
		Name: "cavra-runtime", Version: c.Version, Commit: c.Commit, Repository: repo,
		ModulePath: "github.com/cavra/cavra", GoVersion: c.GoVersion, Created: c.Epoch, Snapshot: c.Snapshot,
		Supplier: Party(c.Supplier), License: license,
	}
	file := func(a artifact.Artifact) string { return filepath.Join(s.Dir, filepath.FromSlash(a.Path)) }
	var bins []Binary
	for _, a := range s.Artifacts.Of(artifact.Binary) {
		bins = append(bins, Binary{Path: a.Path, Target: a.Target, File: file(a), SHA256: a.SHA256})
	}
	var files []File
	for _, a := range s.Artifacts.Of(artifact.Package) {
		files = append(files, File{Kind: LinuxPackage, Path: a.Path, File: file(a), SHA256: a.SHA256, Contains: a.Contains})
	}
	for _, a := range s.Artifacts.Of(artifact.Source) {
		files = append(files, File{Kind: SourceArchive, Path: a.Path, File: file(a), SHA256: a.SHA256})
	}
	start = time.Now()
	spdx, cdx, err := Generate(ctx, info, bins, files...)
	if err != nil {
		return nil, err
	}
	s.Log.Done(fmt.Sprintf("sbom %d binaries, %d files", len(bins), len(files)), time.Since(start))
	a, err := artifact.WriteFile(s.Dir, layout.SPDX, artifact.SBOM, 0o644, spdx)
	if err != nil {
		return nil, err
	}
	a.Format = "spdx-2.3-json"
	b, err := artifact.WriteFile(s.Dir, layout.CycloneDX, artifact.SBOM, 0o644, cdx)
	if err != nil {
		return nil, err
	}
	b.Format = "cyclonedx-json"
	return artifact.List{a, b}, nil
}

// maxLicense bounds the LICENSE file read from the source archive.
const maxLicense = 1 << 20

// sourceLicense returns the SPDX identifier of the licence in LICENSE at the
// module root of the release's source archive.
func sourceLicense(s *release.State) (string, error) {
	src := s.Artifacts.Of(artifact.Source)
	if len(src) != 1 {
		return "", fmt.Errorf("sbom: found %d source archives, want 1", len(src))
	}
	name := layout.SourceRoot(s.Config.Version) + "/" + path.Join(s.Config.ModuleDir, "LICENSE")
	where := src[0].Path + "!" + name
	f, err := os.Open(filepath.Join(s.Dir, filepath.FromSlash(src[0].Path)))
	if err != nil {
		return "", fmt.Errorf("sbom: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("sbom: %s: %w", src[0].Path, err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return "", fmt.Errorf("sbom: %s: no such file: the release needs its licence", where)
		}
		if err != nil {
			return "", fmt.Errorf("sbom: %s: %w", src[0].Path, err)
		}
		if hdr.Name != name || hdr.Typeflag != tar.TypeReg {
			continue
		}
		text, err := io.ReadAll(io.LimitReader(tr, maxLicense+1))
		if err != nil {
			return "", fmt.Errorf("sbom: %s: %w", where, err)
		}
		if len(text) > maxLicense {
			return "", fmt.Errorf("sbom: %s: larger than %d bytes", where, maxLicense)
		}
		id, err := LicenseOf(text)
		if err != nil {
			return "", fmt.Errorf("sbom: %s: %w", where, err)
		}
		return id, nil
	}
}
