// Package runnerauth checks that a request comes from an authenticated
// CI runner, as CAVRA's daemon does (runner_auth in EvaluateRequest v1).
//
// A request's runner_auth carries the runner's identity (provider,
// repository, workflow, run_id, run_attempt, ref, sha, actor, job,
// runner_name), an algorithm, a key id and a signature. Two algorithms
// are accepted:
//
//   - HMAC-SHA256: signature is the lower-case hex HMAC-SHA256, with a
//     key shared with the daemon, of the identity payload (see Payload).
//     If the daemon has a key id, key_id must equal it. The comparison
//     takes constant time.
//   - OIDC-JWT: signature is a compact JWT from the CI provider's OIDC
//     issuer, verified offline against a JWKS file: RS256 (RSA PKCS #1
//     v1.5, SHA-256) or ES256 (ECDSA P-256, SHA-256); the header's kid
//     selects the key, whose kty (and alg and use, when given) must fit.
//     Then iss must be the issuer; aud the audience or a list holding
//     it; exp must be present and not passed, nbf (if present) not in
//     the future; the issuer's provider (github-actions for
//     token.actions.githubusercontent.com, gitlab-ci for GitLab,
//     azure-pipelines for Azure DevOps) must be the identity's; the
//     token's repository claim must be present and equal the identity's
//     repository; and every other identity field that is set must equal
//     the same-named claim when the token has it. Claims are compared in
//     constant time. The signature is checked before any claim.
//
// In both, identity.provider and identity.repository must be set. A
// daemon with both an HMAC key and an OIDC verifier accepts either.
//
// Stricter than CAVRA's daemon: a token must have exp (CAVRA accepts
// one without, valid for ever); its signature is checked before its
// claims are read; the JWKS is read, and its keys checked (kty, RSA of at
// least 2048 bits, a point on P-256, a kid each), when the daemon starts,
// so that a bad key set stops the daemon rather than every request; a
// JWKS URL is fetched then, once, not at the first request. ES256 is
// accepted as well as CAVRA's RS256.
package runnerauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cavra/cavra/runtime/policy"
)

// Algorithms of runner_auth.
const (
	HMAC = "HMAC-SHA256"
	OIDC = "OIDC-JWT"
)

// RuleInvalid is the rule id of a refused runner.
const RuleInvalid = "runner_auth.invalid"

// Payload returns the text the HMAC signs: "cavra.runner-auth.v1" and
// each identity field as name=value, joined by newlines, without a
// trailing newline.
func Payload(id *policy.RunnerIdentity) string {
	var b strings.Builder
	b.WriteString("cavra.runner-auth.v1")
	for _, f := range id.Fields() {
		b.WriteString("\n" + f.Name + "=" + f.Value)
	}
	return b.String()
}

// Sign returns the lower-case hex HMAC-SHA256 of the identity payload.
func Sign(id *policy.RunnerIdentity, key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(Payload(id)))
	return hex.EncodeToString(m.Sum(nil))
}

// Verifier checks runner_auth. The zero value accepts nothing; a
// Verifier with neither Key nor OIDC set is not enabled (see Enabled).
type Verifier struct {
	Key   []byte // HMAC key
	KeyID string // if set, runner_auth.key_id must equal it
	OIDC  *OIDCVerifier
}

// Enabled reports whether requests must carry runner_auth.
func (v *Verifier) Enabled() bool { return v != nil && (v.Key != nil || v.OIDC != nil) }

// Verify checks a request's runner_auth (nil if absent).
func (v *Verifier) Verify(a *policy.RunnerAuth) error {
	if a == nil {
		return errors.New("runner_auth is required")
	}
	switch a.Algorithm {
	case HMAC:
		return v.verifyHMAC(a)
	case OIDC:
		if v.OIDC == nil {
			return errors.New("runner OIDC authentication is not configured")
		}
		if strings.TrimSpace(a.Signature) == "" {
			return errors.New("runner_auth OIDC token is required")
		}
		if a.Identity.Provider == "" || a.Identity.Repository == "" {
			return errors.New("runner_auth identity requires provider and repository")
		}
		return v.OIDC.Verify(a.Signature, &a.Identity)
	}
	return fmt.Errorf("runner_auth algorithm must be %s or %s", HMAC, OIDC)
}

func (v *Verifier) verifyHMAC(a *policy.RunnerAuth) error {
	if v.Key == nil {
		return errors.New("runner HMAC authentication is not configured")
	}
	if v.KeyID != "" && subtle.ConstantTimeCompare([]byte(a.KeyID), []byte(v.KeyID)) != 1 {
		return fmt.Errorf("runner_auth key_id mismatch: %s", a.KeyID)
	}
	if strings.TrimSpace(a.Signature) == "" {
		return errors.New("runner_auth signature is required")
	}
	if !hmac.Equal([]byte(strings.ToLower(a.Signature)), []byte(Sign(&a.Identity, v.Key))) {
		return errors.New("runner_auth signature is invalid")
	}
	if a.Identity.Provider == "" || a.Identity.Repository == "" {
		return errors.New("runner_auth identity requires provider and repository")
	}
	return nil
}

// OIDCVerifier verifies CI OIDC tokens offline.
type OIDCVerifier struct {
	Issuer   string
	Audience string
	keys     []jwk
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`

	rsa *rsa.PublicKey
	ec  *ecdsa.PublicKey
}

// NewOIDCVerifier returns a verifier for tokens from issuer for
// audience, checked against the keys of a JWKS document
// ({"keys":[…]}). Keys that cannot be used for RS256 or ES256 are
// refused, so that a bad JWKS is found at start, not at the first token.
func NewOIDCVerifier(issuer, audience string, jwks []byte) (*OIDCVerifier, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("runner OIDC verification needs an issuer and an audience")
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("JWKS has no keys")
	}
	for i := range set.Keys {
		k := &set.Keys[i]
		if k.Kid == "" {
			return nil, fmt.Errorf("JWKS key %d has no kid", i)
		}
		var err error
		switch k.Kty {
		case "RSA":
			k.rsa, err = k.rsaKey()
		case "EC":
			k.ec, err = k.ecKey()
		default:
			err = fmt.Errorf("kty %q: want RSA or EC", k.Kty)
		}
		if err != nil {
			return nil, fmt.Errorf("JWKS key %q: %w", k.Kid, err)
		}
	}
	return &OIDCVerifier{Issuer: issuer, Audience: audience, keys: set.Keys}, nil
}

// LoadJWKS reads a JWKS file.
func LoadJWKS(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err == nil && len(data) > 1<<20 {
		err = fmt.Errorf("%s: larger than 1 MiB", name)
	}
	return data, err
}

// FetchJWKS reads a JWKS document from url once (10 s, a 2xx status, at
// most 1 MiB), as CAVRA's --runner-oidc-jwks-url does; this runtime
// fetches it at start, so that requests never wait on the network.
func FetchJWKS(url string) ([]byte, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("JWKS URL returned %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20+1))
	if err == nil && len(data) > 1<<20 {
		err = errors.New("JWKS document larger than 1 MiB")
	}
	return data, err
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func (k *jwk) rsaKey() (*rsa.PublicKey, error) {
	n, err := b64(k.N)
	if err != nil || len(n) == 0 {
		return nil, errors.New("modulus n is not base64url")
	}
	e, err := b64(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("exponent e is not a base64url integer")
	}
	exp := 0
	for _, b := range e {
		exp = exp<<8 | int(b)
	}
	if exp < 3 || exp%2 == 0 {
		return nil, errors.New("exponent e is not an odd number above 2")
	}
	if len(n)*8 < 2048 {
		return nil, fmt.Errorf("RSA key of %d bits: want at least 2048", len(n)*8)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}, nil
}

func (k *jwk) ecKey() (*ecdsa.PublicKey, error) {
	if k.Crv != "P-256" {
		return nil, fmt.Errorf("crv %q: want P-256", k.Crv)
	}
	x, err1 := b64(k.X)
	y, err2 := b64(k.Y)
	if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
		return nil, errors.New("x and y must be 32-byte base64url coordinates")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, fmt.Errorf("not a point on P-256: %w", err)
	}
	return pub, nil
}

// Verify checks token for the identity (see the package documentation).
func (o *OIDCVerifier) Verify(token string, id *policy.RunnerIdentity) error {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return errors.New("runner OIDC token must be a compact JWT")
	}
	hdr, err := b64(parts[0])
	if err != nil {
		return fmt.Errorf("runner OIDC header is not base64url: %w", err)
	}
	payload, err := b64(parts[1])
	if err != nil {
		return fmt.Errorf("runner OIDC claims are not base64url: %w", err)
	}
	sig, err := b64(parts[2])
	if err != nil {
		return fmt.Errorf("runner OIDC signature is not base64url: %w", err)
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(hdr, &h); err != nil {
		return fmt.Errorf("runner OIDC header is not JSON: %w", err)
	}
	if err := o.checkSignature(h.Alg, h.Kid, parts[0]+"."+parts[1], sig); err != nil {
		return err
	}
	var claims map[string]any
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return fmt.Errorf("runner OIDC claims are not JSON: %w", err)
	}
	return o.checkClaims(claims, id)
}

func (o *OIDCVerifier) checkSignature(alg, kid, signed string, sig []byte) error {
	if alg != "RS256" && alg != "ES256" {
		return fmt.Errorf("runner OIDC alg %q is not supported; expected RS256 or ES256", alg)
	}
	if kid == "" {
		return errors.New("runner OIDC token requires kid header")
	}
	digest := sha256.Sum256([]byte(signed))
	for i := range o.keys {
		k := &o.keys[i]
		if k.Kid != kid || k.Alg != "" && k.Alg != alg || k.Use != "" && k.Use != "sig" {
			continue
		}
		switch {
		case alg == "RS256" && k.rsa != nil:
			if rsa.VerifyPKCS1v15(k.rsa, crypto.SHA256, digest[:], sig) != nil {
				return errors.New("runner OIDC signature is invalid")
			}
			return nil
		case alg == "ES256" && k.ec != nil:
			if len(sig) != 64 {
				return errors.New("runner OIDC signature is invalid")
			}
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			if !ecdsa.Verify(k.ec, digest[:], r, s) {
				return errors.New("runner OIDC signature is invalid")
			}
			return nil
		}
	}
	return fmt.Errorf("runner OIDC signing key %q for %s was not found in JWKS", kid, alg)
}

func (o *OIDCVerifier) checkClaims(claims map[string]any, id *policy.RunnerIdentity) error {
	str := func(name string) string {
		s, _ := claims[name].(string)
		return s
	}
	if str("iss") != o.Issuer {
		return fmt.Errorf("runner OIDC issuer mismatch: %q", str("iss"))
	}
	if !audience(claims["aud"], o.Audience) {
		return errors.New("runner OIDC audience mismatch")
	}
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return errors.New("runner OIDC token has no exp")
	}
	if !now.Before(exp) {
		return errors.New("runner OIDC token is expired")
	}
	if nbf, ok := numericDate(claims["nbf"]); ok && now.Before(nbf) {
		return errors.New("runner OIDC token is not valid yet")
	}
	if _, present := claims["nbf"]; present {
		if _, ok := numericDate(claims["nbf"]); !ok {
			return errors.New("runner OIDC nbf is not a number")
		}
	}
	if p := providerFor(o.Issuer); p != "" && id.Provider != p {
		return fmt.Errorf("runner OIDC provider mismatch: got %q want %q", id.Provider, p)
	}
	repo := str("repository")
	if repo == "" {
		return errors.New("runner OIDC token requires repository claim")
	}
	if subtle.ConstantTimeCompare([]byte(repo), []byte(id.Repository)) != 1 {
		return errors.New("runner OIDC repository claim does not match runner identity")
	}
	fields := id.Fields()
	for _, f := range fields[2:] {
		if f.Value == "" {
			continue
		}
		if c := str(f.Name); c != "" && subtle.ConstantTimeCompare([]byte(c), []byte(f.Value)) != 1 {
			return fmt.Errorf("runner OIDC claim %s mismatch", f.Name)
		}
	}
	return nil
}

func audience(v any, want string) bool {
	switch a := v.(type) {
	case string:
		return a == want
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}

func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

func providerFor(issuer string) string {
	switch {
	case issuer == "https://token.actions.githubusercontent.com":
		return "github-actions"
	case issuer == "https://gitlab.com" || strings.Contains(issuer, "gitlab"):
		return "gitlab-ci"
	case strings.Contains(issuer, "vstoken.dev.azure.com"):
		return "azure-pipelines"
	}
	return ""
}

// TokenKeyID returns the kid of a compact JWT's header, which a client
// sends as runner_auth.key_id.
func TokenKeyID(token string) (string, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return "", errors.New("not a compact JWT")
	}
	hdr, err := b64(parts[0])
	if err != nil {
		return "", fmt.Errorf("header is not base64url: %w", err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(hdr, &h); err != nil {
		return "", fmt.Errorf("header is not JSON: %w", err)
	}
	return h.Kid, nil
}
