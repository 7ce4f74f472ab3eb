package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testrelease"
	"github.com/cavra/cavra/internal/testsigstore"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/signing/trust/keyless"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// keylessPackage copies the shared package (folder and zip) into a new
// dist folder and signs it keyless with a virtual Sigstore, as the release
// workflow's signing job does; it returns the dist folder and the
// workflow identity that signed.
func keylessPackage(t *testing.T, vs *testsigstore.Sigstore) (*testrelease.Package, string, testsigstore.Identity) {
	p := pkg(t)
	dist := t.TempDir()
	testrelease.Copy(t, p.Dir, dist)
	data, err := os.ReadFile(p.Zip)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dist, filepath.Base(p.Zip), data)
	id := testsigstore.GitHubWorkflow("cavra/cavra", "release.yml", "refs/tags/"+p.Version, strings.Repeat("c", 40), "release")
	vs.SignPackage(t, dist, p.Version, testsigstore.Options{Identity: id, Timestamp: true})
	return p, dist, id
}

func keylessVerifier(t *testing.T, trustedRoot []byte, p keyless.Policy) *keyless.Verifier {
	root, err := sigstore.ParseTrustedRoot(trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	v, err := keyless.New(root, p)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestKeyless verifies a package signed keyless, as a zip and as a folder,
// with and without the release key, and refuses each way a keyless
// signature can be wrong.
func TestKeyless(t *testing.T) {
	vs := testsigstore.New(t)
	p, dist, id := keylessPackage(t, vs)
	tr := read(t, dist, sigstore.TrustedRootName)
	good := keylessVerifier(t, tr, keyless.Policy{Identity: id.SAN, Issuer: id.Issuer, GitHubWorkflowRef: id.Ref})
	zip, dir := filepath.Join(dist, filepath.Base(p.Zip)), filepath.Join(dist, layout.Dir(p.Version))

	t.Run("pass", func(t *testing.T) {
		for _, c := range []struct {
			name    string
			run     func(string, verify.Options) (*verify.Report, *verify.Package, error)
			in      string
			o       verify.Options
			signers int
		}{
			{"zip, keyless alone", verify.Zip, zip, verify.Options{Keyless: good}, 3},
			{"folder, keyless alone", verify.Dir, dir, verify.Options{Keyless: good}, 2},
			{"zip, key and keyless", verify.Zip, zip, verify.Options{Key: p.Key, Keyless: good}, 3},
		} {
			t.Run(c.name, func(t *testing.T) {
				rep, _, err := c.run(c.in, c.o)
				if err != nil {
					t.Fatal(err)
				}
				if !rep.OK() {
					t.Fatalf("got FAIL:\n%s", strings.Join(rep.Errors(), "\n"))
				}
				if len(rep.Signers) != c.signers {
					t.Fatalf("got %d signers, want %d", len(rep.Signers), c.signers)
				}
				for _, s := range rep.Signers {
					if s.Identity != id.SAN || s.Issuer != id.Issuer || s.Repository != id.Repository || s.Ref != id.Ref || s.Commit != id.SHA || s.LogIndex == 0 || s.IntegratedTime.IsZero() {
						t.Errorf("signer %+v", s)
					}
				}
				if !strings.Contains(rep.Trust, "keyless "+id.SAN) {
					t.Errorf("trust %q does not name the keyless identity", rep.Trust)
				}
			})
		}
	})

	t.Run("unchecked without a policy", func(t *testing.T) {
		rep, _, err := verify.Zip(zip, verify.Options{Key: p.Key})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || !has(rep, verify.Skip, verify.CheckKeyless, layout.KeylessZip(p.Version), "not checked") {
			t.Fatalf("got %s, want PASS with the keyless bundles SKIPped\n%s", rep.Status, strings.Join(rep.Errors(), "\n"))
		}
	})

	other := testsigstore.New(t)
	for _, c := range []struct {
		name   string
		o      verify.Options
		change func(t *testing.T, dist string)
		file   string // the bundle that fails
		detail string
	}{
		{name: "another identity", o: verify.Options{Keyless: keylessVerifier(t, tr, keyless.Policy{Identity: strings.Replace(id.SAN, "cavra/cavra", "evil/cavra", 1), Issuer: id.Issuer})},
			file: layout.KeylessZip(p.Version), detail: keyless.CheckCertificatePolicy},
		{name: "another issuer", o: verify.Options{Keyless: keylessVerifier(t, tr, keyless.Policy{Identity: id.SAN, Issuer: "https://accounts.google.com"})},
			file: layout.KeylessChecksums(p.Version), detail: keyless.CheckCertificatePolicy},
		{name: "another ref", o: verify.Options{Keyless: keylessVerifier(t, tr, keyless.Policy{Identity: id.SAN, Issuer: id.Issuer, GitHubWorkflowRef: "refs/heads/main"})},
			file: layout.KeylessProvenance(p.Version), detail: keyless.CheckCertificatePolicy},
		{name: "another instance's trusted root", o: verify.Options{Keyless: keylessVerifier(t, other.TrustedRoot(t), keyless.Policy{Identity: id.SAN, Issuer: id.Issuer})},
			file: layout.KeylessZip(p.Version), detail: keyless.CheckTlogBody},
		{name: "bundle missing", o: verify.Options{Keyless: good}, change: func(t *testing.T, dist string) {
			os.Remove(filepath.Join(dist, layout.KeylessChecksums(p.Version)))
		}, file: layout.KeylessChecksums(p.Version), detail: "missing beside the package"},
		{name: "the zip's bundle for checksums.txt", o: verify.Options{Keyless: good}, change: func(t *testing.T, dist string) {
			write(t, dist, layout.KeylessChecksums(p.Version), read(t, dist, layout.KeylessZip(p.Version)))
		}, file: layout.KeylessChecksums(p.Version), detail: keyless.CheckSignature},
		{name: "another statement in the provenance", o: verify.Options{Keyless: good}, change: func(t *testing.T, dist string) {
			provenance := vs.SignDSSE(t, "application/vnd.in-toto+json", []byte(`{"_type":"https://in-toto.io/Statement/v1"}`), testsigstore.Options{Identity: id, Timestamp: true})
			write(t, dist, layout.KeylessProvenance(p.Version), provenance)
		}, file: layout.KeylessProvenance(p.Version), detail: "another statement"},
		{name: "signed by another instance", o: verify.Options{Keyless: good}, change: func(t *testing.T, dist string) {
			other.SignPackage(t, dist, p.Version, testsigstore.Options{Identity: id})
			write(t, dist, sigstore.TrustedRootName, tr)
		}, file: layout.KeylessZip(p.Version), detail: keyless.CheckTlogBody},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := dist
			if c.change != nil {
				d = t.TempDir()
				testrelease.Copy(t, dir, d)
				for _, f := range []string{filepath.Base(p.Zip), layout.KeylessZip(p.Version), layout.KeylessChecksums(p.Version), layout.KeylessProvenance(p.Version)} {
					write(t, d, f, read(t, dist, f))
				}
				c.change(t, d)
			}
			rep, _, err := verify.Zip(filepath.Join(d, filepath.Base(p.Zip)), c.o)
			if err != nil {
				t.Fatal(err)
			}
			wantFail(t, rep, verify.CheckKeyless, c.file, c.detail)
		})
	}
}
