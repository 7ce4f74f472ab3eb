package runnerauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cavra/cavra/runtime/policy"
)

var id = policy.RunnerIdentity{Provider: "github-actions", Repository: "acme/app", Workflow: "ci", RunID: "42",
	RunAttempt: "1", Ref: "refs/heads/main", SHA: "abc", Actor: "octo", Job: "build", RunnerName: "r1"}

func TestPayload(t *testing.T) {
	want := "cavra.runner-auth.v1\nprovider=github-actions\nrepository=acme/app\nworkflow=ci\nrun_id=42\nrun_attempt=1\n" +
		"ref=refs/heads/main\nsha=abc\nactor=octo\njob=build\nrunner_name=r1"
	if got := Payload(&id); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var empty policy.RunnerIdentity
	if got := Payload(&empty); got != "cavra.runner-auth.v1\nprovider=\nrepository=\nworkflow=\nrun_id=\nrun_attempt=\nref=\nsha=\nactor=\njob=\nrunner_name=" {
		t.Errorf("empty identity: got %q", got)
	}
}

func TestHMAC(t *testing.T) {
	key := []byte("secret")
	v := &Verifier{Key: key, KeyID: "k1"}
	good := func() *policy.RunnerAuth {
		return &policy.RunnerAuth{Identity: id, Algorithm: HMAC, KeyID: "k1", Signature: Sign(&id, key)}
	}
	tests := []struct {
		name string
		edit func(a *policy.RunnerAuth) *policy.RunnerAuth
		want string // "" for accepted
	}{
		{"good", func(a *policy.RunnerAuth) *policy.RunnerAuth { return a }, ""},
		{"upper-case hex", func(a *policy.RunnerAuth) *policy.RunnerAuth { a.Signature = strings.ToUpper(a.Signature); return a }, ""},
		{"missing", func(*policy.RunnerAuth) *policy.RunnerAuth { return nil }, "runner_auth is required"},
		{"tampered identity", func(a *policy.RunnerAuth) *policy.RunnerAuth { a.Identity.RunID = "43"; return a }, "signature is invalid"},
		{"wrong key", func(a *policy.RunnerAuth) *policy.RunnerAuth { a.Signature = Sign(&id, []byte("other")); return a }, "signature is invalid"},
		{"wrong key id", func(a *policy.RunnerAuth) *policy.RunnerAuth { a.KeyID = "k2"; return a }, "key_id mismatch: k2"},
		{"no signature", func(a *policy.RunnerAuth) *policy.RunnerAuth { a.Signature = " "; return a }, "signature is required"},
		{"algorithm", func(a *policy.RunnerAuth) *policy.RunnerAuth { a.Algorithm = "hmac-sha256"; return a }, "algorithm must be HMAC-SHA256 or OIDC-JWT"},
		{"no repository", func(a *policy.RunnerAuth) *policy.RunnerAuth {
			a.Identity.Repository = ""
			a.Signature = Sign(&a.Identity, key)
			return a
		}, "requires provider and repository"},
		{"OIDC not configured", func(a *policy.RunnerAuth) *policy.RunnerAuth { a.Algorithm = OIDC; return a }, "OIDC authentication is not configured"},
	}
	for _, tt := range tests {
		err := v.Verify(tt.edit(good()))
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	if (&Verifier{Key: key}).Verify(&policy.RunnerAuth{Identity: id, Algorithm: HMAC, KeyID: "any", Signature: Sign(&id, key)}) != nil {
		t.Errorf("a daemon without a key id must accept any key_id")
	}
	if (*Verifier)(nil).Enabled() || (&Verifier{}).Enabled() || !(&Verifier{Key: key}).Enabled() {
		t.Errorf("Enabled: wrong answers")
	}
}

// issuer signs test tokens with keys made for the test.
type issuer struct {
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	jwks []byte
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b := base64.RawURLEncoding.EncodeToString
	ecb, _ := ek.PublicKey.Bytes()
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": "rsa1", "alg": "RS256", "use": "sig", "n": b(rk.N.Bytes()), "e": b(big.NewInt(int64(rk.E)).Bytes())},
		{"kty": "EC", "kid": "ec1", "crv": "P-256", "x": b(ecb[1:33]), "y": b(ecb[33:])},
	}})
	return &issuer{rsa: rk, ec: ek, jwks: jwks}
}

func (is *issuer) token(t *testing.T, alg, kid string, claims map[string]any) string {
	t.Helper()
	b := base64.RawURLEncoding.EncodeToString
	h, _ := json.Marshal(map[string]string{"alg": alg, "kid": kid, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	signed := b(h) + "." + b(c)
	sum := sha256.Sum256([]byte(signed))
	var sig []byte
	switch alg {
	case "RS256":
		sig, _ = rsa.SignPKCS1v15(rand.Reader, is.rsa, crypto.SHA256, sum[:])
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, is.ec, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	default:
		sig = []byte("x")
	}
	return signed + "." + b(sig)
}

func TestOIDC(t *testing.T) {
	is := newIssuer(t)
	const iss, aud = "https://token.actions.githubusercontent.com", "cavra"
	now := time.Unix(1_800_000_000, 0)
	o, err := NewOIDCVerifier(iss, aud, is.jwks)
	if err != nil {
		t.Fatal(err)
	}
	o.Now = func() time.Time { return now }
	v := &Verifier{OIDC: o}
	claims := func() map[string]any {
		return map[string]any{"iss": iss, "aud": aud, "exp": now.Unix() + 60, "nbf": now.Unix() - 60,
			"repository": "acme/app", "workflow": "ci", "run_id": "42", "ref": "refs/heads/main", "actor": "octo"}
	}
	tests := []struct {
		name     string
		alg, kid string
		edit     func(c map[string]any)
		ident    func(id *policy.RunnerIdentity)
		token    func(tok string) string
		want     string
	}{
		{name: "RS256", alg: "RS256", kid: "rsa1"},
		{name: "ES256", alg: "ES256", kid: "ec1"},
		{name: "audience list", alg: "ES256", kid: "ec1", edit: func(c map[string]any) { c["aud"] = []string{"x", aud} }},
		{name: "claims absent are not compared", alg: "ES256", kid: "ec1", edit: func(c map[string]any) { delete(c, "workflow") }},
		{name: "expired", alg: "RS256", kid: "rsa1", edit: func(c map[string]any) { c["exp"] = now.Unix() }, want: "expired"},
		{name: "no exp", alg: "RS256", kid: "rsa1", edit: func(c map[string]any) { delete(c, "exp") }, want: "has no exp"},
		{name: "not yet valid", alg: "RS256", kid: "rsa1", edit: func(c map[string]any) { c["nbf"] = now.Unix() + 10 }, want: "not valid yet"},
		{name: "issuer", alg: "RS256", kid: "rsa1", edit: func(c map[string]any) { c["iss"] = "https://evil" }, want: "issuer mismatch"},
		{name: "audience", alg: "RS256", kid: "rsa1", edit: func(c map[string]any) { c["aud"] = "other" }, want: "audience mismatch"},
		{name: "repository claim", alg: "RS256", kid: "rsa1", edit: func(c map[string]any) { c["repository"] = "acme/other" }, want: "repository claim does not match"},
		{name: "no repository claim", alg: "RS256", kid: "rsa1", edit: func(c map[string]any) { delete(c, "repository") }, want: "requires repository claim"},
		{name: "run id claim", alg: "ES256", kid: "ec1", edit: func(c map[string]any) { c["run_id"] = "41" }, want: "claim run_id mismatch"},
		{name: "provider", alg: "ES256", kid: "ec1", ident: func(id *policy.RunnerIdentity) { id.Provider = "gitlab-ci" }, want: "provider mismatch"},
		{name: "unknown kid", alg: "RS256", kid: "nope", want: `signing key "nope" for RS256 was not found`},
		{name: "kid of the other kind", alg: "RS256", kid: "ec1", want: "was not found"},
		{name: "alg none", alg: "none", kid: "rsa1", want: `alg "none" is not supported`},
		{name: "alg HS256", alg: "HS256", kid: "rsa1", want: "not supported"},
		{name: "tampered claims", alg: "RS256", kid: "rsa1", token: func(tok string) string {
			p := strings.Split(tok, ".")
			c, _ := base64.RawURLEncoding.DecodeString(p[1])
			c = []byte(strings.Replace(string(c), "acme/app", "acme/ap2", 1))
			return p[0] + "." + base64.RawURLEncoding.EncodeToString(c) + "." + p[2]
		}, want: "signature is invalid"},
		{name: "swapped signature", alg: "ES256", kid: "ec1", token: func(tok string) string {
			p := strings.Split(tok, ".")
			s, _ := base64.RawURLEncoding.DecodeString(p[2])
			s[0] ^= 1
			return p[0] + "." + p[1] + "." + base64.RawURLEncoding.EncodeToString(s)
		}, want: "signature is invalid"},
		{name: "not a JWT", alg: "RS256", kid: "rsa1", token: func(string) string { return "a.b" }, want: "compact JWT"},
	}
	for _, tt := range tests {
		c := claims()
		if tt.edit != nil {
			tt.edit(c)
		}
		tok := is.token(t, tt.alg, tt.kid, c)
		if tt.token != nil {
			tok = tt.token(tok)
		}
		ident := id
		if tt.ident != nil {
			tt.ident(&ident)
		}
		err := v.Verify(&policy.RunnerAuth{Identity: ident, Algorithm: OIDC, KeyID: tt.kid, Signature: tok})
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	if kid, err := TokenKeyID(is.token(t, "ES256", "ec1", claims())); kid != "ec1" || err != nil {
		t.Errorf("TokenKeyID: got %q, %v", kid, err)
	}
}

func TestJWKSErrors(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	b := base64.RawURLEncoding.EncodeToString
	for _, tt := range []struct{ jwks, want string }{
		{`{"keys":[]}`, "no keys"},
		{`[]`, "JWKS"},
		{`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`, "has no kid"},
		{`{"keys":[{"kty":"oct","kid":"a"}]}`, `kty "oct"`},
		{`{"keys":[{"kty":"RSA","kid":"a","n":"` + b(small.N.Bytes()) + `","e":"AQAB"}]}`, "want at least 2048"},
		{`{"keys":[{"kty":"EC","kid":"a","crv":"P-384","x":"AA","y":"AA"}]}`, `crv "P-384"`},
		{`{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"` + b(make([]byte, 32)) + `","y":"` + b(make([]byte, 32)) + `"}]}`, "not a point"},
	} {
		if _, err := NewOIDCVerifier("i", "a", []byte(tt.jwks)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.jwks, err, tt.want)
		}
	}
	if _, err := NewOIDCVerifier("", "a", []byte(`{"keys":[]}`)); err == nil {
		t.Errorf("no issuer: got no error")
	}
}
