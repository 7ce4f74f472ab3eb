package verify

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/cavra/cavra/internal/strictjson"
	"github.com/cavra/cavra/packaging/build"
	"github.com/cavra/cavra/packaging/checksums"
	"github.com/cavra/cavra/packaging/layout"
	"github.com/cavra/cavra/packaging/manifest"
	"github.com/cavra/cavra/packaging/provenance"
	"github.com/cavra/cavra/signing/trust"
)

// checkProvenance checks the DSSE envelope's signature (with a trusted key)
// and the statement: types, identity against the manifest, and subjects that
// cover every file checksums.txt lists with the same digests.
func checkProvenance(r *Report, pkg *Package, m *manifest.Manifest, key *trust.Key) {
	name := layout.Provenance
	env, ok := pkg.File(name)
	if !ok {
		return // reported as required
	}
	var payloadType string
	var payload []byte
	if key != nil {
		var err error
		payloadType, payload, err = key.VerifyDSSE(env)
		if err != nil {
			r.fail("provenance", name, "%v", err)
			return
		}
	} else {
		// Read it anyway, to check what it says; its signature is not
		// trusted.
		var e trust.Envelope
		if err := strictjson.Decode([]byte(strings.TrimSuffix(string(env), "\n")), &e); err != nil {
			r.fail("provenance", name, "envelope: %v", err)
			return
		}
		p, err := decodeB64(e.Payload)
		if err != nil {
			r.fail("provenance", name, "envelope payload: %v", err)
			return
		}
		payloadType, payload = e.PayloadType, p
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if payloadType != provenance.PayloadType {
		bad("payloadType %q, want %q", payloadType, provenance.PayloadType)
	}
	st, err := provenance.Parse(payload)
	if err != nil {
		r.fail("provenance", name, "statement: %v", err)
		return
	}
	if st.Type != provenance.StatementType {
		bad("_type %q, want %q", st.Type, provenance.StatementType)
	}
	if st.PredicateType != provenance.PredicateType {
		bad("predicateType %q, want %q", st.PredicateType, provenance.PredicateType)
	}
	bd := st.Predicate.BuildDefinition
	if bd.BuildType != provenance.BuildType {
		bad("buildType %q, want %q", bd.BuildType, provenance.BuildType)
	}
	ep := bd.ExternalParameters
	if ep.Version != m.Package.Version || ep.Repository != m.Package.Repository || ep.Ref != m.Package.Ref || ep.Snapshot != m.Snapshot {
		bad("externalParameters (version %q, repository %q, ref %q, snapshot %v) disagree with the manifest (%q, %q, %q, %v)",
			ep.Version, ep.Repository, ep.Ref, ep.Snapshot, m.Package.Version, m.Package.Repository, m.Package.Ref, m.Snapshot)
	}
	if bd.InternalParameters.Ldflags != build.Ldflags(m.Package.Version) || bd.InternalParameters.Env["GOFLAGS"] != build.GOFLAGS || bd.InternalParameters.Env["CGO_ENABLED"] != "0" {
		bad("internalParameters do not record the pinned flags")
	}
	var commit, goVersion bool
	for _, d := range bd.ResolvedDependencies {
		if d.Digest["gitCommit"] != "" {
			if d.Digest["gitCommit"] != m.Package.Commit {
				bad("resolvedDependencies: source commit %s, manifest records %s", d.Digest["gitCommit"], m.Package.Commit)
			}
			commit = true
		}
		if d.Name == "go" {
			if v, _ := d.Annotations["version"].(string); v != m.Go.Version {
				bad("resolvedDependencies: Go toolchain %q, manifest records %q", v, m.Go.Version)
			}
			goVersion = true
		}
	}
	if !commit {
		bad("resolvedDependencies has no source commit")
	}
	if !goVersion {
		bad("resolvedDependencies has no Go toolchain")
	}
	if st.Predicate.RunDetails.Builder.ID == "" {
		bad("runDetails.builder.id is empty")
	}

	// Subjects: every listed file, each with its true digest.
	subjects := map[string]string{}
	for _, s := range st.Subject {
		if err := layout.CheckPath(s.Name); err != nil {
			bad("subject %q: %v", s.Name, err)
			continue
		}
		if _, dup := subjects[s.Name]; dup {
			bad("subject %s listed twice", s.Name)
		}
		subjects[s.Name] = s.Digest["sha256"]
		if c := pkg.files[s.Name]; c == nil {
			bad("subject %s is not in the package", s.Name)
		} else if c.err == nil && c.sha256 != s.Digest["sha256"] {
			bad("subject %s has sha256 %s, the file has %s", s.Name, s.Digest["sha256"], c.sha256)
		}
	}
	for _, f := range signedFiles(pkg) {
		if f == checksums.Name {
			continue
		}
		if _, ok := subjects[f]; !ok {
			bad("%s is not a subject", f)
		}
	}
	if len(errs) > 0 {
		r.fail("provenance", name, "%s", strings.Join(errs, "; "))
		return
	}
	how := "signature not checked: no trusted key"
	if key != nil {
		how = "DSSE signature verifies with " + key.Fingerprint()
	}
	r.pass("provenance", name, "SLSA v1, %d subjects match their files, commit %.12s; %s", len(subjects), m.Package.Commit, how)
}

func decodeB64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.Strict().DecodeString(s); err == nil {
		return b, nil
	}
	return base64.URLEncoding.DecodeString(s)
}

// checkProvenanceBundle checks the provenance's Sigstore bundle: it verifies
// with the trusted key and holds the same statement as the envelope, so
// cosign v3 and cosign v2 users check the same claims.
func checkProvenanceBundle(r *Report, pkg *Package, key *trust.Key) {
	name := layout.ProvenanceBundle
	bundle, err := pkg.bytes(name)
	env, envErr := pkg.bytes(layout.Provenance)
	if err != nil || envErr != nil {
		return // reported as required or unreadable
	}
	if key == nil {
		r.skip("provenance.bundle", name, "not checked: no trusted key")
		return
	}
	bt, bp, err := key.VerifyDSSEBundle(bundle)
	if err != nil {
		r.fail("provenance.bundle", name, "%v", err)
		return
	}
	et, ep, err := key.VerifyDSSE(env)
	if err != nil {
		return // reported by checkProvenance
	}
	if bt != et || !bytes.Equal(bp, ep) {
		r.fail("provenance.bundle", name, "holds another statement than %s", layout.Provenance)
		return
	}
	r.pass("provenance.bundle", name, "DSSE bundle verifies with %s and holds the statement of %s", key.Fingerprint(), layout.Provenance)
}
