package verify

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/format/archive"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/packaging/verify/tufclient"
	"github.com/cavra/cavra/signing/trust"
	"github.com/cavra/cavra/signing/trust/keyless"
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

	// Keyless checks the keyless Sigstore bundles the release workflow's
	// signing job made beside the package (see package layout), against
	// the trusted root and identity policy the operator gave. With no Key
	// it is the trust of the package; with one, both must hold. Nil (and
	// no KeylessPolicy) leaves the bundles unchecked, and a SKIP says so
	// when there are any.
	Keyless *keyless.Verifier
	// KeylessPolicy, when Keyless is nil, is the identity policy the
	// keyless bundles must verify with against the package's own
	// sigstore/trusted_root.json, which is used only when trusted material
	// vouches for it: the targets of the trusted TUF root list it with its
	// length and hashes (TUF), or, without a trust folder, the trusted key
	// (Key, or the package's key of KeyFingerprint) signed it and the
	// checksums.txt it signed lists it. Never on the package's word.
	KeylessPolicy keyless.Policy

	// ExpectVersion, when set, is the version the operator means to
	// verify; a package of any other version fails.
	ExpectVersion string

	// RebuildAttestations are the signed verdicts of independent
	// rebuilders the operator collected (see package attestation).
	RebuildAttestations []Attestation
	// RebuilderKeys are the rebuilders' public keys the operator trusts,
	// obtained from each rebuilder; an attestation signed by none of them
	// is ignored.
	RebuilderKeys []*trust.Key
	// MinRebuilds is how many trusted rebuilders, each with its own key,
	// must have rebuilt every binary bit for bit (PASSED); zero means no
	// minimum. A FAILED attestation by a trusted key fails the package
	// whatever the others say.
	MinRebuilds int

	// TUF is the operator's trust folder (see package tufclient): when
	// set, the package's TUF metadata is checked with it, every file
	// against targets.json, the signatures against the targets key of the
	// trusted root, and a package that passes every check is recorded in
	// it (check tuf.state).
	TUF *tufclient.Client
	// TUFInstalled checks the package as the one installed now, the
	// current side of an upgrade (see tufclient.Client.CheckInstalled):
	// neither rollback nor expiry is checked, and nothing is recorded.
	TUFInstalled bool
	// At, when set, is the time TUF expiry and key ages are checked at
	// instead of now; the report says so in a warning.
	At time.Time
	// RequireRotationPolicy fails a package whose signing operations
	// name a key past its rotation age (otherwise a warning).
	RequireRotationPolicy bool
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

// FileInfo is what verification read of one file of a package.
type FileInfo struct {
	Name   string `json:"path"`
	Size   int64  `json:"size_bytes"`
	SHA256 string `json:"sha256"`
}

// Files returns every file of the package that was read, by name, with the
// size and digest the verifier computed.
func (p *Package) Files() []FileInfo {
	out := make([]FileInfo, 0, len(p.files))
	for name, c := range p.files {
		out = append(out, FileInfo{Name: name, Size: c.size, SHA256: c.sha256})
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// SHA256 returns the digest the verifier computed of a file it read.
func (p *Package) SHA256(name string) (string, bool) {
	c, ok := p.files[name]
	if !ok || c.err != nil {
		return "", false
	}
	return c.sha256, true
}

// bytes returns the bytes of a file that was read for verification, or why
// there are none: it is missing (fs.ErrNotExist), unreadable, or larger than
// the verifier keeps.
func (p *Package) bytes(name string) ([]byte, error) {
	c, ok := p.files[name]
	switch {
	case !ok:
		return nil, fs.ErrNotExist
	case c.err != nil:
		return nil, c.err
	case c.data == nil:
		return nil, fmt.Errorf("%s is larger than the verifier reads", name)
	}
	return c.data, nil
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
	return r, check(r, files, o, source{zip: path, dir: filepath.Dir(path)}), nil
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
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, err
	}
	return r, check(r, files, o, source{dir: filepath.Dir(abs)}), nil
}

// source is where the files of a package came from: the zip (or "" for a
// folder), and the folder beside it that holds its keyless bundles.
type source struct {
	zip string
	dir string
}

// check runs every check on the files of a package.
func check(r *Report, files []file, o Options, src source) *Package {
	zipName := ""
	if src.zip != "" {
		zipName = filepath.Base(src.zip)
	}
	defer r.finish()
	maxKeep := o.MaxKeep
	if maxKeep == 0 {
		maxKeep = 512 << 20
	}
	pkg := &Package{files: readAll(files, maxKeep, o.TUF != nil, parsePackage)}
	for _, f := range files {
		if c := pkg.files[f.name]; c.err != nil {
			r.fail(CheckRead, f.name, "%v", c.err)
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
	checkVersion(r, m, o, zipName)
	checkRequired(r, pkg, m, o)
	checkChecksums(r, pkg, files)
	checkManifestIdentity(r, m)
	checkManifestMatrix(r, m, o)
	checkManifestGo(r, m)
	checkManifestBuild(r, m)
	checkManifestControls(r, m)
	checkManifestSource(r, pkg, m)
	checkManifestModules(r, pkg, m)
	checkBinaries(r, pkg, m, o)
	checkPackages(r, pkg, m, o)
	res := checkTUF(r, pkg, m, o)
	checkSigningOps(r, pkg, m, res, o)
	key := checkTrust(r, pkg, m, o, res)
	checkSignatures(r, pkg, key, o)
	checkProvenance(r, pkg, m, key)
	checkProvenanceBundle(r, pkg, key, o)
	checkKeyless(r, pkg, m, o, src, key, res)
	checkSBOMs(r, pkg, m)
	claims := checkVEX(r, pkg, m)
	checkVEXCycloneDX(r, pkg, m, claims)
	checkVulns(r, pkg, m, key, claims)
	checkVulnsBundle(r, pkg, key)
	checkBootstrap(r, pkg, m, key, o)
	checkEvidence(r, pkg, m, key)
	checkRebuilds(r, pkg, m, o)
	commitTUF(r, res, o)
	return pkg
}

// checkVersion checks that every name the operator goes by agrees with the
// version inside: the top folder, the zip's name when it has the release
// form cavra-go-runtime-<version>.zip, and the version the operator expects.
// A zip renamed to another version fails, so an operator who means to carry
// v9.9.9 across the air gap never carries an older release by mistake.
func checkVersion(r *Report, m *manifest.Manifest, o Options, zipName string) {
	v := m.Package.Version
	ok := true
	if want := "go-runtime-" + v; r.Package != want {
		r.fail(CheckVersion, "", "top folder %q, want %q for version %s", r.Package, want, v)
		ok = false
	}
	if named, found := strings.CutPrefix(zipName, "cavra-go-runtime-"); found {
		if named = strings.TrimSuffix(named, ".zip"); named != v {
			r.fail(CheckVersion, zipName, "the file name says version %s, the package inside is %s", named, v)
			ok = false
		}
	}
	if o.ExpectVersion != "" && o.ExpectVersion != v {
		r.fail(CheckVersion, manifest.Name, "the package is version %s, the operator expects %s", v, o.ExpectVersion)
		ok = false
	}
	if ok {
		what := "the top folder"
		if zipName != "" {
			what = "the zip's name and the top folder"
		}
		if o.ExpectVersion != "" {
			what += " and the version the operator expects"
		}
		r.pass(CheckVersion, "", "version %s matches %s", v, what)
	}
}

func parseManifest(r *Report, pkg *Package) *manifest.Manifest {
	c, ok := pkg.files[manifest.Name]
	if !ok {
		r.fail(CheckRequired, manifest.Name, "missing")
		return nil
	}
	if c.err != nil {
		return nil
	}
	if c.data == nil {
		r.fail(CheckManifest, manifest.Name, "larger than the verifier reads")
		return nil
	}
	m, err := manifest.Parse(c.data)
	if err != nil {
		r.fail(CheckManifest, manifest.Name, "%v", strings.TrimPrefix(err.Error(), "manifest: "))
		return nil
	}
	pkg.ManifestSHA256 = c.sha256
	r.ManifestSHA256 = c.sha256
	r.pass(CheckManifest, manifest.Name, "schema %s", manifest.Schema)
	return m
}

// Required returns the verifier's own list of the files a package of
// version must hold, whatever the package says about itself: the manifest,
// the checksums, the source archive, mage's offline module, the binaries, the
// SBOMs, the vulnerability evidence, the public key, the bootstrap, the
// evidence, the signing operations, the provenance, a signature of each
// signed one, and the TUF metadata (root version 1, targets, snapshot,
// timestamp).
func Required(version string, targets []build.Target) []string {
	signed := []string{
		manifest.Name,
		checksums.Name,
		layout.Source(version),
		layout.SPDX,
		layout.CycloneDX,
		layout.OpenVEX,
		layout.CycloneDXVEX,
		layout.Vulns,
		layout.PublicKey,
		layout.Bootstrap,
		layout.EvidenceJSON,
		layout.EvidenceMD,
		layout.SigningOps,
	}
	for _, t := range targets {
		signed = append(signed, t.Binary())
	}
	pkgs, _ := expectedPackages(version, targets)
	signed = append(signed, pkgs...)
	req := []string{
		layout.Provenance,
		layout.ProvenanceBundle,
		layout.VulnsEnvelope,
		layout.VulnsBundle,
		layout.ProxyDir + "/" + layout.EscapePath("github.com/magefile/mage") + "/@v/list",
		tuf.Path(tuf.RoleRoot, 1), tuf.TargetsPath, tuf.SnapshotPath, tuf.TimestampPath,
	}
	for _, f := range signed {
		req = append(req, f, f+layout.SigSuffix, f+layout.BundleSuffix)
	}
	slices.Sort(req)
	return req
}

func checkRequired(r *Report, pkg *Package, m *manifest.Manifest, o Options) {
	var missing []string
	for _, name := range Required(m.Package.Version, o.Matrix()) {
		if _, ok := pkg.files[name]; !ok {
			r.fail(CheckRequired, name, "missing")
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		r.pass(CheckRequired, "", "all %d files the verifier requires are present", len(Required(m.Package.Version, o.Matrix())))
	}
}

// checkChecksums checks checksums.txt against every file: each listed file
// must be present with that digest, and every file but checksums.txt itself,
// signature files and the TUF metadata (written after checksums.txt, over
// it, and signing itself) must be listed.
func checkChecksums(r *Report, pkg *Package, files []file) {
	c, ok := pkg.files[checksums.Name]
	if !ok {
		r.fail(CheckRequired, checksums.Name, "missing")
		return
	}
	if c.err != nil {
		return
	}
	lines, err := checksums.Parse(c.data)
	if err != nil {
		r.fail(CheckChecksum, checksums.Name, "%v", strings.TrimPrefix(err.Error(), "checksums: "))
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
			r.fail(CheckChecksum, l.Path, "listed in %s but missing", checksums.Name)
			bad++
		case got.err != nil:
			bad++
		case got.sha256 != l.SHA256:
			r.fail(CheckChecksum, l.Path, "sha256 mismatch: %s lists %s, file has %s", checksums.Name, l.SHA256, got.sha256)
			bad++
		}
	}
	for _, f := range files {
		if f.name == checksums.Name || listed[f.name] || isSignature(f.name, listed) || tuf.IsMetadata(f.name) {
			continue
		}
		r.fail(CheckChecksum, f.name, "not listed in %s", checksums.Name)
		bad++
	}
	if bad == 0 {
		r.pass(CheckChecksum, checksums.Name, "%d files match, no unlisted files", len(lines))
	}
	slices.Sort(pkg.signed)
}

// isSignature reports whether name is a signature file that checksums.txt
// does not list: a detached signature or Sigstore bundle of a listed file or
// of checksums.txt, or the DSSE envelope or bundle of the provenance or the
// vulnerability statement. Every one of them is checked (see
// checkSignatures, checkProvenance and checkVulns).
func isSignature(name string, listed map[string]bool) bool {
	if isEnvelope(name) {
		return true
	}
	signed, ok := signedBy(name)
	return ok && (listed[signed] || signed == checksums.Name)
}

// isEnvelope reports whether name is a DSSE envelope or its Sigstore bundle.
func isEnvelope(name string) bool {
	switch name {
	case layout.Provenance, layout.ProvenanceBundle, layout.VulnsEnvelope, layout.VulnsBundle:
		return true
	}
	return false
}

// signedBy returns the file a .sig or .sigstore.json signature file signs.
func signedBy(name string) (string, bool) {
	if f, ok := strings.CutSuffix(name, layout.SigSuffix); ok {
		return f, true
	}
	return strings.CutSuffix(name, layout.BundleSuffix)
}

func inMatrix(targets []build.Target, s string) bool {
	return slices.ContainsFunc(targets, func(t build.Target) bool { return t.String() == s })
}
