package verify

import (
	"os"
	"slices"
	"strings"

	"github.com/cavra/cavra/packaging/archive"
	"github.com/cavra/cavra/packaging/build"
	"github.com/cavra/cavra/packaging/checksums"
	"github.com/cavra/cavra/packaging/manifest"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/signing/trust"
)

// Options are the trusted inputs of a verification: what the operator, not
// the package, says a package must be.
type Options struct {
	// Targets is the matrix a package must declare and ship; nil means
	// build.Matrix, all six.
	Targets []build.Target
	// Limits bound what is read from a zip; the zero value means
	// archive.DefaultLimits.
	Limits archive.Limits
	// MaxKeep bounds a file whose bytes are kept for inspection; zero means
	// 512 MiB.
	MaxKeep int64

	// Key is the release public key the operator trusts, obtained outside
	// the package.
	Key *trust.Key
	// KeyFingerprint ("sha256:<hex>"), when Key is nil, trusts the
	// package's own cosign.pub only if its fingerprint is this one.
	KeyFingerprint string
	// UnsafeAllowUnsigned lets a snapshot pass without a trusted key, for
	// dry runs: signature checks are skipped and the report says UNSIGNED.
	// It never lets a release that is not a snapshot pass.
	UnsafeAllowUnsigned bool
}

// Matrix returns the targets a package must declare and ship: Targets, or
// build.Matrix when it is nil.
func (o *Options) Matrix() []build.Target {
	if o.Targets == nil {
		return build.Matrix
	}
	return o.Targets
}

// Package is a package that was read for verification: its manifest and
// the digests (and, for the files the checks inspect, the bytes) of every
// file, each read exactly once.
type Package struct {
	Manifest       *manifest.Manifest
	ManifestSHA256 string
	files          map[string]*content
	signed         []string // checksums.txt and every file it lists, sorted
}

// File returns the bytes of a file that was kept during verification.
func (p *Package) File(name string) ([]byte, bool) {
	c, ok := p.files[name]
	if !ok || c.data == nil {
		return nil, false
	}
	return c.data, true
}

// Path verifies a package zip (when path is a regular file) or an extracted
// package folder. The error is non-nil only when path cannot be read at
// all; everything wrong with the package itself is a failed check in the
// report.
func Path(path string, o Options) (*Report, *Package, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		return Dir(path, o)
	}
	return Zip(path, o)
}

// Zip verifies a package zip in place, without extracting it.
func Zip(path string, o Options) (*Report, *Package, error) {
	r := &Report{Input: path}
	lim := o.Limits
	if lim == (archive.Limits{}) {
		lim = archive.DefaultLimits
	}
	files, closeZip, ok, err := openZip(r, path, lim)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		r.finish()
		return r, nil, nil
	}
	defer closeZip()
	return r, check(r, files, o), nil
}

// Dir verifies an extracted package folder.
func Dir(path string, o Options) (*Report, *Package, error) {
	r := &Report{Input: path}
	files, ok, err := openDir(r, path)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		r.finish()
		return r, nil, nil
	}
	return r, check(r, files, o), nil
}

// keep reports whether the checks need the bytes of a file, and not only
// its digest: everything but the offline module proxy.
func keep(name string) bool { return !strings.HasPrefix(name, release.ProxyDir+"/") }

func check(r *Report, files []file, o Options) *Package {
	defer r.finish()
	maxKeep := o.MaxKeep
	if maxKeep == 0 {
		maxKeep = 512 << 20
	}
	pkg := &Package{files: readAll(files, keep, maxKeep, parsePackage)}
	for _, f := range files {
		if c := pkg.files[f.name]; c.err != nil {
			r.fail("read", f.name, "%v", c.err)
		}
	}

	// The manifest comes first: the rest is checked against it.
	m := parseManifest(r, pkg)
	if m == nil {
		checkChecksums(r, pkg, files)
		return pkg
	}
	pkg.Manifest = m
	r.Version, r.Commit, r.Snapshot = m.Package.Version, m.Package.Commit, m.Snapshot
	if want := "go-runtime-" + m.Package.Version; r.Package != want {
		r.fail("layout", "", "top folder %q, want %q for version %s", r.Package, want, m.Package.Version)
	}
	checkRequired(r, pkg, m, o)
	checkChecksums(r, pkg, files)
	checkManifest(r, pkg, m, o)
	checkBinaries(r, pkg, m, o)
	checkPackages(r, pkg, m, o)
	key := checkTrust(r, pkg, m, o)
	checkSignatures(r, pkg, key)
	checkProvenance(r, pkg, m, key)
	checkSBOMs(r, pkg, m)
	checkBootstrap(r, pkg, m, key, o)
	checkEvidence(r, pkg, m, key)
	return pkg
}

func parseManifest(r *Report, pkg *Package) *manifest.Manifest {
	c, ok := pkg.files[manifest.Name]
	if !ok {
		r.fail("required", manifest.Name, "missing")
		return nil
	}
	if c.err != nil {
		return nil
	}
	if c.data == nil {
		r.fail("manifest", manifest.Name, "larger than the verifier reads")
		return nil
	}
	m, err := manifest.Parse(c.data)
	if err != nil {
		r.fail("manifest", manifest.Name, "%v", strings.TrimPrefix(err.Error(), "manifest: "))
		return nil
	}
	pkg.ManifestSHA256 = c.sha256
	r.ManifestSHA256 = c.sha256
	r.pass("manifest", manifest.Name, "schema %s", manifest.Schema)
	return m
}

// Required returns the verifier's own list of the files a package of
// version must hold, whatever the package says about itself: the manifest,
// the checksums, the source archive, mage's offline module, the binaries, the
// SBOMs, the public key, the bootstrap, the evidence, the provenance, and a
// signature of each signed one.
func Required(version string, targets []build.Target) []string {
	signed := []string{
		manifest.Name,
		checksums.Name,
		release.SourcePath(version),
		release.SPDXName,
		release.CycloneDXName,
		release.PublicKeyName,
		release.BootstrapName,
		release.EvidenceJSON,
		release.EvidenceMD,
	}
	for _, t := range targets {
		signed = append(signed, t.Binary())
	}
	pkgs, _ := expectedPackages(version, targets)
	signed = append(signed, pkgs...)
	req := []string{
		release.ProvenanceName,
		release.ProxyDir + "/" + release.EscapePath("github.com/magefile/mage") + "/@v/list",
	}
	for _, f := range signed {
		req = append(req, f, f+release.SigSuffix)
	}
	slices.Sort(req)
	return req
}

func checkRequired(r *Report, pkg *Package, m *manifest.Manifest, o Options) {
	var missing []string
	for _, name := range Required(m.Package.Version, o.Matrix()) {
		if _, ok := pkg.files[name]; !ok {
			r.fail("required", name, "missing")
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		r.pass("required", "", "all %d files the verifier requires are present", len(Required(m.Package.Version, o.Matrix())))
	}
}

// checkChecksums checks checksums.txt against every file: each listed file
// must be present with that digest, and every file but checksums.txt itself
// and signature files must be listed.
func checkChecksums(r *Report, pkg *Package, files []file) {
	c, ok := pkg.files[checksums.Name]
	if !ok {
		r.fail("required", checksums.Name, "missing")
		return
	}
	if c.err != nil {
		return
	}
	lines, err := checksums.Parse(c.data)
	if err != nil {
		r.fail("checksums", checksums.Name, "%v", strings.TrimPrefix(err.Error(), "checksums: "))
		return
	}
	listed := map[string]bool{}
	bad := 0
	pkg.signed = []string{checksums.Name}
	for _, l := range lines {
		listed[l.Path] = true
		pkg.signed = append(pkg.signed, l.Path)
		got, ok := pkg.files[l.Path]
		switch {
		case !ok:
			r.fail("checksum", l.Path, "listed in %s but missing", checksums.Name)
			bad++
		case got.err != nil:
			bad++
		case got.sha256 != l.SHA256:
			r.fail("checksum", l.Path, "sha256 mismatch: %s lists %s, file has %s", checksums.Name, l.SHA256, got.sha256)
			bad++
		}
	}
	for _, f := range files {
		if f.name == checksums.Name || listed[f.name] || isSignature(f.name, listed) {
			continue
		}
		r.fail("checksum", f.name, "not listed in %s", checksums.Name)
		bad++
	}
	if bad == 0 {
		r.pass("checksum", checksums.Name, "%d files match, no unlisted files", len(lines))
	}
	slices.Sort(pkg.signed)
}

// isSignature reports whether name is a signature file that checksums.txt
// does not list: a detached signature of a listed file or of checksums.txt,
// or the provenance envelope.
func isSignature(name string, listed map[string]bool) bool {
	if name == release.ProvenanceName {
		return true
	}
	signed, ok := strings.CutSuffix(name, release.SigSuffix)
	return ok && (listed[signed] || signed == checksums.Name)
}

func inMatrix(targets []build.Target, s string) bool {
	return slices.ContainsFunc(targets, func(t build.Target) bool { return t.String() == s })
}
