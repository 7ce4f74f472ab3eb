package verify

import (
	"fmt"
	"slices"

	"github.com/cavra/cavra/packaging/format/bootstrap"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/releaseevidence"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/signing/trust"
)

// checkBootstrap checks offline-trust-root-bootstrap.json: its file list
// covers the verifier's own list and names only files the package has; its
// key is the package's cosign.pub and, when one is trusted, that key; its
// identity agrees with the manifest.
func checkBootstrap(r *Report, pkg *Package, m *manifest.Manifest, key *trust.Key, o Options) {
	name := layout.Bootstrap
	data, ok := pkg.File(name)
	if !ok {
		return // reported as required
	}
	b, err := bootstrap.Parse(data)
	if err != nil {
		r.fail(CheckBootstrap, name, "%v", err)
		return
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if b.SchemaVersion != bootstrap.Schema {
		bad("schema_version %q, want %q", b.SchemaVersion, bootstrap.Schema)
	}
	if b.Package.Version != m.Package.Version || b.Package.Commit != m.Package.Commit || b.Package.Snapshot != m.Snapshot {
		bad("package %s %.12s snapshot=%v disagrees with the manifest (%s %.12s snapshot=%v)", b.Package.Version, b.Package.Commit, b.Package.Snapshot, m.Package.Version, m.Package.Commit, m.Snapshot)
	}
	listed := map[string]bool{}
	for _, f := range b.RequiredFiles {
		if err := layout.CheckPath(f); err != nil {
			bad("required_files: %v", err)
			continue
		}
		listed[f] = true
		if pkg.files[f] == nil {
			bad("required_files names %s, which the package does not have", f)
		}
	}
	// The TUF metadata is written after the bootstrap, over it: the
	// bootstrap lists every other file.
	for _, f := range Required(m.Package.Version, o.Matrix()) {
		if !listed[f] && !tuf.IsMetadata(f) {
			bad("required_files lacks %s, which the verifier requires", f)
		}
	}
	for f := range pkg.files {
		if !listed[f] && !tuf.IsMetadata(f) {
			bad("required_files lacks %s, which the package has", f)
		}
	}
	bk, err := trust.ParsePublicKey([]byte(b.PublicKey.PEM))
	switch {
	case err != nil:
		bad("public_key.pem: %v", err)
	case bk.Fingerprint() != b.PublicKey.Fingerprint:
		bad("public_key.sha256_fingerprint %s is not the fingerprint of its pem (%s)", b.PublicKey.Fingerprint, bk.Fingerprint())
	default:
		if own, ok := pkg.File(layout.PublicKey); ok {
			if ok, err := samePEM(own, bk); err != nil || !ok {
				bad("public_key differs from %s", layout.PublicKey)
			}
		}
		if key != nil && !bk.Equal(key) {
			bad("public_key %s is not the trusted key %s", bk.Fingerprint(), key.Fingerprint())
		}
	}
	if b.PublicKey.Path != layout.PublicKey {
		bad("public_key.path %q, want %q", b.PublicKey.Path, layout.PublicKey)
	}
	if len(b.Commands) == 0 {
		bad("verify_commands is empty")
	}
	report(r, CheckBootstrap, name, errs, "%d required files, key %s", len(b.RequiredFiles), b.PublicKey.Fingerprint)
}

func samePEM(data []byte, k *trust.Key) (bool, error) {
	other, err := trust.ParsePublicKey(data)
	if err != nil {
		return false, err
	}
	return other.Equal(k), nil
}

// checkEvidence checks release-evidence.json against the manifest and the
// files: every artifact it lists has that size and digest, every listed file
// of the package is among them, its signatures are the package's, and its
// key is the trusted one.
func checkEvidence(r *Report, pkg *Package, m *manifest.Manifest, key *trust.Key) {
	name := layout.EvidenceJSON
	data, ok := pkg.File(name)
	if !ok {
		return // reported as required
	}
	ev, err := releaseevidence.Parse(data)
	if err != nil {
		r.fail(CheckEvidence, name, "%v", err)
		return
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if ev.SchemaVersion != releaseevidence.Schema {
		bad("schema_version %q, want %q", ev.SchemaVersion, releaseevidence.Schema)
	}
	p := ev.Package
	if p.Version != m.Package.Version || p.Commit != m.Package.Commit || p.Ref != m.Package.Ref || p.Repository != m.Package.Repository ||
		p.WorkflowRef != m.Package.WorkflowRef || p.Snapshot != m.Snapshot || p.SourceDateEpoch != m.Package.SourceDateEpoch {
		bad("package identity disagrees with the manifest")
	}
	if ev.GoVersion != m.Go.Version {
		bad("go_version %s, manifest records %s", ev.GoVersion, m.Go.Version)
	}
	seen := map[string]bool{}
	for _, a := range ev.Artifacts {
		seen[a.Path] = true
		c := pkg.files[a.Path]
		switch {
		case c == nil:
			bad("lists %s, which the package does not have", a.Path)
		case c.err == nil && (c.sha256 != a.SHA256 || c.size != a.Size):
			bad("lists %s with sha256 %s (%d bytes), the file has %s (%d bytes)", a.Path, a.SHA256, a.Size, c.sha256, c.size)
		}
	}
	for _, f := range signedFiles(pkg) {
		switch f {
		case checksums.Name, layout.EvidenceJSON, layout.EvidenceMD:
			continue // written after, or by, the evidence step
		}
		if !seen[f] {
			bad("does not list %s", f)
		}
	}
	var sigs []string
	for _, s := range ev.Signatures {
		sigs = append(sigs, s.Path)
	}
	var have []string
	for f := range pkg.files {
		if _, ok := signedBy(f); ok || isEnvelope(f) {
			have = append(have, f)
		}
	}
	slices.Sort(sigs)
	slices.Sort(have)
	if !slices.Equal(sigs, have) {
		bad("signatures %v, the package has %v", sigs, have)
	}
	if key != nil && ev.Signing.Fingerprint != key.Fingerprint() {
		bad("signing.sha256_fingerprint %s is not the trusted key %s", ev.Signing.Fingerprint, key.Fingerprint())
	}
	ids := map[string]bool{}
	for _, c := range ev.Controls {
		ids[c.ID] = true
	}
	for _, id := range releaseevidence.ControlIDs() {
		if !ids[id] {
			bad("controls lack %s", id)
		}
	}
	report(r, CheckEvidence, name, errs, "%d artifacts, %d signatures, %d controls", len(ev.Artifacts), len(ev.Signatures), len(ev.Controls))
}
