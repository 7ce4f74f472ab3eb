package rebuild_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cavra/cavra/packaging/format/attestation"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/packaging/verify/rebuild"
	"github.com/cavra/cavra/signing/trust"
)

func newKey(t *testing.T) *attestation.Signer {
	t.Helper()
	k, err := attestation.GenerateKey(attestation.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// readAttestation checks the envelope in dir with the signer's public key
// and returns its statement.
func readAttestation(t *testing.T, dir string, s *attestation.Signer) *attestation.Statement {
	t.Helper()
	typ, payload, err := s.Public().VerifyDSSE(mustRead(t, filepath.Join(dir, attestation.FileName)))
	if err != nil || typ != attestation.PayloadType {
		t.Fatalf("%s: %q, %v", attestation.FileName, typ, err)
	}
	if _, p2, err := s.Public().VerifyDSSEBundle(mustRead(t, filepath.Join(dir, attestation.BundleName))); err != nil || string(p2) != string(payload) {
		t.Fatalf("%s: %v", attestation.BundleName, err)
	}
	st, err := attestation.Parse(payload)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRebuildAttests rebuilds the shared package with a rebuilder's key:
// the attestation names every binary with its digest, the package and its
// version, the build settings, the manifest and provenance, PASSED with
// the levels a verification with a trusted key supports; the evidence
// names it; and the verifier's install policy counts it.
func TestRebuildAttests(t *testing.T) {
	p := pkg(t)
	out := t.TempDir()
	o := opts(t, out)
	o.Sign, o.RebuilderID, o.Version = newKey(t), "https://rebuilders.example.com/alice", "v9.8.7"
	rep, err := rebuild.Run(t.Context(), p.Dir, o)
	if err != nil || !rep.OK() {
		t.Fatalf("got %v, %v", rep, err)
	}
	var m manifest.Manifest
	json.Unmarshal(mustRead(t, filepath.Join(p.Dir, manifest.Name)), &m)
	st := readAttestation(t, out, o.Sign)
	pr := st.Predicate
	var subjects []string
	for _, s := range st.Subject {
		subjects = append(subjects, s.Name+" "+s.Digest["sha256"])
	}
	var want []string
	for _, b := range m.Binaries {
		want = append(want, b.Binary+" "+b.SHA256)
	}
	slices.Sort(want)
	if !slices.Equal(subjects, want) {
		t.Errorf("subjects %v, want %v", subjects, want)
	}
	provSum := sha(t, filepath.Join(p.Dir, layout.Provenance))
	for _, c := range []struct{ name, got, want string }{
		{"verifier.id", pr.Verifier.ID, "https://rebuilders.example.com/alice"},
		{"verifier.version", pr.Verifier.Version["cavra"] + " " + pr.Verifier.Version["go"], "v9.8.7 " + rep.Host.GoVersion},
		{"resourceUri", pr.ResourceURI, "pkg:generic/cavra-go-runtime@" + p.Version},
		{"policy", pr.Policy.URI + " " + pr.Policy.Digest["sha256"], attestation.PolicyURI + " " + attestation.PolicyDigest(&m)},
		{"inputAttestations", inputs(pr), manifest.Name + "=" + rep.ManifestSHA256 + " " + layout.Provenance + "=" + provSum},
		{"verificationResult", pr.VerificationResult, "PASSED"},
		{"verifiedLevels", strings.Join(pr.VerifiedLevels, " "), "SLSA_BUILD_LEVEL_1 CAVRA_REPRODUCED"},
		{"slsaVersion", pr.SLSAVersion, "1.0"},
		{"evidence", rep.Attestation.File + " " + rep.Attestation.Result + " " + rep.Attestation.Key, attestation.FileName + " PASSED " + o.Sign.Public().Fingerprint()},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if x := pr.Rebuild; x == nil || len(x.Targets) != 2 || x.Targets[0].Actual != x.Targets[0].Expected || x.Version != p.Version {
		t.Errorf("rebuild extension: %+v", x)
	}
	var ev rebuild.Report
	json.Unmarshal(mustRead(t, filepath.Join(out, rebuild.EvidenceJSON)), &ev)
	if ev.Attestation == nil || ev.Attestation.Time != pr.TimeVerified {
		t.Errorf("the evidence does not name the attestation: %+v", ev.Attestation)
	}
	vr, _, err := verify.Dir(p.Dir, verify.Options{Targets: two, Key: p.Key, RebuilderKeys: []*trust.Key{o.Sign.Public()},
		RebuildAttestations: []verify.Attestation{{Name: "alice.intoto.jsonl", Data: mustRead(t, filepath.Join(out, attestation.FileName))}}, MinRebuilds: 1})
	if err != nil || !vr.OK() || len(vr.Rebuilders) != 1 || vr.Rebuilders[0].Status != verify.Pass || vr.Rebuilders[0].Time != pr.TimeVerified {
		t.Errorf("the install policy: %v %v %+v", err, vr.Errors(), vr.Rebuilders)
	}
}

// TestRebuildAttestsPart rebuilds one target of an unsigned snapshot
// (--allow-unsigned): the attestation names that binary alone and claims no
// SLSA build level, since the provenance's signature was not checked; the
// install policy does not count a rebuild of part of the package.
func TestRebuildAttestsPart(t *testing.T) {
	p := pkg(t)
	out := t.TempDir()
	o := rebuild.Options{Verify: verify.Options{Targets: two, UnsafeAllowUnsigned: true}, Out: out, Targets: []build.Target{two[1]}}
	o.Sign, o.RebuilderID = newKey(t), "https://rebuilders.example.com/bob"
	rep, err := rebuild.Run(t.Context(), p.Dir, o)
	if err != nil || !rep.OK() {
		t.Fatalf("got %v, %v", rep, err)
	}
	st := readAttestation(t, out, o.Sign)
	if len(st.Subject) != 1 || st.Subject[0].Name != two[1].Binary() || strings.Join(st.Predicate.VerifiedLevels, " ") != "CAVRA_REPRODUCED" {
		t.Errorf("got %d subjects %v, levels %v; want %s alone, CAVRA_REPRODUCED alone", len(st.Subject), st.Subject, st.Predicate.VerifiedLevels, two[1].Binary())
	}
	vr, _, _ := verify.Dir(p.Dir, verify.Options{Targets: two, Key: p.Key, RebuilderKeys: []*trust.Key{o.Sign.Public()},
		RebuildAttestations: []verify.Attestation{{Name: "bob.intoto.jsonl", Data: mustRead(t, filepath.Join(out, attestation.FileName))}}, MinRebuilds: 1})
	if vr.OK() || len(vr.Rebuilders) != 1 || vr.Rebuilders[0].Status != verify.Skip || !strings.Contains(vr.Rebuilders[0].Detail, "attested 1 of the 2 binaries") {
		t.Errorf("got %s %+v, want FAIL with the partial rebuild not counted", vr.Status, vr.Rebuilders)
	}
}

func inputs(p attestation.Predicate) string {
	var s []string
	for _, in := range p.InputAttestations {
		s = append(s, in.URI+"="+in.Digest["sha256"])
	}
	return strings.Join(s, " ")
}

func sha(t *testing.T, path string) string {
	t.Helper()
	return checksums.SHA256(mustRead(t, path))
}
