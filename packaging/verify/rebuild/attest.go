package rebuild

import (
	"cmp"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/format/attestation"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/provenance"
	"github.com/cavra/cavra/packaging/verify"
)

// Attested describes the rebuild attestation a rebuild signed.
type Attested struct {
	File      string   `json:"file"`   // rebuild.intoto.jsonl, in the output folder
	Bundle    string   `json:"bundle"` // rebuild.sigstore.json, the same for cosign v3
	Rebuilder string   `json:"rebuilder"`
	Key       string   `json:"key_fingerprint"`
	Algorithm string   `json:"algorithm"`
	Result    string   `json:"result"` // PASSED or FAILED
	Levels    []string `json:"verified_levels"`
	Subjects  int      `json:"subjects"`
	Time      string   `json:"time_verified"`
}

// attest signs the verdict of a rebuild and writes it into out: PASSED when
// the rebuild passed, else FAILED. There is no verdict to sign, and the
// report says why, when the rebuild was not attempted for the rebuilder's
// own reasons (notAttempted) or the package has no readable manifest to
// name its binaries. The error is non-nil only when signing or writing
// failed.
func attest(rep *Report, vr *verify.Report, pkg *verify.Package, o Options, out, notAttempted string) error {
	var m *manifest.Manifest
	if pkg != nil {
		m = pkg.Manifest
	}
	switch {
	case notAttempted != "":
		rep.AttestationError = "no attestation signed: not rebuilt (" + notAttempted + "), so there is no verdict on the package"
		return nil
	case m == nil:
		rep.AttestationError = "no attestation signed: the package has no readable manifest to name its binaries"
		return nil
	}
	now := time.Now().UTC()
	st := statement(rep, vr, pkg, m, o, now)
	env, bundle, err := o.Sign.Sign(st)
	if err != nil {
		return fmt.Errorf("rebuild: sign the attestation: %w", err)
	}
	err = writeFiles(out, []outFile{
		{attestation.FileName, func(w io.Writer) error { _, err := w.Write(env); return err }},
		{attestation.BundleName, func(w io.Writer) error { _, err := w.Write(bundle); return err }},
	})
	if err != nil {
		return err
	}
	p := st.Predicate
	rep.Attestation = &Attested{
		File: attestation.FileName, Bundle: attestation.BundleName, Rebuilder: p.Verifier.ID,
		Key: o.Sign.Public().Fingerprint(), Algorithm: o.Sign.Algorithm(),
		Result: p.VerificationResult, Levels: p.VerifiedLevels, Subjects: len(st.Subject), Time: p.TimeVerified,
	}
	return nil
}

// statement is the attestation of a rebuild: every selected binary of the
// manifest is a subject with its shipped digest, and the verdict is the
// rebuild's.
func statement(rep *Report, vr *verify.Report, pkg *verify.Package, m *manifest.Manifest, o Options, now time.Time) *attestation.Statement {
	selected := o.Targets
	if selected == nil {
		selected = o.Verify.Matrix()
	}
	var subjects []provenance.Subject
	for _, b := range m.Binaries {
		if slices.ContainsFunc(selected, func(t build.Target) bool { return t.String() == b.Target }) {
			subjects = append(subjects, provenance.Subject{Name: b.Binary, Digest: map[string]string{"sha256": b.SHA256}})
		}
	}
	slices.SortFunc(subjects, func(a, b provenance.Subject) int { return strings.Compare(a.Name, b.Name) })

	var inputs []provenance.ResourceDescriptor
	for _, name := range []string{manifest.Name, layout.Provenance} {
		if sum, ok := pkg.SHA256(name); ok {
			inputs = append(inputs, provenance.ResourceDescriptor{URI: name, Digest: map[string]string{"sha256": sum}})
		}
	}
	ext := &attestation.Rebuild{
		Package: rep.Package, Version: m.Package.Version, Commit: m.Package.Commit, Snapshot: m.Snapshot,
		Trust: vr.Trust, Host: attestation.Host{OS: rep.Host.OS, Arch: rep.Host.Arch, GoVersion: rep.Host.GoVersion},
		Error: rep.Error,
	}
	for _, t := range rep.Targets {
		ext.Targets = append(ext.Targets, attestation.Target{
			Target: t.Target, Binary: t.Binary, Status: string(t.Status),
			Expected: t.Expected, Actual: t.Actual, Differences: t.Differences,
		})
	}
	result := attestation.Failed
	if rep.OK() {
		result = attestation.Passed
	}
	return &attestation.Statement{
		Type:          attestation.StatementType,
		Subject:       subjects,
		PredicateType: attestation.PredicateType,
		Predicate: attestation.Predicate{
			Verifier: attestation.Verifier{ID: o.RebuilderID, Version: map[string]string{
				"cavra": cmp.Or(o.Version, "devel"), "go": cmp.Or(rep.Host.GoVersion, runtime.Version()),
			}},
			TimeVerified:       now.Format(time.RFC3339),
			ResourceURI:        attestation.ResourceURI(m.Package.Name, m.Package.Version),
			Policy:             provenance.ResourceDescriptor{URI: attestation.PolicyURI, Digest: map[string]string{"sha256": attestation.PolicyDigest(m)}},
			InputAttestations:  inputs,
			VerificationResult: result,
			VerifiedLevels:     attestation.Levels(rep.OK(), vr.Key != "" || provenanceSigned(vr)),
			SLSAVersion:        attestation.SLSAVersion,
			Rebuild:            ext,
		},
	}
}

// provenanceSigned reports whether the package's provenance verified as a
// keyless attestation of the signer the operator trusts.
func provenanceSigned(vr *verify.Report) bool {
	return slices.ContainsFunc(vr.Signers, func(s verify.Signer) bool { return s.Signs == layout.Provenance })
}
