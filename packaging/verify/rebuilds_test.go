package verify_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/packaging/format/attestation"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/provenance"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/signing/trust"
)

// vsa returns the statement a rebuilder that reproduced every binary of the
// package in dir would sign, built here from the format's documentation
// (see package attestation), not by the rebuilder's code.
func vsa(t *testing.T, dir, id string) *attestation.Statement {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, manifest.Name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := os.ReadFile(filepath.Join(dir, layout.Provenance))
	if err != nil {
		t.Fatal(err)
	}
	st := &attestation.Statement{Type: attestation.StatementType, PredicateType: attestation.PredicateType}
	for _, b := range m.Binaries {
		st.Subject = append(st.Subject, provenance.Subject{Name: b.Binary, Digest: map[string]string{"sha256": b.SHA256}})
	}
	st.Predicate = attestation.Predicate{
		Verifier:     attestation.Verifier{ID: id},
		TimeVerified: time.Now().UTC().Format(time.RFC3339),
		ResourceURI:  "pkg:generic/cavra-go-runtime@" + m.Package.Version,
		Policy:       provenance.ResourceDescriptor{URI: attestation.PolicyURI, Digest: map[string]string{"sha256": attestation.PolicyDigest(m)}},
		InputAttestations: []provenance.ResourceDescriptor{
			{URI: manifest.Name, Digest: map[string]string{"sha256": checksums.SHA256(data)}},
			{URI: layout.Provenance, Digest: map[string]string{"sha256": checksums.SHA256(prov)}},
		},
		VerificationResult: attestation.Passed,
		VerifiedLevels:     []string{attestation.LevelBuild1, attestation.LevelReproduced},
		SLSAVersion:        "1.0",
	}
	return st
}

func sign(t *testing.T, s *attestation.Signer, st *attestation.Statement) []byte {
	t.Helper()
	env, _, err := s.Sign(st)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestRebuildPolicy runs the install policy over attestations of the
// shared package: what counts, what is ignored and what fails it.
func TestRebuildPolicy(t *testing.T) {
	p := pkg(t)
	keys := map[string]*attestation.Signer{}
	for _, n := range []string{"alice", "bob", "carol", "mallory"} {
		k, err := attestation.GenerateKey(map[bool]string{true: attestation.Ed25519}[n == "bob"])
		if err != nil {
			t.Fatal(err)
		}
		keys[n] = k
	}
	good := func(who string) []byte {
		return sign(t, keys[who], vsa(t, p.Dir, "https://rebuilders.example.com/"+who))
	}
	changed := func(who string, change func(*attestation.Statement)) []byte {
		st := vsa(t, p.Dir, "https://rebuilders.example.com/"+who)
		change(st)
		return sign(t, keys[who], st)
	}
	// tamper re-encodes the payload of an envelope with a change, keeping
	// its signature (and keyid unless blank).
	tamper := func(env []byte, blankKeyID bool) []byte {
		var e trust.Envelope
		json.Unmarshal(env, &e)
		payload, _ := base64.StdEncoding.DecodeString(e.Payload)
		payload = []byte(strings.Replace(string(payload), `"PASSED"`, `"PASSED" `, 1))
		e.Payload = base64.StdEncoding.EncodeToString(payload)
		if blankKeyID {
			e.Signatures[0].KeyID = ""
		}
		out, _ := json.Marshal(e)
		return out
	}
	_, bundle, _ := keys["alice"].Sign(vsa(t, p.Dir, "https://rebuilders.example.com/alice"))
	trusted := []string{"alice", "bob", "carol"}

	type att struct {
		name string
		data []byte
	}
	tests := []struct {
		name    string
		atts    []att
		trusted []string
		min     int
		want    verify.Status
		status  []verify.Status // per attestation
		detail  string          // in a rebuild.* check
	}{
		{"two trusted rebuilders", []att{{"a", good("alice")}, {"b", good("bob")}}, trusted, 2, verify.Pass,
			[]verify.Status{verify.Pass, verify.Pass}, "2 trusted rebuilder(s) reproduced every binary, 2 required"},
		{"an untrusted rebuilder is ignored", []att{{"a", good("alice")}, {"b", good("bob")}, {"m", good("mallory")}}, trusted, 2, verify.Pass,
			[]verify.Status{verify.Pass, verify.Pass, verify.Skip}, "ignored: signed by no trusted rebuilder key"},
		{"an untrusted rebuilder does not count", []att{{"a", good("alice")}, {"m", good("mallory")}}, trusted, 2, verify.Fail,
			[]verify.Status{verify.Pass, verify.Skip}, "1 trusted rebuilder(s) reproduced every binary, 2 required"},
		{"tampered", []att{{"a", good("alice")}, {"b", tamper(good("bob"), false)}}, trusted, 1, verify.Fail,
			[]verify.Status{verify.Pass, verify.Fail}, "but does not verify with it: altered after signing"},
		{"tampered, keyid removed: ignored and not counted", []att{{"a", good("alice")}, {"b", tamper(good("bob"), true)}}, trusted, 2, verify.Fail,
			[]verify.Status{verify.Pass, verify.Skip}, "1 trusted rebuilder(s) reproduced every binary, 2 required"},
		{"replayed from another version", []att{{"a", good("alice")}, {"b", good("bob")}, {"c", changed("carol", func(s *attestation.Statement) {
			s.Predicate.ResourceURI = "pkg:generic/cavra-go-runtime@v9.9.9"
			s.Predicate.InputAttestations[0].Digest["sha256"] = strings.Repeat("0", 64)
		})}}, trusted, 2, verify.Fail,
			[]verify.Status{verify.Pass, verify.Pass, verify.Fail}, `about another package (replayed?): resourceUri "pkg:generic/cavra-go-runtime@v9.9.9"`},
		{"built with other settings", []att{{"a", changed("alice", func(s *attestation.Statement) { s.Predicate.Policy.Digest["sha256"] = strings.Repeat("1", 64) })}}, trusted, 1, verify.Fail,
			[]verify.Status{verify.Fail}, "policy digest 1111"},
		{"FAILED fails whatever the others say", []att{{"a", good("alice")}, {"b", good("bob")}, {"c", changed("carol", func(s *attestation.Statement) {
			s.Predicate.VerificationResult, s.Predicate.VerifiedLevels = attestation.Failed, []string{attestation.LevelFailed}
		})}}, trusted, 2, verify.Fail,
			[]verify.Status{verify.Pass, verify.Pass, verify.Fail}, "a trusted rebuilder attested FAILED (c)"},
		{"FAILED by an untrusted key is ignored", []att{{"a", good("alice")}, {"m", changed("mallory", func(s *attestation.Statement) {
			s.Predicate.VerificationResult, s.Predicate.VerifiedLevels = attestation.Failed, []string{attestation.LevelFailed}
		})}}, trusted, 1, verify.Pass,
			[]verify.Status{verify.Pass, verify.Skip}, "1 trusted rebuilder(s) reproduced every binary, 1 required"},
		{"one key counts once", []att{{"a1", good("alice")}, {"a2", good("alice")}}, trusted, 2, verify.Fail,
			[]verify.Status{verify.Pass, verify.Skip}, "already counted for a1; each rebuilder counts once"},
		{"a binary with another digest", []att{{"a", changed("alice", func(s *attestation.Statement) { s.Subject[2].Digest["sha256"] = strings.Repeat("2", 64) })}}, trusted, 1, verify.Fail,
			[]verify.Status{verify.Fail}, "has sha256 2222"},
		{"a subject that is no binary", []att{{"a", changed("alice", func(s *attestation.Statement) {
			s.Subject = append(s.Subject, provenance.Subject{Name: "evil", Digest: map[string]string{"sha256": strings.Repeat("3", 64)}})
		})}}, trusted, 1, verify.Fail,
			[]verify.Status{verify.Fail}, "subject evil is not a binary of this package"},
		{"part of the binaries is not counted", []att{{"a", changed("alice", func(s *attestation.Statement) { s.Subject = s.Subject[:5] })}}, trusted, 1, verify.Fail,
			[]verify.Status{verify.Skip}, "attested 5 of the 6 binaries"},
		{"PASSED without the reproduced level", []att{{"a", changed("alice", func(s *attestation.Statement) { s.Predicate.VerifiedLevels = []string{attestation.LevelBuild1} })}}, trusted, 1, verify.Fail,
			[]verify.Status{verify.Fail}, "PASSED without CAVRA_REPRODUCED"},
		{"a bundle instead of the envelope", []att{{"a.sigstore.json", bundle}}, trusted, 1, verify.Fail,
			[]verify.Status{verify.Fail}, "a Sigstore bundle; give the DSSE envelope"},
		{"an envelope without signatures", []att{{"empty", []byte("{}")}}, trusted, 1, verify.Fail,
			[]verify.Status{verify.Fail}, "envelope has no signatures"},
		{"not an envelope", []att{{"junk", []byte("junk")}}, trusted, 1, verify.Fail,
			[]verify.Status{verify.Fail}, "junk: rebuild.attestation: envelope:"},
		{"a minimum without keys", nil, nil, 1, verify.Fail,
			nil, "needs the trusted rebuilders' keys"},
	}
	// The package is read once; each case runs the policy on it (the
	// first, below, runs the whole verification).
	_, pk, err := verify.Dir(p.Dir, verify.Options{Key: p.Key})
	if err != nil || pk == nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := verify.Options{Key: p.Key, MinRebuilds: tc.min}
			for _, n := range tc.trusted {
				o.RebuilderKeys = append(o.RebuilderKeys, keys[n].Public())
			}
			for _, a := range tc.atts {
				o.RebuildAttestations = append(o.RebuildAttestations, verify.Attestation{Name: a.name, Data: a.data})
			}
			rep := verify.RebuildPolicy(pk, o)
			if i == 0 {
				var err error
				if rep, _, err = verify.Dir(p.Dir, o); err != nil {
					t.Fatal(err)
				}
			}
			var got []verify.Status
			for _, rb := range rep.Rebuilders {
				got = append(got, rb.Status)
			}
			var lines []string
			for _, c := range rep.Checks {
				if strings.HasPrefix(c.Name, "rebuild.") {
					lines = append(lines, string(c.Status)+" "+c.String())
				}
			}
			text := strings.Join(lines, "\n")
			if rep.Status != tc.want || strings.Join(statusList(got), " ") != strings.Join(statusList(tc.status), " ") || !strings.Contains(text, tc.detail) {
				t.Errorf("got %s, rebuilders %v:\n%s\nwant %s, %v and %q", rep.Status, got, text, tc.want, tc.status, tc.detail)
			}
		})
	}
	// Each counted rebuilder is listed with its verdict, time and key.
	rep := verify.RebuildPolicy(pk, verify.Options{Key: p.Key, MinRebuilds: 1, RebuilderKeys: []*trust.Key{keys["bob"].Public()},
		RebuildAttestations: []verify.Attestation{{Name: "b", Data: good("bob")}}})
	if rb := rep.Rebuilders[0]; rb.ID != "https://rebuilders.example.com/bob" || rb.Verdict != "PASSED" || rb.Time == "" || rb.Key != keys["bob"].Public().Fingerprint() {
		t.Errorf("got %+v", rb)
	}
	// Without attestations or a minimum there is no policy.
	rep, _, _ = verify.Dir(p.Dir, verify.Options{Key: p.Key})
	if !rep.OK() {
		t.Errorf("the package fails without a policy: %v", rep.Errors())
	}
	for _, c := range rep.Checks {
		if strings.HasPrefix(c.Name, "rebuild.") {
			t.Errorf("got %s without a policy", c)
		}
	}
}

func statusList(s []verify.Status) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}
