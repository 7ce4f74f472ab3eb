package verify

import (
	"bytes"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/provenance"
	"github.com/cavra/cavra/signing/trust"
)

// checkProvenance checks the provenance, as the rows of the table in the
// package doc say, in order: the DSSE envelope and its signature (with a
// trusted key), the statement's types, its identity against the manifest,
// and subjects that cover every file checksums.txt lists with the same
// digests. Every problem is reported in one "provenance" check.
func checkProvenance(r *Report, pkg *Package, m *manifest.Manifest, key *trust.Key) {
	name := layout.Provenance
	env, ok := pkg.File(name)
	if !ok {
		return // reported as required
	}
	payloadType, payload, err := openEnvelope(env, key)
	if err != nil {
		r.fail(CheckProvenance, name, "%v", err)
		return
	}
	st, err := provenance.Parse(payload)
	if err != nil {
		r.fail(CheckProvenance, name, "statement: %v", err)
		return
	}
	var bad problems
	checkStatementTypes(&bad, payloadType, st)
	checkStatementIdentity(&bad, st, m)
	n := checkSubjects(&bad, st, pkg)
	how := "signature not checked: no trusted key"
	if key != nil {
		how = "DSSE signature verifies with " + key.Fingerprint()
	}
	report(r, CheckProvenance, name, bad, "SLSA v1, %d subjects match their files, commit %.12s; %s", n, m.Package.Commit, how)
}

// openEnvelope returns the payload of a DSSE envelope: verified with key, or,
// without one, read anyway to check what it says (its signature is not
// trusted, and the trust check has failed or said UNSIGNED).
func openEnvelope(env []byte, key *trust.Key) (payloadType string, payload []byte, err error) {
	if key != nil {
		return key.VerifyDSSE(env)
	}
	e, payload, err := trust.ParseEnvelope(env)
	if err != nil {
		return "", nil, err
	}
	return e.PayloadType, payload, nil
}

// checkStatementTypes checks the payload type, the statement type, the
// predicate type and the build type.
func checkStatementTypes(bad *problems, payloadType string, st *provenance.Statement) {
	if payloadType != provenance.PayloadType {
		bad.add("payloadType %q, want %q", payloadType, provenance.PayloadType)
	}
	if st.Type != provenance.StatementType {
		bad.add("_type %q, want %q", st.Type, provenance.StatementType)
	}
	if st.PredicateType != provenance.PredicateType {
		bad.add("predicateType %q, want %q", st.PredicateType, provenance.PredicateType)
	}
	if bt := st.Predicate.BuildDefinition.BuildType; bt != provenance.BuildType {
		bad.add("buildType %q, want %q", bt, provenance.BuildType)
	}
}

// checkStatementIdentity checks that the version, repository, ref, pinned
// flags, source commit and Go toolchain agree with the manifest, and that a
// builder is named.
func checkStatementIdentity(bad *problems, st *provenance.Statement, m *manifest.Manifest) {
	bd := st.Predicate.BuildDefinition
	ep := bd.ExternalParameters
	if ep.Version != m.Package.Version || ep.Repository != m.Package.Repository || ep.Ref != m.Package.Ref || ep.Snapshot != m.Snapshot {
		bad.add("externalParameters (version %q, repository %q, ref %q, snapshot %v) disagree with the manifest (%q, %q, %q, %v)",
			ep.Version, ep.Repository, ep.Ref, ep.Snapshot, m.Package.Version, m.Package.Repository, m.Package.Ref, m.Snapshot)
	}
	if ip := bd.InternalParameters; ip.Ldflags != build.Ldflags(m.Package.Version) || ip.Env["GOFLAGS"] != build.GOFLAGS || ip.Env["CGO_ENABLED"] != "0" {
		bad.add("internalParameters do not record the pinned flags")
	}
	var commit, goVersion bool
	for _, d := range bd.ResolvedDependencies {
		if d.Digest["gitCommit"] != "" {
			if d.Digest["gitCommit"] != m.Package.Commit {
				bad.add("resolvedDependencies: source commit %s, manifest records %s", d.Digest["gitCommit"], m.Package.Commit)
			}
			commit = true
		}
		if d.Name == "go" {
			if v, _ := d.Annotations["version"].(string); v != m.Go.Version {
				bad.add("resolvedDependencies: Go toolchain %q, manifest records %q", v, m.Go.Version)
			}
			goVersion = true
		}
	}
	if !commit {
		bad.add("resolvedDependencies has no source commit")
	}
	if !goVersion {
		bad.add("resolvedDependencies has no Go toolchain")
	}
	if st.Predicate.RunDetails.Builder.ID == "" {
		bad.add("runDetails.builder.id is empty")
	}
}

// checkSubjects checks that the subjects are every listed file, each with
// its true digest, and nothing else; it returns how many there are.
func checkSubjects(bad *problems, st *provenance.Statement, pkg *Package) int {
	subjects := map[string]string{}
	for _, s := range st.Subject {
		if err := layout.CheckPath(s.Name); err != nil {
			bad.add("subject %q: %v", s.Name, err)
			continue
		}
		if _, dup := subjects[s.Name]; dup {
			bad.add("subject %s listed twice", s.Name)
		}
		subjects[s.Name] = s.Digest["sha256"]
		if c := pkg.files[s.Name]; c == nil {
			bad.add("subject %s is not in the package", s.Name)
		} else if c.err == nil && c.sha256 != s.Digest["sha256"] {
			bad.add("subject %s has sha256 %s, the file has %s", s.Name, s.Digest["sha256"], c.sha256)
		}
	}
	for _, f := range signedFiles(pkg) {
		if f == checksums.Name {
			continue
		}
		if _, ok := subjects[f]; !ok {
			bad.add("%s is not a subject", f)
		}
	}
	return len(subjects)
}

// checkProvenanceBundle checks the provenance's Sigstore bundle: it verifies
// with the trusted key and holds the same statement as the envelope, so
// cosign v3 and cosign v2 users check the same claims.
func checkProvenanceBundle(r *Report, pkg *Package, key *trust.Key, o Options) {
	name := layout.ProvenanceBundle
	bundle, err := pkg.bytes(name)
	env, envErr := pkg.bytes(layout.Provenance)
	if err != nil || envErr != nil {
		return // reported as required or unreadable
	}
	if _, keyless := o.policy(); key == nil && keyless {
		r.skip(CheckProvenanceBundle, name, "key-signed bundle not checked: no trusted key; the keyless attestation beside the package vouches for the statement (check %s)", CheckKeyless)
		return
	}
	if key == nil {
		r.skip(CheckProvenanceBundle, name, "not checked: no trusted key")
		return
	}
	bt, bp, err := key.VerifyDSSEBundle(bundle)
	if err != nil {
		r.fail(CheckProvenanceBundle, name, "%v", err)
		return
	}
	et, ep, err := key.VerifyDSSE(env)
	if err != nil {
		return // reported by checkProvenance
	}
	if bt != et || !bytes.Equal(bp, ep) {
		r.fail(CheckProvenanceBundle, name, "holds another statement than %s", layout.Provenance)
		return
	}
	r.pass(CheckProvenanceBundle, name, "DSSE bundle verifies with %s and holds the statement of %s", key.Fingerprint(), layout.Provenance)
}
