package keyless_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	sgroot "github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cavra/cavra/internal/testsigstore"
	"github.com/cavra/cavra/internal/testtools"
	"github.com/cavra/cavra/signing/trust/keyless"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

const (
	repo     = "cavra/cavra"
	ref      = "refs/tags/v1.2.3"
	commit   = "0123456789abcdef0123456789abcdef01234567"
	identity = "https://github.com/cavra/cavra/.github/workflows/release.yml@refs/tags/v1.2.3"
	issuer   = testsigstore.GitHubIssuer
)

var signer = testsigstore.GitHubWorkflow(repo, "release.yml", ref, commit, "release")

// statement is an in-toto statement whose one subject is artifact.
func statement(artifact []byte) []byte {
	sum := sha256.Sum256(artifact)
	st, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "artifact", "digest": map[string]string{"sha256": fmt.Sprintf("%x", sum)}}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate":     map[string]any{"buildDefinition": map[string]any{"buildType": "https://example.com/build"}},
	})
	return st
}

// tc is one case of the table: a bundle, the trusted root, the artifact
// it is checked against, a policy, and the check ours must fail (or "" to
// pass). sigstore-go must agree on accept or refuse.
type tc struct {
	name     string
	dsse     bool
	bundle   []byte
	root     []byte
	artifact []byte
	policy   keyless.Policy
	want     string
	// cosign says why stock cosign v3 refuses a bundle both verifiers
	// accept: its own policy, stricter than the bundle format.
	cosign string
}

var good = keyless.Policy{Identity: identity, Issuer: issuer}

func cases(t *testing.T) []tc {
	vs := testsigstore.New(t)
	tr := vs.TrustedRoot(t)
	other := testsigstore.New(t)
	artifact := []byte("cavra-go-runtime-v1.2.3.zip bytes\n")
	another := []byte("another file\n")
	o := testsigstore.Options{Identity: signer, Timestamp: true}
	blob := vs.SignBlob(t, artifact, o)
	dsse := vs.SignDSSE(t, "application/vnd.in-toto+json", statement(artifact), o)
	with := func(mod func(*testsigstore.Options)) testsigstore.Options {
		o := o
		mod(&o)
		return o
	}
	now := time.Now().Add(-time.Minute).Truncate(time.Second)
	rows := []tc{
		{name: "good", bundle: blob, want: ""},
		{name: "good DSSE attestation", dsse: true, bundle: dsse, want: ""},
		{name: "good, log entry only", bundle: vs.SignBlob(t, artifact, with(func(o *testsigstore.Options) { o.Timestamp = false })), want: ""},
		{name: "good, timestamp and no SET", bundle: vs.SignBlob(t, artifact, with(func(o *testsigstore.Options) { o.NoSET = true })), want: "",
			cosign: "cosign v3 wants the integration time of a Rekor v1 entry vouched for by its SET, even beside a timestamp"},
		{name: "identity by regexp", bundle: blob, policy: keyless.Policy{IdentityRegexp: `^https://github\.com/cavra/cavra/`, Issuer: issuer}, want: ""},
		{name: "GitHub claims", bundle: blob, policy: keyless.Policy{Identity: identity, Issuer: issuer,
			GitHubWorkflowRepository: repo, GitHubWorkflowRef: ref, GitHubWorkflowSHA: commit, GitHubWorkflowTrigger: "release", GitHubWorkflowName: "release"}, want: ""},

		{name: "another artifact", bundle: blob, artifact: another, want: keyless.CheckSignature},
		{name: "another artifact, DSSE", dsse: true, bundle: dsse, artifact: another, want: "subject"},
		{name: "another identity", bundle: blob, policy: keyless.Policy{Identity: "https://github.com/evil/cavra/.github/workflows/release.yml@refs/tags/v1.2.3", Issuer: issuer}, want: keyless.CheckCertificatePolicy},
		{name: "identity regexp that does not match", bundle: blob, policy: keyless.Policy{IdentityRegexp: `^https://github\.com/evil/`, Issuer: issuer}, want: keyless.CheckCertificatePolicy},
		{name: "another issuer", bundle: blob, policy: keyless.Policy{Identity: identity, Issuer: "https://accounts.google.com"}, want: keyless.CheckCertificatePolicy},
		{name: "another ref", bundle: blob, policy: keyless.Policy{Identity: identity, Issuer: issuer, GitHubWorkflowRef: "refs/heads/main"}, want: keyless.CheckCertificatePolicy},
		{name: "another commit", bundle: blob, policy: keyless.Policy{Identity: identity, Issuer: issuer, GitHubWorkflowSHA: strings.Repeat("0", 40)}, want: keyless.CheckCertificatePolicy},
		{name: "flipped byte in the signature", bundle: edit(t, blob, flipSignature), want: keyless.CheckSignature},
		{name: "flipped byte in the DSSE signature", dsse: true, bundle: edit(t, dsse, flipEnvelopeSignature), want: keyless.CheckSignature},
		{name: "flipped byte in the certificate", bundle: edit(t, blob, flipCertificate), want: keyless.CheckTlogBody},
		{name: "flipped byte in the inclusion proof", bundle: edit(t, blob, flipProofHash), want: keyless.CheckTlogInclusion},
		{name: "flipped byte in the checkpoint signature", bundle: edit(t, blob, flipCheckpointSignature), want: keyless.CheckTlogCheckpoint},
		{name: "flipped byte in the log body", bundle: edit(t, blob, flipBody), want: keyless.CheckTlogBody},
		{name: "flipped byte in the SET", bundle: edit(t, blob, flipSET), want: keyless.CheckTlogSET},
		{name: "flipped byte in the RFC 3161 timestamp", bundle: edit(t, vs.SignBlob(t, artifact, with(func(o *testsigstore.Options) { o.NoSET = true })), flipTimestamp), want: keyless.CheckTimestamp},
		{name: "certificate from an untrusted CA", bundle: vs.SignBlob(t, artifact, with(func(o *testsigstore.Options) { o.Untrusted = other })), want: keyless.CheckCertificateChain},
		{name: "log entry from an untrusted log", bundle: other.SignBlob(t, artifact, o), want: keyless.CheckTlogBody},
		{name: "signing time after the certificate expired", bundle: vs.SignBlob(t, artifact, with(func(o *testsigstore.Options) {
			o.Issued, o.Integrated, o.Timestamp = now.Add(-30*time.Minute), now, false
		})), want: keyless.CheckSigningTime},
		{name: "timestamp after the certificate expired", bundle: vs.SignBlob(t, artifact, with(func(o *testsigstore.Options) {
			o.Issued, o.Stamped = now.Add(-30*time.Minute), now
		})), want: keyless.CheckSigningTime},
		{name: "no log entry and no timestamp", bundle: vs.SignBlob(t, artifact, with(func(o *testsigstore.Options) { o.NoTlog, o.Timestamp = true, false })), want: keyless.CheckTlogBody},
		{name: "no inclusion proof (SET only)", bundle: vs.SignBlob(t, artifact, with(func(o *testsigstore.Options) { o.NoProof = true })), want: keyless.CheckTlogInclusion},
		{name: "proof but no SET and no timestamp", bundle: vs.SignBlob(t, artifact, with(func(o *testsigstore.Options) { o.NoSET, o.Timestamp = true, false })), want: keyless.CheckSigningTime},
		{name: "no embedded SCT", bundle: vs.SignBlob(t, artifact, with(func(o *testsigstore.Options) { o.NoSCT = true })), want: keyless.CheckSCT},
		{name: "a trusted root without the CT log", bundle: blob, root: dropCTLogs(t, tr), want: keyless.CheckSCT},
	}
	vsca, vsroot := caSign(t, artifact)
	// ca's trusted root names its Rekor log by the hex of its id, so the
	// entry's log is not found; sigstore-go refuses the missing proof first.
	rows = append(rows, tc{name: "sigstore-go's virtual Sigstore (ca.Sign: email SAN, no proof, no SCT)", bundle: vsca, root: vsroot,
		policy: keyless.Policy{Identity: "signer@example.com", Issuer: "https://issuer.example.com"}, want: keyless.CheckTlogBody})
	for i := range rows {
		if rows[i].root == nil {
			rows[i].root = tr
		}
		if rows[i].artifact == nil {
			rows[i].artifact = artifact
		}
		if rows[i].policy.IsZero() {
			rows[i].policy = good
		}
	}
	return rows
}

// TestAgreement runs every case through this verifier and sigstore-go's:
// both must accept the good bundles and refuse every other, and ours must
// name the check that failed.
func TestAgreement(t *testing.T) {
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, ours := verifyOurs(t, c)
			theirs := verifySigstoreGo(t, c)
			switch {
			case c.want == "" && ours != nil:
				t.Errorf("ours refused a good bundle: %v", ours)
			case c.want != "" && ours == nil:
				t.Errorf("ours accepted it, want a failed %s check", c.want)
			case c.want != "" && !strings.HasPrefix(ours.Error(), c.want+": ") && !strings.Contains(ours.Error(), c.want):
				t.Errorf("ours: %v, want a failed %s check", ours, c.want)
			}
			if (ours == nil) != (theirs == nil) {
				t.Errorf("disagree: ours %v, sigstore-go %v", ours, theirs)
			}
			t.Logf("ours: %v; sigstore-go: %v", ours, theirs)
		})
	}
}

func verifyOurs(t *testing.T, c tc) (*keyless.Signer, error) {
	root, err := sigstore.ParseTrustedRoot(c.root)
	if err != nil {
		t.Fatal(err)
	}
	v, err := keyless.New(root, c.policy)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(c.artifact)
	if !c.dsse {
		return v.VerifyMessage(c.bundle, sum, c.artifact)
	}
	_, payload, s, err := v.VerifyDSSE(c.bundle)
	if err != nil {
		return nil, err
	}
	if !keyless.SubjectDigest(payload, sum) {
		return nil, errors.New("subject: the statement does not name the artifact")
	}
	return s, nil
}

func verifySigstoreGo(t *testing.T, c tc) error {
	tr, err := sgroot.NewTrustedRootFromJSON(c.root)
	if err != nil {
		t.Fatal(err)
	}
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(c.bundle); err != nil {
		return err
	}
	v, err := sgverify.NewVerifier(tr, sgverify.WithTransparencyLog(1), sgverify.WithSignedCertificateTimestamps(1), sgverify.WithObserverTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	p := c.policy
	id, err := sgverify.NewShortCertificateIdentity(p.Issuer, p.IssuerRegexp, p.Identity, p.IdentityRegexp)
	if err != nil {
		t.Fatal(err)
	}
	id.GithubWorkflowRepository, id.GithubWorkflowRef, id.GithubWorkflowSHA = p.GitHubWorkflowRepository, p.GitHubWorkflowRef, p.GitHubWorkflowSHA
	id.GithubWorkflowTrigger, id.GithubWorkflowName = p.GitHubWorkflowTrigger, p.GitHubWorkflowName
	sum := sha256.Sum256(c.artifact)
	_, err = v.Verify(&b, sgverify.NewPolicy(sgverify.WithArtifactDigest("sha256", sum[:]), sgverify.WithCertificateIdentity(id)))
	return err
}

// caSign signs with sigstore-go's own virtual Sigstore and returns the
// bundle and its trusted root.
func caSign(t *testing.T, artifact []byte) (bundle, trustedRoot []byte) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	e, err := vs.Sign("signer@example.com", "https://issuer.example.com", artifact)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := e.VerificationContent()
	sc, _ := e.SignatureContent()
	ms := sc.MessageSignatureContent()
	entries, _ := e.TlogEntries()
	stamps, _ := e.Timestamps()
	pb := &protobundle.Bundle{
		MediaType: sigstore.BundleMediaType03,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
			TlogEntries:               []*protorekor.TransparencyLogEntry{entries[0].TransparencyLogEntry()},
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: stamps[0]}}},
		},
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: ms.Digest()},
			Signature:     ms.Signature(),
		}},
	}
	// Its entries name the kind but not the version (ca.Sign leaves it out).
	pb.VerificationMaterial.TlogEntries[0].KindVersion = &protorekor.KindVersion{Kind: "hashedrekord", Version: "0.0.1"}
	bundle, err = protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := sgroot.NewTrustedRoot(sgroot.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), vs.CTLogs(), vs.TimestampingAuthorities(), vs.RekorLogs())
	if err != nil {
		t.Fatal(err)
	}
	if trustedRoot, err = tr.MarshalJSON(); err != nil {
		t.Fatal(err)
	}
	return bundle, trustedRoot
}

// edit decodes a bundle, changes it, and encodes it again.
func edit(t *testing.T, bundle []byte, f func(m map[string]any)) []byte {
	var m map[string]any
	if err := json.Unmarshal(bundle, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func get(m any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m = m.(map[string]any)[k]
		case int:
			m = m.([]any)[k]
		}
	}
	return m
}

func set(m any, v any, path ...any) {
	parent := get(m, path[:len(path)-1]...)
	switch k := path[len(path)-1].(type) {
	case string:
		parent.(map[string]any)[k] = v
	case int:
		parent.([]any)[k] = v
	}
}

// flipB64 flips one bit of the byte at offset (from the end when
// negative) of a base64 field.
func flipB64(m any, offset int, path ...any) {
	b, err := base64.StdEncoding.DecodeString(get(m, path...).(string))
	if err != nil {
		panic(err)
	}
	if offset < 0 {
		offset += len(b)
	}
	b[offset] ^= 0x01
	set(m, base64.StdEncoding.EncodeToString(b), path...)
}

func tlogEntry(path ...any) []any {
	return append([]any{"verificationMaterial", "tlogEntries", 0}, path...)
}

func flipSignature(m map[string]any)         { flipB64(m, 10, "messageSignature", "signature") }
func flipEnvelopeSignature(m map[string]any) { flipB64(m, 10, "dsseEnvelope", "signatures", 0, "sig") }
func flipCertificate(m map[string]any) {
	flipB64(m, -3, "verificationMaterial", "certificate", "rawBytes")
}
func flipProofHash(m map[string]any) { flipB64(m, 5, tlogEntry("inclusionProof", "hashes", 1)...) }
func flipSET(m map[string]any) {
	flipB64(m, 12, tlogEntry("inclusionPromise", "signedEntryTimestamp")...)
}
func flipTimestamp(m map[string]any) {
	flipB64(m, -20, "verificationMaterial", "timestampVerificationData", "rfc3161Timestamps", 0, "signedTimestamp")
}

// flipBody changes one hex digit of the digest the log body records.
func flipBody(m map[string]any) {
	path := tlogEntry("canonicalizedBody")
	body, _ := base64.StdEncoding.DecodeString(get(m, path...).(string))
	i := bytes.Index(body, []byte(`"value":"`)) + len(`"value":"`)
	body[i] ^= 0x01 // '0'..'9', 'a'..'f' stay hex digits or become another character: the body changes
	set(m, base64.StdEncoding.EncodeToString(body), path...)
}

// flipCheckpointSignature flips a bit of the checkpoint's signature, past
// its key hint.
func flipCheckpointSignature(m map[string]any) {
	path := tlogEntry("inclusionProof", "checkpoint", "envelope")
	env := get(m, path...).(string)
	i := strings.LastIndex(env, " ")
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimSuffix(env[i+1:], "\n"))
	raw[20] ^= 0x01
	set(m, env[:i+1]+base64.StdEncoding.EncodeToString(raw)+"\n", path...)
}

// dropCTLogs returns the trusted root without its CT logs.
func dropCTLogs(t *testing.T, tr []byte) []byte {
	var m map[string]any
	if err := json.Unmarshal(tr, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "ctlogs")
	out, _ := json.Marshal(m)
	return out
}

// TestNoPolicy: keyless without an identity policy is refused, as cosign
// refuses it.
func TestNoPolicy(t *testing.T) {
	root, _ := publicGoodRoot(t)
	for _, p := range []keyless.Policy{{}, {Identity: identity}, {Issuer: issuer}, {IdentityRegexp: ".*"}} {
		if _, err := keyless.New(root, p); !errors.Is(err, keyless.ErrNoPolicy) {
			t.Errorf("policy %+v: got %v, want ErrNoPolicy", p, err)
		}
	}
	if _, err := keyless.New(nil, good); err == nil {
		t.Error("no trusted root: got no error")
	}
}

// TestCosign checks that stock cosign v3, offline (a network namespace),
// accepts the good bundles with the same trusted root and policy.
func TestCosign(t *testing.T) {
	cosign := testtools.Cosign(t, 3)
	if err := exec.Command("unshare", "-n", "true").Run(); err != nil {
		testtools.Missing(t, "unshare -n: %v", err)
	}
	dir := t.TempDir()
	for i, c := range cases(t) {
		if c.want != "" || c.cosign != "" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			write := func(name string, data []byte) string {
				p := filepath.Join(dir, fmt.Sprintf("%d-%s", i, name))
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}
			args := []string{"-n", cosign, "verify-blob", "--bundle", write("bundle.json", c.bundle), "--trusted-root", write("trusted_root.json", c.root)}
			if c.dsse {
				args[2] = "verify-blob-attestation"
				args = append(args, "--type", "slsaprovenance1")
			}
			p := c.policy
			for _, f := range []struct{ flag, v string }{
				{"--certificate-identity", p.Identity}, {"--certificate-identity-regexp", p.IdentityRegexp},
				{"--certificate-oidc-issuer", p.Issuer}, {"--certificate-oidc-issuer-regexp", p.IssuerRegexp},
				{"--certificate-github-workflow-repository", p.GitHubWorkflowRepository}, {"--certificate-github-workflow-ref", p.GitHubWorkflowRef},
				{"--certificate-github-workflow-sha", p.GitHubWorkflowSHA}, {"--certificate-github-workflow-trigger", p.GitHubWorkflowTrigger},
				{"--certificate-github-workflow-name", p.GitHubWorkflowName},
			} {
				if f.v != "" {
					args = append(args, f.flag, f.v)
				}
			}
			args = append(args, write("artifact", c.artifact))
			cmd := exec.Command("unshare", args...)
			cmd.Env = append(os.Environ(), "HOME="+dir, "SIGSTORE_NO_CACHE=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("cosign v3 refused a bundle ours accepts: %v\n%s", err, out)
			}
			t.Logf("%s", out)
		})
	}
}

// TestSubjectDigest: a statement names the artifact by its SHA-256; one
// that can be read two ways (a key twice) names nothing.
func TestSubjectDigest(t *testing.T) {
	a := []byte("artifact\n")
	sum := sha256.Sum256(a)
	st := statement(a)
	if !keyless.SubjectDigest(st, sum) {
		t.Error("the statement's subject is not found")
	}
	if keyless.SubjectDigest(statement([]byte("other")), sum) {
		t.Error("another artifact's statement names it")
	}
	twice := bytes.Replace(st, []byte(`"subject":`), []byte(`"subject":[],"subject":`), 1)
	if keyless.SubjectDigest(twice, sum) {
		t.Error("a statement with subject twice names it")
	}
}
