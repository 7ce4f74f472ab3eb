package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/internal/testsigstore"
	"github.com/cavra/cavra/internal/testtools"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// TestVerifyBlob runs cavra verify-blob with cosign's flags on files
// signed by a virtual Sigstore, and the very same command line through
// stock cosign v3, offline: both accept the good ones and refuse the rest.
func TestVerifyBlob(t *testing.T) {
	vs := testsigstore.New(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	id := testsigstore.GitHubWorkflow("cavra/cavra", "release.yml", "refs/tags/v1.2.3", strings.Repeat("d", 40), "release")
	o := testsigstore.Options{Identity: id, Timestamp: true}
	file := write("cavra-go-runtime-v1.2.3.zip", []byte("a zip\n"))
	other := write("other.zip", []byte("another zip\n"))
	bundle := write("zip.keyless.sigstore.json", vs.SignBlob(t, []byte("a zip\n"), o))
	root := write("trusted_root.json", vs.TrustedRoot(t))
	policy := []string{"--trusted-root", root, "--certificate-identity", id.SAN, "--certificate-oidc-issuer", id.Issuer}
	blob := func(bundle string, extra ...string) []string {
		return append(append([]string{"verify-blob", "--bundle", bundle}, policy...), extra...)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
		cosign bool // stock cosign v3 runs the same arguments and must agree
	}{
		{"keyless", blob(bundle, file), 0, "signed by keyless: " + id.SAN + " (" + id.Issuer + "), cavra/cavra refs/tags/v1.2.3 at dddddddddddd, log index", "", true},
		{"GitHub claims", blob(bundle, "--certificate-github-workflow-repository", "cavra/cavra", "--certificate-github-workflow-ref", "refs/tags/v1.2.3",
			"--certificate-github-workflow-sha", id.SHA, "--certificate-github-workflow-trigger", "release", "--certificate-github-workflow-name", "release", file), 0, "Verified OK", "", true},
		{"identity regexp", []string{"verify-blob", "--bundle", bundle, "--trusted-root", root, "--certificate-identity-regexp", `^https://github\.com/cavra/`,
			"--certificate-oidc-issuer", id.Issuer, file}, 0, "Verified OK", "", true},
		{"another file", blob(bundle, other), 1, "FAIL  " + other, "signature: the bundle's message digest", true},
		{"another identity", []string{"verify-blob", "--bundle", bundle, "--trusted-root", root, "--certificate-identity", strings.Replace(id.SAN, "cavra/cavra", "evil/cavra", 1),
			"--certificate-oidc-issuer", id.Issuer, file}, 1, "", "certificate.policy: signed by", true},
		{"another ref", blob(bundle, "--certificate-github-workflow-ref", "refs/heads/main", file), 1, "", `the policy requires "refs/heads/main" (--certificate-github-workflow-ref)`, true},
		{"attestation naming the file", blob(write("att.json", vs.SignDSSE(t, "application/vnd.in-toto+json", subjectStatement("a zip\n"), o)), file), 0, "Verified OK", "", false},
		{"attestation naming another file", blob(write("att2.json", vs.SignDSSE(t, "application/vnd.in-toto+json", subjectStatement("another zip\n"), o)), file), 1, "", "subject:", false},
		{"no identity policy", []string{"verify-blob", "--bundle", bundle, "--trusted-root", root, file}, 2, "", "needs an identity policy", true},
		{"no issuer", []string{"verify-blob", "--bundle", bundle, "--trusted-root", root, "--certificate-identity", id.SAN, file}, 2, "", "needs an identity policy", true},
		{"no bundle", append([]string{"verify-blob"}, append(policy, file)...), 2, "", "give -bundle", false},
		{"no file", blob(bundle), 2, "", "want one file, got 0", false},
	}
	cosign := ""
	if testtools.Required() || os.Getenv("CAVRA_COSIGN_V3") != "" {
		cosign = testtools.Cosign(t, 3)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("got exit %d\nstdout %s\nstderr %s\nwant %d, %q, %q", code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
			}
			if !tc.cosign || cosign == "" {
				return
			}
			cmd := exec.Command("unshare", append([]string{"-n", cosign}, tc.args...)...)
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
			out, err := cmd.CombinedOutput()
			if (err == nil) != (tc.code == 0) {
				t.Errorf("cosign v3 disagrees: exit %v\n%s", err, out)
			}
		})
	}

	// A key-signed bundle, with --key.
	p := pkg(t)
	code, stdout, stderr := cli("verify-blob", "--bundle", filepath.Join(p.Dir, "checksums.txt.sigstore.json"), "--key", p.PublicKey, filepath.Join(p.Dir, "checksums.txt"))
	if code != 0 || !strings.Contains(stdout, "signed by key "+p.Key.Fingerprint()) {
		t.Errorf("key-signed bundle: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := cli(append([]string{"verify-blob", "--bundle", bundle, "--key", p.PublicKey}, append(policy, file)...)...); code != 2 || !strings.Contains(stderr, "not both") {
		t.Errorf("key and keyless together: exit %d, %s", code, stderr)
	}
}

// subjectStatement is an in-toto statement whose one subject is a file with
// these bytes.
func subjectStatement(artifact string) []byte {
	return []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"zip","digest":{"sha256":"` +
		checksums.SHA256([]byte(artifact)) + `"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`)
}

// TestKeylessPackage verifies a package signed keyless, as the release
// workflow's signing job signs it, through the package verifiers with the
// same flags, renders the signer on the report page, and records it in the
// rebuild evidence.
func TestKeylessPackage(t *testing.T) {
	p := pkg(t)
	vs := testsigstore.New(t)
	dist := t.TempDir()
	dir := testrelease.Copy(t, p.Dir, dist)
	data, err := os.ReadFile(p.Zip)
	if err != nil {
		t.Fatal(err)
	}
	zip := filepath.Join(dist, filepath.Base(p.Zip))
	if err := os.WriteFile(zip, data, 0o644); err != nil {
		t.Fatal(err)
	}
	id := testsigstore.GitHubWorkflow("cavra/cavra", "release.yml", "refs/tags/"+p.Version, strings.Repeat("e", 40), "release")
	vs.SignPackage(t, dist, p.Version, testsigstore.Options{Identity: id, Timestamp: true})
	policy := []string{"-trusted-root", filepath.Join(dist, sigstore.TrustedRootName), "-certificate-identity", id.SAN, "-certificate-oidc-issuer", id.Issuer}
	run := func(args ...string) []string { return append(args, policy...) }
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
	}{
		{"zip", append(run("release", "verify-airgap-bundle"), zip), 0, "PASS  " + layout.KeylessZip(p.Version) + ": keyless: " + filepath.Base(zip) + " signed by " + id.SAN},
		{"folder", append(run("release", "verify-go-package"), dir), 0, "PASS  " + layout.KeylessProvenance(p.Version) + ": keyless: " + layout.Provenance + " signed by"},
		{"folder with the key too", append(run("release", "verify-go-package", "-key", p.PublicKey), dir), 0, "0 failed"},
		{"another ref", append(run("release", "verify-go-package", "-certificate-github-workflow-ref", "refs/heads/main"), dir), 1,
			"FAIL  " + layout.KeylessChecksums(p.Version) + ": keyless: checksums.txt: certificate.policy"},
		{"no identity policy", []string{"release", "verify-go-package", "-trusted-root", policy[1], dir}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) {
				t.Errorf("got exit %d\nstdout %s\nstderr %s\nwant %d, %q", code, stdout, stderr, tc.code, tc.stdout)
			}
		})
	}

	// The report page shows the signer.
	page := filepath.Join(t.TempDir(), "report.html")
	if code, stdout, stderr := cli(append(run("release", "report", "-out", page), dir)...); code != 0 {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, stderr)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Keyless signers (2)", id.SAN, id.Issuer, "cavra/cavra", "refs/tags/" + p.Version, id.SHA, "70000", time.Now().UTC().Format("2006-01-02T")} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the report page does not show %q", want)
		}
	}

	// The rebuild evidence records it.
	ev := t.TempDir()
	if code, stdout, stderr := cli(append(run("release", "rebuild", "-target", "linux/amd64", "-out", ev), dir)...); code != 0 {
		t.Fatalf("rebuild: exit %d\n%s%s", code, stdout, stderr)
	}
	md, err := os.ReadFile(filepath.Join(ev, "rebuild-evidence.md"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(ev, "rebuild-evidence.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Signed keyless (checksums.txt)", id.SAN, "refs/tags/" + p.Version, id.SHA, "log index 70000"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("rebuild-evidence.md does not show %q", want)
		}
	}
	for _, want := range []string{`"signers"`, `"identity": "` + id.SAN, `"log_index": 70000`, `"integrated_time"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("rebuild-evidence.json does not hold %q", want)
		}
	}
}
