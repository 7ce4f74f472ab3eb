package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cavra/cavra/internal/testrepo"
	"github.com/cavra/cavra/signing"
	"github.com/cavra/cavra/signing/keyref"
	"github.com/cavra/cavra/signing/trust"
)

// TestKeyProviders builds the release command without tags and with the
// tag of each key provider, then runs `cavra-release key` with COSIGN_KEY
// naming a key of every provider. A binary accepts the references of the
// provider its tag links, and refuses every other with the error that
// names the tag to build with.
//
// Accepted means the reference reached the provider's client: the
// HashiCorp Vault transit engine and the Kubernetes API server are fakes
// served by this test, so those keys load, sign and verify; the AWS KMS and
// Azure Key Vault clients send their first request to a TLS fake that
// records it and refuses it; the Google Cloud KMS client looks for
// credentials and says where it looked.
func TestKeyProviders(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release command six times")
	}
	tags := []string{""}
	for _, p := range keyref.Providers {
		if !slices.Contains(tags, p.Tag) {
			tags = append(tags, p.Tag)
		}
	}
	bins := buildTagged(t, tags)

	dir := t.TempDir()
	vault := fakeVault(t)
	k8sKey, k8s := fakeKubernetes(t, dir)
	cloud := newRecorder(t, dir)
	env := []string{
		"VAULT_ADDR=" + vault.url, "VAULT_TOKEN=test-token",
		"KUBECONFIG=" + k8s,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=eu-west-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
		"SSL_CERT_FILE=" + cloud.certFile, "AWS_CA_BUNDLE=" + cloud.certFile,
		"GOOGLE_APPLICATION_CREDENTIALS=" + filepath.Join(dir, "no-such-credentials.json"),
		"HOME=" + dir, "COSIGN_PRIVATE_KEY=", "COSIGN_PASSWORD=",
	}
	host := strings.TrimPrefix(cloud.srv.URL, "https://")
	refs := []struct {
		tag, ref string
		// accepted checks the outcome of a binary that links the provider.
		accepted func(t *testing.T, code int, stdout, stderr string)
	}{
		{"hashivault", "hashivault://release", signed(vault.fingerprint)},
		{"hashivault", "openbao://release", signed(vault.fingerprint)},
		{"k8s", "k8s://cavra/release-key", signed(k8sKey)},
		{"awskms", "awskms://" + host + "/alias/release", cloud.saw("TrentService.GetPublicKey")},
		{"azurekms", "azurekms://" + host + "/release", cloud.saw("GET /keys/release/")},
		{"gcpkms", "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/release", said("no-such-credentials.json")},
	}
	for _, tag := range tags {
		for _, r := range refs {
			name := tag
			if name == "" {
				name = "no tags"
			}
			t.Run(name+"/"+r.ref, func(t *testing.T) {
				cmd := exec.Command(bins[tag], "key")
				cmd.Env = append(append(os.Environ(), env...), "COSIGN_KEY="+r.ref)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				code := cmd.ProcessState.ExitCode()
				if err != nil && code < 0 {
					t.Fatal(err)
				}
				refused := strings.Contains(stderr.String(), "not linked into this release command")
				if tag != r.tag {
					want := "-tags " + r.tag + " ./cmd/cavra-release"
					if code != 1 || !refused || !strings.Contains(stderr.String(), want) {
						t.Fatalf("got exit %d, stderr %q; want exit 1 and the error naming %q", code, stderr.String(), want)
					}
					return
				}
				if refused {
					t.Fatalf("a binary built with -tags %s refused %s: %s", tag, r.ref, stderr.String())
				}
				r.accepted(t, code, stdout.String(), stderr.String())
			})
		}
	}
}

// buildTagged builds the release command once per tag set, in parallel.
func buildTagged(t *testing.T, tags []string) map[string]string {
	t.Helper()
	root, dir := testrepo.ModuleRoot(t), t.TempDir()
	bins := map[string]string{}
	errs := make([]error, len(tags))
	var wg sync.WaitGroup
	for i, tag := range tags {
		out := filepath.Join(dir, "cavra-release-"+tag)
		bins[tag] = out
		wg.Go(func() {
			cmd := exec.Command("go", "build", "-tags", tag, "-o", out, "./cmd/cavra-release")
			cmd.Dir = root
			if b, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go build -tags %q: %v\n%s", tag, err, b)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return bins
}

// signed accepts a key that loaded, signed and verified, with the given
// fingerprint.
func signed(fingerprint string) func(t *testing.T, code int, stdout, stderr string) {
	return func(t *testing.T, code int, stdout, stderr string) {
		t.Helper()
		if code != 0 || !strings.Contains(stdout, "signs and verifies: ok") || !strings.Contains(stdout, fingerprint) {
			t.Fatalf("got exit %d, stdout %q, stderr %q; want the key %s to sign and verify", code, stdout, stderr, fingerprint)
		}
	}
}

// said accepts a failure of the provider's own client that mentions text.
func said(text string) func(t *testing.T, code int, stdout, stderr string) {
	return func(t *testing.T, code int, stdout, stderr string) {
		t.Helper()
		if code != 1 || !strings.Contains(stderr, text) {
			t.Fatalf("got exit %d, stderr %q; want the provider's error naming %q", code, stderr, text)
		}
	}
}

type fakeTransit struct {
	url, fingerprint string
}

// fakeVault serves the two calls of HashiCorp Vault's transit engine that
// sigstore's hashivault client makes to load and use a key: read the key
// (its public key) and sign a SHA-256 digest, with an ECDSA P-256 key of
// the test.
func fakeVault(t *testing.T) fakeTransit {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	reply := func(w http.ResponseWriter, data any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"data": data})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Vault-Token") != "test-token" {
			http.Error(w, `{"errors":["permission denied"]}`, http.StatusForbidden)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/transit/keys/release":
			reply(w, map[string]any{
				"type": "ecdsa-p256", "latest_version": 1,
				"keys": map[string]any{"1": map[string]any{"name": "P-256", "public_key": string(pubPEM)}},
			})
		case (r.Method == http.MethodPut || r.Method == http.MethodPost) && r.URL.Path == "/v1/transit/sign/release/sha2-256":
			var req struct {
				Input     string `json:"input"`
				Prehashed bool   `json:"prehashed"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !req.Prehashed {
				http.Error(w, `{"errors":["want a prehashed input"]}`, http.StatusBadRequest)
				return
			}
			digest, err := base64.StdEncoding.DecodeString(req.Input)
			if err != nil || len(digest) != 32 {
				http.Error(w, `{"errors":["bad input"]}`, http.StatusBadRequest)
				return
			}
			sig, err := ecdsa.SignASN1(rand.Reader, priv, digest)
			if err != nil {
				http.Error(w, `{"errors":["sign"]}`, http.StatusInternalServerError)
				return
			}
			reply(w, map[string]any{"signature": "vault:v1:" + base64.StdEncoding.EncodeToString(sig), "key_version": 1})
		default:
			http.Error(w, `{"errors":["no handler for `+r.Method+" "+r.URL.Path+`"]}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	k, err := trust.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	return fakeTransit{url: srv.URL, fingerprint: k.Fingerprint()}
}

// fakeKubernetes serves the secret `cosign generate-key-pair
// k8s://cavra/release-key` would have written (cosign.key, encrypted with
// cosign.password, and cosign.pub) from a fake API server, and returns the
// key's fingerprint and a kubeconfig file that points at the server.
func fakeKubernetes(t *testing.T, dir string) (fingerprint, kubeconfig string) {
	t.Helper()
	priv, pub, err := signing.Generate(filepath.Join(dir, "k8s-key"), []byte("k8s-secret-password"))
	if err != nil {
		t.Fatal(err)
	}
	privPEM, _ := os.ReadFile(priv)
	pubPEM, _ := os.ReadFile(pub)
	secret, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "release-key", "namespace": "cavra"},
		"data": map[string][]byte{ // base64 in JSON, as the API server sends it
			"cosign.key": privPEM, "cosign.pub": pubPEM, "cosign.password": []byte("k8s-secret-password"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/v1/namespaces/cavra/secrets/release-key" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"no %s %s"}`, r.Method, r.URL.Path)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(secret)
	}))
	t.Cleanup(srv.Close)
	kubeconfig = filepath.Join(dir, "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: %s
users:
- name: test
  user:
    token: test-token
contexts:
- name: fake
  context:
    cluster: fake
    user: test
current-context: fake
`, srv.URL)
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := trust.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	return k.Fingerprint(), kubeconfig
}

// recorder is a TLS server that records every request and refuses it, for
// the cloud KMS clients; certFile holds its certificate, for SSL_CERT_FILE.
type recorder struct {
	srv      *httptest.Server
	certFile string
	mu       sync.Mutex
	seen     []string
}

func newRecorder(t *testing.T, dir string) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		rec.mu.Lock()
		rec.seen = append(rec.seen, r.Method+" "+r.URL.Path, r.Header.Get("X-Amz-Target"))
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"NotFoundException","message":"fake key service"}`)
	}))
	t.Cleanup(rec.srv.Close)
	rec.certFile = filepath.Join(dir, "fake-ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rec.srv.Certificate().Raw})
	if err := os.WriteFile(rec.certFile, cert, 0o644); err != nil {
		t.Fatal(err)
	}
	return rec
}

// saw accepts a failed load whose client sent the request named what
// (a method and path, or an X-Amz-Target) to the recorder.
func (rec *recorder) saw(what string) func(t *testing.T, code int, stdout, stderr string) {
	return func(t *testing.T, code int, stdout, stderr string) {
		t.Helper()
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if code != 1 || !slices.Contains(rec.seen, what) {
			t.Fatalf("got exit %d, stderr %q, requests %q; want the provider to send %q", code, stderr, rec.seen, what)
		}
	}
}
