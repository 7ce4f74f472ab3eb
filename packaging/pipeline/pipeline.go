// Package pipeline assembles the complete release pipeline: the light steps
// of package release with the heavy ones that need syft (SBOM), nfpm (Linux
// packages) and cosign (provenance). Only the release command and test tools
// import it; the runtime, the verifier and the magefiles never do.
//
// The steps, in order (steps on one line run at the same time):
//
//	source, modules        the source archive of the commit; mage for offline use
//	build                  six binaries, from the source archive
//	packages               .deb, .rpm and .apk for the Linux targets
//	sbom                   SPDX and CycloneDX SBOMs of the binaries and packages
//	manifest               cavra-runtime.reproducibility.json
//	public-key             cosign.pub
//	bootstrap              offline-trust-root-bootstrap.json
//	evidence               release-evidence.json and .md
//	provenance             the DSSE-signed SLSA provenance
//	checksums              checksums.txt
//	sign                   a .sig for every listed file and checksums.txt
//	zip                    cavra-go-runtime-<version>.zip, its .sha256 and .sig
package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/artifact"
	"github.com/cavra/cavra/packaging/layout"
	"github.com/cavra/cavra/packaging/nfpm"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/sbom"
	"github.com/cavra/cavra/signing"
)

// Release returns the whole pipeline, signing with key (nil only to list
// the step names).
func Release(key *signing.Key) release.Pipeline {
	return append(release.Pipeline{
		{release.Source{}, release.Modules{}},
		{release.Build{}},
	}, Finish(key)...)
}

// Finish returns the steps after the build, for a package whose binaries,
// source archive and modules exist.
func Finish(key *signing.Key) release.Pipeline {
	return release.Pipeline{
		{nfpm.Step{}},
		{SBOM{}},
		{release.WriteManifest{}},
		{release.PublicKey{Signer: key}},
		{release.Bootstrap{Signer: key}},
		{release.Evidence{Signer: key}},
		{release.Provenance{Signer: key}},
		{release.Checksums{}},
		{release.Sign{Signer: key}},
		{release.Zip{Signer: key}},
	}
}

// SBOM writes the SPDX 2.3 and CycloneDX SBOMs of the binaries (with syft's
// Go cataloger) and of the Linux packages that carry them.
type SBOM struct{}

// Name implements release.Step.
func (SBOM) Name() string { return "sbom" }

// Run implements release.Step.
func (SBOM) Run(ctx context.Context, s *release.State) (artifact.List, error) {
	c := s.Config
	repo := c.Repository
	if !strings.HasPrefix(repo, "https://") {
		repo = "" // a local clone's path is no public identifier
	}
	info := sbom.Info{
		Name: "cavra-runtime", Version: c.Version, Commit: c.Commit, Repository: repo,
		ModulePath: "github.com/cavra/cavra", GoVersion: c.GoVersion, Created: c.Epoch, Snapshot: c.Snapshot,
	}
	var bins []sbom.Binary
	for _, a := range s.Artifacts.Of(artifact.Binary) {
		bins = append(bins, sbom.Binary{Path: a.Path, Target: a.Target, File: filepath.Join(s.Dir, filepath.FromSlash(a.Path)), SHA256: a.SHA256})
	}
	var files []sbom.File
	for _, a := range s.Artifacts.Of(artifact.Package) {
		files = append(files, sbom.File{Path: a.Path, File: filepath.Join(s.Dir, filepath.FromSlash(a.Path)), SHA256: a.SHA256, Contains: a.Contains})
	}
	start := time.Now()
	spdx, cdx, err := sbom.Generate(ctx, info, bins, files...)
	if err != nil {
		return nil, err
	}
	s.Log.Done(fmt.Sprintf("sbom %d binaries, %d packages", len(bins), len(files)), time.Since(start))
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
