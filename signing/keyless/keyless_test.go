package keyless_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testsigstore"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/signing/keyless"
	verifier "github.com/cavra/cavra/signing/trust/keyless"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// virtual signs with the virtual Sigstore, as Fulcio and Rekor would for
// the identity.
type virtual struct {
	t  *testing.T
	vs *testsigstore.Sigstore
	o  testsigstore.Options
	// tamper changes the data before signing: a bundle for another file.
	tamper bool
}

func (v *virtual) SignBlob(_ context.Context, data []byte) ([]byte, error) {
	if v.tamper {
		data = append([]byte("x"), data...)
	}
	return v.vs.SignBlob(v.t, data, v.o), nil
}

func (v *virtual) SignDSSE(_ context.Context, pt string, payload []byte) ([]byte, error) {
	return v.vs.SignDSSE(v.t, pt, payload, v.o), nil
}

// fakePackage writes a zip and a package folder with checksums.txt and a
// provenance envelope into a new dist folder.
func fakePackage(t *testing.T, version string) string {
	dist := t.TempDir()
	dir := filepath.Join(dist, layout.Dir(version))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		filepath.Join(dist, layout.Zip(version)): "zip bytes",
		filepath.Join(dir, "checksums.txt"):      "0000  a\n",
		filepath.Join(dir, layout.Provenance):    `{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"AAAA"}]}` + "\n",
	} {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dist
}

func TestSignPackage(t *testing.T) {
	vs := testsigstore.New(t)
	id := testsigstore.GitHubWorkflow("cavra/cavra", "release.yml", "refs/tags/v1.2.3", strings.Repeat("f", 40), "release")
	policy := verifier.Policy{Identity: id.SAN, Issuer: id.Issuer}
	o := testsigstore.Options{Identity: id, Timestamp: true}

	dist := fakePackage(t, "v1.2.3")
	files, err := keyless.SignPackage(context.Background(), keyless.Options{
		Dist: dist, Version: "v1.2.3", Signer: &virtual{t: t, vs: vs, o: o}, Fetch: serve(vs.TrustedRoot(t)), Policy: policy,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Fatalf("wrote %v, want three bundles and the trusted root", files)
	}
	root, err := sigstore.ParseTrustedRoot(read(t, filepath.Join(dist, sigstore.TrustedRootName)))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := verifier.New(root, policy)
	zip := read(t, filepath.Join(dist, layout.Zip("v1.2.3")))
	if _, err := v.VerifyMessage(read(t, filepath.Join(dist, layout.KeylessZip("v1.2.3"))), sha256.Sum256(zip), zip); err != nil {
		t.Errorf("the zip's bundle: %v", err)
	}
	if _, p, _, err := v.VerifyDSSE(read(t, filepath.Join(dist, layout.KeylessProvenance("v1.2.3")))); err != nil || string(p) != "{}" {
		t.Errorf("the provenance attestation: %q, %v", p, err)
	}

	// What the offline verifier would refuse is never written.
	for _, c := range []struct {
		name   string
		signer keyless.Signer
		policy verifier.Policy
		want   string
	}{
		{"another identity expected", &virtual{t: t, vs: vs, o: o}, verifier.Policy{Identity: "https://github.com/evil/x/.github/workflows/release.yml@refs/tags/v1.2.3", Issuer: id.Issuer}, "certificate.policy"},
		{"a bundle for another file", &virtual{t: t, vs: vs, o: o, tamper: true}, policy, "signature"},
		{"signed by another instance", &virtual{t: t, vs: testsigstore.New(t), o: o}, policy, "tlog.body"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dist := fakePackage(t, "v1.2.3")
			_, err := keyless.SignPackage(context.Background(), keyless.Options{Dist: dist, Version: "v1.2.3", Signer: c.signer, Fetch: serve(vs.TrustedRoot(t)), Policy: c.policy})
			if err == nil || !strings.Contains(err.Error(), "does not verify offline") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a %s failure", err, c.want)
			}
			if m, _ := filepath.Glob(filepath.Join(dist, "*"+layout.KeylessSuffix)); len(m) != 0 {
				t.Errorf("wrote %v", m)
			}
		})
	}
}

// serve returns a Fetch that serves root, counting its calls in n when
// given.
func serve(root []byte, n ...*int) func() ([]byte, error) {
	return func() ([]byte, error) {
		for _, c := range n {
			*c++
		}
		return root, nil
	}
}

// TestSignPackageWithPackagedRoot: a package that carries Sigstore's
// trusted root is signed against it, not against the one Sigstore serves
// now, and the same bytes are saved beside the zip; a bundle that fails
// against it says whether Sigstore's trusted root changed since the
// release.
func TestSignPackageWithPackagedRoot(t *testing.T) {
	vs, other := testsigstore.New(t), testsigstore.New(t)
	id := testsigstore.GitHubWorkflow("cavra/cavra", "release.yml", "refs/tags/v1.2.3", strings.Repeat("f", 40), "release")
	policy := verifier.Policy{Identity: id.SAN, Issuer: id.Issuer}
	o := testsigstore.Options{Identity: id, Timestamp: true}
	withRoot := func(t *testing.T, root []byte) string {
		dist := fakePackage(t, "v1.2.3")
		p := filepath.Join(dist, layout.Dir("v1.2.3"), filepath.FromSlash(layout.TrustedRoot))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, root, 0o644); err != nil {
			t.Fatal(err)
		}
		return dist
	}

	t.Run("the package's, not Sigstore's current", func(t *testing.T) {
		packaged := vs.TrustedRoot(t)
		dist := withRoot(t, packaged)
		fetched := 0
		// Sigstore's current root is another instance's: had it been
		// used, every bundle would fail.
		_, err := keyless.SignPackage(context.Background(), keyless.Options{
			Dist: dist, Version: "v1.2.3", Signer: &virtual{t: t, vs: vs, o: o}, Fetch: serve(other.TrustedRoot(t), &fetched), Policy: policy,
		})
		if err != nil {
			t.Fatal(err)
		}
		if fetched != 0 {
			t.Errorf("fetched Sigstore's trusted root %d times, want none", fetched)
		}
		if got := read(t, filepath.Join(dist, sigstore.TrustedRootName)); string(got) != string(packaged) {
			t.Error("the trusted root beside the zip is not the package's")
		}
	})

	for _, c := range []struct {
		name    string
		current []byte // what Sigstore serves now
		want    string
	}{
		{"Sigstore rotated after the release", vs.TrustedRoot(t), "Sigstore changed its trusted root after the release; release again"},
		{"Sigstore's current root fails too", testsigstore.New(t).TrustedRoot(t), "fails against the trusted root Sigstore serves now too"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The release packaged another instance's root; the bundles
			// come from vs.
			dist := withRoot(t, other.TrustedRoot(t))
			_, err := keyless.SignPackage(context.Background(), keyless.Options{
				Dist: dist, Version: "v1.2.3", Signer: &virtual{t: t, vs: vs, o: o}, Fetch: serve(c.current), Policy: policy,
			})
			if err == nil || !strings.Contains(err.Error(), "does not verify offline against the package's "+layout.TrustedRoot) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a failure against the package's root saying %q", err, c.want)
			}
			if m, _ := filepath.Glob(filepath.Join(dist, "*.json")); len(m) != 0 {
				t.Errorf("wrote %v", m)
			}
		})
	}

	t.Run("garbage in the package", func(t *testing.T) {
		dist := withRoot(t, []byte(`{"mediaType":"text/plain"}`))
		_, err := keyless.SignPackage(context.Background(), keyless.Options{
			Dist: dist, Version: "v1.2.3", Signer: &virtual{t: t, vs: vs, o: o}, Fetch: serve(vs.TrustedRoot(t)), Policy: policy,
		})
		if err == nil || !strings.Contains(err.Error(), "the package's "+layout.TrustedRoot) || !strings.Contains(err.Error(), "media type") {
			t.Fatalf("got %v", err)
		}
	})
}

func read(t *testing.T, p string) []byte {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestIDToken requests GitHub Actions' token for the audience sigstore,
// with the request token, and prefers SIGSTORE_ID_TOKEN.
func TestIDToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("audience") != "sigstore" || r.Header.Get("Authorization") != "bearer request-token" || r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "bad request", http.StatusForbidden)
			return
		}
		w.Write([]byte(`{"count":1,"value":"the-jwt"}`))
	}))
	defer srv.Close()
	env := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": srv.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token"}
	get := func(k string) string { return env[k] }
	if tok, err := keyless.IDToken(get, srv.Client())(context.Background()); err != nil || tok != "the-jwt" {
		t.Errorf("GitHub Actions: got %q, %v", tok, err)
	}
	env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "wrong"
	if _, err := keyless.IDToken(get, srv.Client())(context.Background()); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("refused request: got %v", err)
	}
	env["SIGSTORE_ID_TOKEN"] = "given"
	if tok, _ := keyless.IDToken(get, srv.Client())(context.Background()); tok != "given" {
		t.Errorf("SIGSTORE_ID_TOKEN: got %q", tok)
	}
	if _, err := keyless.IDToken(func(string) string { return "" }, srv.Client())(context.Background()); err == nil || !strings.Contains(err.Error(), "id-token: write") {
		t.Errorf("no token: got %v", err)
	}
}

func TestGitHubPolicy(t *testing.T) {
	env := map[string]string{"GITHUB_WORKFLOW_REF": "cavra/cavra/.github/workflows/release.yml@refs/tags/v1.2.3", "GITHUB_SHA": "abc", "GITHUB_SERVER_URL": "https://github.com"}
	p, ok := keyless.GitHubPolicy(func(k string) string { return env[k] })
	if !ok || p.Identity != "https://github.com/cavra/cavra/.github/workflows/release.yml@refs/tags/v1.2.3" || p.Issuer != testsigstore.GitHubIssuer || p.GitHubWorkflowSHA != "abc" {
		t.Errorf("got %+v, %v", p, ok)
	}
	if _, ok := keyless.GitHubPolicy(func(string) string { return "" }); ok {
		t.Error("outside GitHub Actions: got a policy")
	}
}
