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
		Dist: dist, Version: "v1.2.3", Signer: &virtual{t: t, vs: vs, o: o}, TrustedRoot: vs.TrustedRoot(t), Policy: policy,
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
			_, err := keyless.SignPackage(context.Background(), keyless.Options{Dist: dist, Version: "v1.2.3", Signer: c.signer, TrustedRoot: vs.TrustedRoot(t), Policy: c.policy})
			if err == nil || !strings.Contains(err.Error(), "does not verify offline") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a %s failure", err, c.want)
			}
			if m, _ := filepath.Glob(filepath.Join(dist, "*"+layout.KeylessSuffix)); len(m) != 0 {
				t.Errorf("wrote %v", m)
			}
		})
	}
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
