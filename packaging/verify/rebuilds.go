package verify

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/cavra/cavra/packaging/format/attestation"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/signing/trust"
)

// Attestation is a rebuild attestation file as the operator gave it: a
// DSSE envelope, rebuild.intoto.jsonl (see package attestation).
type Attestation struct {
	Name string // the file, as the operator named it
	Data []byte
}

// Rebuilder is what the verifier made of one rebuild attestation.
type Rebuilder struct {
	File    string   `json:"file"`
	ID      string   `json:"rebuilder,omitempty"` // the attestation's verifier.id
	Key     string   `json:"key_fingerprint,omitempty"`
	Verdict string   `json:"verdict,omitempty"` // PASSED or FAILED, as the rebuilder signed it
	Time    string   `json:"time_verified,omitempty"`
	Levels  []string `json:"verified_levels,omitempty"`
	Host    string   `json:"host,omitempty"` // os/arch and Go of the rebuilding machine
	// Status is PASS when the attestation counts toward --min-rebuilds,
	// FAIL when it fails the package, SKIP when it is ignored.
	Status Status `json:"status"`
	Detail string `json:"detail"`
}

// checkRebuilds runs the install policy on the rebuild attestations the
// operator gave: each one is checked on its own (checkRebuildAttestation),
// then their number (checkRebuildPolicy). Without attestations and without
// a minimum, there is no policy and nothing is reported.
func checkRebuilds(r *Report, pkg *Package, m *manifest.Manifest, o Options) {
	if len(o.RebuildAttestations) == 0 && o.MinRebuilds == 0 {
		return
	}
	counted := map[string]string{} // key fingerprint -> the file that counted
	for _, a := range o.RebuildAttestations {
		rb := checkRebuildAttestation(pkg, m, o, a, counted)
		r.Rebuilders = append(r.Rebuilders, rb)
		r.add(Check{Name: CheckRebuildAttestation, File: a.Name, Status: rb.Status, Detail: rb.Detail})
	}
	checkRebuildPolicy(r, o, counted)
}

// checkRebuildAttestation checks one attestation, as the rows of the table
// in the package doc say, in order: its signature by a trusted rebuilder
// key (an attestation by any other key is ignored), its statement, that it
// is about this package (a replayed attestation of another fails), its
// verdict (FAILED fails the package), and for PASSED that its subjects are
// every binary of the manifest with its digest. A second attestation by a
// key that already counted is ignored: each rebuilder counts once.
func checkRebuildAttestation(pkg *Package, m *manifest.Manifest, o Options, a Attestation, counted map[string]string) Rebuilder {
	rb := Rebuilder{File: a.Name}
	fail := func(format string, args ...any) Rebuilder {
		rb.Status, rb.Detail = Fail, fmt.Sprintf(format, args...)
		return rb
	}
	key, st, err := checkAttestationSignature(a.Data, o.RebuilderKeys)
	switch {
	case err != nil:
		return fail("%v", err)
	case key == nil:
		rb.Status, rb.Detail = Skip, "ignored: signed by no trusted rebuilder key (--rebuilder-key)"
		return rb
	}
	rb.Key = key.Fingerprint()
	p := st.Predicate
	rb.ID, rb.Verdict, rb.Time, rb.Levels = p.Verifier.ID, p.VerificationResult, p.TimeVerified, p.VerifiedLevels
	if x := p.Rebuild; x != nil {
		rb.Host = x.Host.OS + "/" + x.Host.Arch + " " + x.Host.GoVersion
	}
	var bad problems
	checkAttestationIdentity(&bad, st, pkg, m)
	if len(bad) > 0 {
		return fail("about another package (replayed?): %s", strings.Join(bad, "; "))
	}
	if p.VerificationResult == attestation.Failed {
		return fail("rebuilder %s (key %s) attested FAILED at %s%s", rb.ID, rb.Key, rb.Time, failedTargets(st))
	}
	if !slices.Contains(p.VerifiedLevels, attestation.LevelReproduced) {
		return fail("PASSED without %s among its verified levels %v", attestation.LevelReproduced, p.VerifiedLevels)
	}
	covered, err := checkAttestationSubjects(st, m)
	if err != nil {
		return fail("%v", err)
	}
	if covered < len(m.Binaries) {
		rb.Status = Skip
		rb.Detail = fmt.Sprintf("not counted: rebuilder %s attested %d of the %d binaries; a rebuild counts only when it covers every one", rb.ID, covered, len(m.Binaries))
		return rb
	}
	if prev, dup := counted[rb.Key]; dup {
		rb.Status, rb.Detail = Skip, fmt.Sprintf("not counted again: key %s already counted for %s; each rebuilder counts once", rb.Key, prev)
		return rb
	}
	counted[rb.Key] = a.Name
	rb.Status = Pass
	rb.Detail = fmt.Sprintf("rebuilder %s (key %s) rebuilt all %d binaries bit for bit at %s", rb.ID, rb.Key, covered, rb.Time)
	return rb
}

// checkAttestationSignature opens a DSSE envelope with the trusted
// rebuilder keys and parses its statement. It returns a nil key when no
// trusted key signed it and no signature claims one (keyid): the
// attestation of a rebuilder the operator does not trust. A signature whose
// keyid names a trusted key but does not verify is an error: the
// attestation was altered after signing.
func checkAttestationSignature(data []byte, keys []*trust.Key) (*trust.Key, *attestation.Statement, error) {
	if bytes.Contains(data[:min(len(data), 256)], []byte(`"mediaType"`)) {
		return nil, nil, fmt.Errorf("a Sigstore bundle; give the DSSE envelope, %s", attestation.FileName)
	}
	env, _, err := trust.ParseEnvelope(data)
	if err != nil {
		return nil, nil, err
	}
	if len(env.Signatures) == 0 {
		return nil, nil, fmt.Errorf("envelope has no signatures")
	}
	for _, k := range keys {
		payloadType, payload, err := k.VerifyDSSE(data)
		if err != nil {
			continue
		}
		if payloadType != attestation.PayloadType {
			return k, nil, fmt.Errorf("payloadType %q, want %q", payloadType, attestation.PayloadType)
		}
		st, err := attestation.Parse(payload)
		if err != nil {
			return k, nil, fmt.Errorf("statement: %w", err)
		}
		return k, st, nil
	}
	for _, s := range env.Signatures {
		for _, k := range keys {
			if s.KeyID == k.Fingerprint() {
				return nil, nil, fmt.Errorf("the signature names trusted rebuilder key %s but does not verify with it: altered after signing", s.KeyID)
			}
		}
	}
	return nil, nil, nil
}

// checkAttestationIdentity checks that a statement is about this package:
// the resource names its product and version, the policy is the rebuild
// policy over this manifest's build settings, and the input attestations
// are this package's manifest and provenance, by digest.
func checkAttestationIdentity(bad *problems, st *attestation.Statement, pkg *Package, m *manifest.Manifest) {
	p := st.Predicate
	if want := attestation.ResourceURI(m.Package.Name, m.Package.Version); p.ResourceURI != want {
		bad.add("resourceUri %q, this package is %q", p.ResourceURI, want)
	}
	if p.Policy.URI != attestation.PolicyURI {
		bad.add("policy %q, want %q", p.Policy.URI, attestation.PolicyURI)
	}
	if got, want := p.Policy.Digest["sha256"], attestation.PolicyDigest(m); got != want {
		bad.add("policy digest %s, this manifest's build settings are %s", got, want)
	}
	inputs := map[string]string{}
	for _, in := range p.InputAttestations {
		inputs[in.URI] = in.Digest["sha256"]
	}
	for _, name := range []string{manifest.Name, layout.Provenance} {
		want, ok := pkg.SHA256(name)
		switch got, named := inputs[name]; {
		case !ok:
			// Unreadable or missing here: reported by its own check.
		case !named:
			bad.add("inputAttestations do not name %s", name)
		case got != want:
			bad.add("%s has sha256 %s, the attestation's is %s", name, want, got)
		}
	}
}

// checkAttestationSubjects checks the subjects of a PASSED statement
// against the manifest: each is a binary of the manifest with its digest,
// listed once. It returns how many of the manifest's binaries are covered.
func checkAttestationSubjects(st *attestation.Statement, m *manifest.Manifest) (int, error) {
	binaries := map[string]string{}
	for _, b := range m.Binaries {
		binaries[b.Binary] = b.SHA256
	}
	seen := map[string]bool{}
	for _, s := range st.Subject {
		want, ok := binaries[s.Name]
		switch {
		case !ok:
			return 0, fmt.Errorf("subject %s is not a binary of this package", s.Name)
		case seen[s.Name]:
			return 0, fmt.Errorf("subject %s is listed twice", s.Name)
		case s.Digest["sha256"] != want:
			return 0, fmt.Errorf("subject %s has sha256 %s, the manifest records %s", s.Name, s.Digest["sha256"], want)
		}
		seen[s.Name] = true
	}
	return len(seen), nil
}

// failedTargets says which targets a FAILED statement names as failed, and
// why, from its rebuild extension.
func failedTargets(st *attestation.Statement) string {
	x := st.Predicate.Rebuild
	if x == nil {
		return ""
	}
	var out []string
	for _, t := range x.Targets {
		if t.Status == string(Fail) {
			why := "digest differs"
			if len(t.Differences) > 0 {
				why = t.Differences[0].Detail
			}
			out = append(out, t.Binary+": "+why)
		}
	}
	if x.Error != "" {
		out = append(out, x.Error)
	}
	if len(out) == 0 {
		return ""
	}
	return ": " + strings.Join(out, "; ")
}

// checkRebuildPolicy checks the number of trusted rebuilders that
// reproduced every binary against the operator's minimum, and that no
// trusted rebuilder attested FAILED.
func checkRebuildPolicy(r *Report, o Options, counted map[string]string) {
	var failed []string
	for _, rb := range r.Rebuilders {
		if rb.Key != "" && rb.Verdict == attestation.Failed && rb.Status == Fail {
			failed = append(failed, rb.File)
		}
	}
	n := len(counted)
	switch {
	case o.MinRebuilds > 0 && len(o.RebuilderKeys) == 0:
		r.fail(CheckRebuildPolicy, "", "--min-rebuilds %d needs the trusted rebuilders' keys (--rebuilder-key)", o.MinRebuilds)
	case len(failed) > 0:
		r.fail(CheckRebuildPolicy, "", "a trusted rebuilder attested FAILED (%s): the package fails whatever others say", strings.Join(failed, ", "))
	case n < o.MinRebuilds:
		r.fail(CheckRebuildPolicy, "", "%d trusted rebuilder(s) reproduced every binary, %d required", n, o.MinRebuilds)
	default:
		r.pass(CheckRebuildPolicy, "", "%d trusted rebuilder(s) reproduced every binary, %d required", n, o.MinRebuilds)
	}
}
