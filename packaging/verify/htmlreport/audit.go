// Package audit writes an auditor's report of a verified cavra-go-runtime
// package: one self-contained HTML page, made with html/template from the
// verifier's own report, readable offline and printable. Nothing in it is
// fetched: no scripts, fonts, images or style sheets from anywhere, and a
// Content-Security-Policy that forbids them, so the page shows the same on
// a machine with no network.
//
// The page holds, in order:
//
//   - the verdict, and when the package fails, every failure first, in red;
//   - the release identity: product, version, commit, repository, ref,
//     snapshot label, SOURCE_DATE_EPOCH, Go version, manifest digest;
//   - the signing key: the trust the verification used and the key's
//     fingerprint, and the key the package carries;
//   - each keyless signer: what it signed, the identity and its issuer,
//     repository, ref and commit, the log index and integration time;
//   - the build controls: the pinned environment, microarchitecture levels,
//     linker and build flags, and the operator controls of a rebuild;
//   - every file of the package with its kind, size and SHA-256, as the
//     verifier read them;
//   - every check of the verifier with its result and detail;
//   - each rebuilder whose attestation was given, with its verdict, time,
//     key and whether it counted;
//   - the vulnerability evidence: the database the release checked against
//     (its version, hash and date), the scanner, every statement of the
//     package's OpenVEX document, and, when the page was made with a newer
//     database (cavra release report -db), what the re-check found, any
//     vulnerability the package's VEX does not cover first, in red;
//   - the rebuild command of every binary, and the verifier's own commands.
package htmlreport

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/packaging/verify/vulns"
	"github.com/cavra/cavra/signing/trust"
)

//go:embed page.html.tmpl
var pageText string

var page = template.Must(template.New("page").Parse(pageText))

// Meta is what the page says about its own making.
type Meta struct {
	Tool      string    // e.g. "cavra v1.2.3"
	Generated time.Time // when the page was made
	Command   string    // the command line that made it, for the record
	// Recheck is the re-check of the package against a database the
	// operator brought, when the page shows one.
	Recheck *vulns.Report
}

// Row is one row of a two-column table.
type Row struct{ Key, Value string }

// File is one file of the package, as the page lists it.
type File struct {
	Path   string
	Kind   string
	Size   int64
	SHA256 string
}

// Signer is one keyless signature, as the page lists it.
type Signer struct {
	Signs, Bundle                     string
	Identity, Issuer, Repository, Ref string
	Commit                            string
	LogIndex                          int64
	Integrated                        string
}

// Command is how one binary is rebuilt.
type Command struct {
	Target  string
	Binary  string
	SHA256  string
	Command string
}

// data is what the template renders.
type data struct {
	Title      string
	Status     verify.Status
	Summary    string
	Failures   []string
	Identity   []Row
	Signing    []Row
	Build      []Row
	Controls   []Row
	Files      []File
	Checks     []verify.Check
	Signers    []Signer
	Rebuilders []verify.Rebuilder
	VEX        *verify.VEX
	VEXSummary string
	Recheck    *vulns.Report
	Commands   []Command
	Verify     []string
	Meta       Meta
}

// Write renders the page of a verification: rep is the verifier's report,
// pkg what it read (nil when the package could not be opened).
func Write(w io.Writer, rep *verify.Report, pkg *verify.Package, meta Meta) error {
	d := build(rep, pkg, meta)
	return page.Execute(w, d)
}

func build(rep *verify.Report, pkg *verify.Package, meta Meta) *data {
	d := &data{Status: rep.Status, Checks: rep.Checks, Rebuilders: rep.Rebuilders, VEX: rep.VEX, Recheck: meta.Recheck, Meta: meta}
	if rep.VEX != nil {
		d.VEXSummary = rep.VEX.String()
	}
	d.Title = cmpStr(rep.Package, rep.Input)
	d.Summary = fmt.Sprintf("%d checks passed, %d failed, %d skipped; trust: %s", rep.Passed, rep.Failed, rep.Skipped, rep.Trust)
	d.Failures = rep.Errors()
	if rc := meta.Recheck; rc != nil {
		if rc.Error != "" {
			d.Failures = append(d.Failures, "vulnerability re-check: "+rc.Error)
		}
		for _, f := range rc.New() {
			d.Failures = append(d.Failures, fmt.Sprintf("vulnerability re-check: %s %s %s (fixed in %s) affects %s, which the package's VEX does not cover", f.ID, f.Module, f.Version, cmpStr(f.Fixed, "no release yet"), strings.Join(f.Binaries, ", ")))
		}
		if !rc.OK() {
			d.Status = verify.Fail
		}
	}
	var m *manifest.Manifest
	if pkg != nil {
		m = pkg.Manifest
	}
	d.Identity = []Row{{"Input", rep.Input}, {"Package folder", rep.Package}, {"Version", cmpStr(rep.Version, "unknown (no readable manifest)")}}
	if m != nil {
		d.Title = m.Package.Name + " " + m.Package.Version
		snapshot := "no: a release"
		if m.Snapshot {
			snapshot = "yes: SNAPSHOT, not a release"
		}
		d.Identity = append(d.Identity,
			Row{"Product", m.Package.Name},
			Row{"Commit", m.Package.Commit},
			Row{"Repository", m.Package.Repository},
			Row{"Ref", m.Package.Ref},
			Row{"Snapshot", snapshot},
			Row{"SOURCE_DATE_EPOCH", fmt.Sprintf("%d (%s)", m.Package.SourceDateEpoch, time.Unix(m.Package.SourceDateEpoch, 0).UTC().Format(time.RFC3339))},
			Row{"Go", m.Go.Version},
			Row{"Main package", m.Go.ModulePath + " " + m.Go.MainPackage},
		)
	}
	d.Identity = append(d.Identity, Row{"Manifest SHA-256", rep.ManifestSHA256})

	d.Signing = []Row{{"Trust", rep.Trust}, {"Trusted key fingerprint", cmpStr(rep.Key, "none: key signatures were not checked")}}
	if t := rep.TUF; t != nil {
		v := t.Versions
		d.Signing = append(d.Signing,
			Row{"TUF trust folder", t.TrustDir},
			Row{"TUF versions (root, timestamp, snapshot, targets)", fmt.Sprintf("%d, %d, %d, %d", v.Root, v.Timestamp, v.Snapshot, v.Targets)},
			Row{"TUF expiry checked at", t.At + map[bool]string{true: " (--at, not the current time)"}[t.AtGiven]},
		)
	}
	if rep.TrustedRoot != nil {
		d.Signing = append(d.Signing, Row{"Sigstore trusted root (keyless)", rep.TrustedRoot.String()})
	}
	for _, w := range rep.Warnings {
		d.Signing = append(d.Signing, Row{"Warning", w})
	}
	for _, s := range rep.Signers {
		d.Signers = append(d.Signers, Signer{
			Signs: s.Signs, Bundle: s.Bundle, Identity: s.Identity, Issuer: s.Issuer, Repository: s.Repository,
			Ref: s.Ref, Commit: s.Commit, LogIndex: s.LogIndex, Integrated: s.IntegratedTime.UTC().Format(time.RFC3339),
		})
	}
	if pkg != nil {
		if b, ok := pkg.File(layout.PublicKey); ok {
			if k, err := trust.ParsePublicKey(b); err == nil {
				d.Signing = append(d.Signing, Row{"Key the package carries (" + layout.PublicKey + ")", k.Fingerprint() + " (" + k.Algorithm() + ")"})
			}
		}
	}
	if m != nil {
		for _, k := range slices.Sorted(maps.Keys(m.Build.Env)) {
			d.Build = append(d.Build, Row{k, m.Build.Env[k]})
		}
		for _, k := range slices.Sorted(maps.Keys(m.Build.Levels)) {
			d.Build = append(d.Build, Row{k, m.Build.Levels[k]})
		}
		d.Build = append(d.Build, Row{"-ldflags", m.Build.Ldflags}, Row{"go build flags", strings.Join(m.Build.Flags, " ")})
		for _, k := range slices.Sorted(maps.Keys(m.Controls.Env)) {
			d.Controls = append(d.Controls, Row{k, m.Controls.Env[k]})
		}
		d.Controls = append(d.Controls, Row{"network", m.Controls.Network}, Row{"toolchain", m.Controls.Toolchain})
		for _, b := range m.Binaries {
			d.Commands = append(d.Commands, Command{b.Target, b.Binary, b.SHA256, b.RebuildCommand})
		}
	}
	if pkg != nil {
		for _, f := range pkg.Files() {
			d.Files = append(d.Files, File{f.Name, Kind(f.Name, m), f.Size, f.SHA256})
		}
	}
	d.Verify = []string{
		"cavra release verify-go-package --key trusted.pub " + cmpStr(rep.Package, "<package>"),
		"cavra release rebuild --key trusted.pub " + cmpStr(rep.Package, "<package>") + " -out evidence/",
	}
	if len(rep.Signers) > 0 {
		s := rep.Signers[0]
		root := "--trusted-root trusted_root.json"
		if t := rep.TrustedRoot; t != nil && t.Source == verify.TrustedRootPackage && rep.TUF != nil {
			root = "--trust-dir " + rep.TUF.TrustDir // the package's trusted root, a TUF target
		}
		d.Verify = append(d.Verify, "cavra release verify-go-package "+root+" --certificate-identity "+s.Identity+
			" --certificate-oidc-issuer "+s.Issuer+" "+cmpStr(rep.Package, "<package>"))
	}
	return d
}

// Kind names what a file of a package is, from the names the package's
// layout and manifest give them.
func Kind(name string, m *manifest.Manifest) string {
	switch name {
	case manifest.Name:
		return "manifest"
	case layout.Provenance, layout.ProvenanceBundle:
		return "provenance"
	case checksums.Name:
		return "checksums"
	case layout.PublicKey:
		return "public key"
	case layout.Bootstrap:
		return "trust bootstrap"
	case layout.EvidenceJSON, layout.EvidenceMD:
		return "release evidence"
	case layout.SPDX, layout.CycloneDX:
		return "SBOM"
	case layout.OpenVEX, layout.CycloneDXVEX, layout.Vulns:
		return "vulnerability evidence"
	case layout.VulnsEnvelope, layout.VulnsBundle:
		return "vulnerability attestation"
	case layout.TrustedRoot:
		return "Sigstore trusted root"
	}
	switch {
	case strings.HasSuffix(name, layout.SigSuffix):
		return "signature"
	case strings.HasSuffix(name, layout.BundleSuffix):
		return "Sigstore bundle"
	case strings.HasPrefix(name, layout.ProxyDir+"/"):
		return "Go module"
	}
	if m != nil {
		if name == m.Source.Archive {
			return "source archive"
		}
		for _, b := range m.Binaries {
			if b.Binary == name {
				return "binary " + b.Target
			}
		}
		for _, p := range m.Packages {
			if p.Path == name {
				return p.Format + " package " + p.Target
			}
		}
	}
	return "other"
}

func cmpStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
