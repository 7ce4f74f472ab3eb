package options

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cavra/cavra/packaging/format/attestation"
)

// keys writes a release key and two rebuilder keys and returns their
// public files and the private file of the first rebuilder.
func keys(t *testing.T) (release, rebA, rebB, rebAPriv string) {
	dir := t.TempDir()
	var pubs []string
	for i, name := range []string{"release", "a", "b"} {
		s, err := attestation.GenerateKey(attestation.ECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub := filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
		if err := s.WriteKeyPair(priv, pub); err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, pub)
		if i == 1 {
			rebAPriv = priv
		}
	}
	return pubs[0], pubs[1], pubs[2], rebAPriv
}

// TestFlagsAndEnvironment gives every setting once as flags and once as
// variables and expects the same options.
func TestFlagsAndEnvironment(t *testing.T) {
	release, a, b, aPriv := keys(t)
	dir := t.TempDir()
	att := filepath.Join(dir, "x", attestation.FileName)
	if err := os.MkdirAll(filepath.Dir(att), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(att, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	pemB, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-key", release, "-expect-version", "v1.2.3", "-rebuild-attestation", dir,
		"-rebuilder-key", a, "-rebuilder-key", b, "-min-rebuilds", "2", "-json",
		"-target", "linux/amd64", "-target", "darwin/arm64", "-out", "ev", "-fresh-cache", "-go", "/opt/go/bin/go",
		"-sign-key", aPriv, "-rebuilder-id", "https://rebuilders.example.com/a",
		"-current-key", a, "-allow-key-rotation", "-db", "vulndb.zip"}
	env := map[string]string{
		"CAVRA_KEY": release, "CAVRA_EXPECT_VERSION": "v1.2.3", "CAVRA_REBUILD_ATTESTATIONS": dir,
		"CAVRA_REBUILDER_KEYS": a + string(os.PathListSeparator) + b, "CAVRA_MIN_REBUILDS": "2", "CAVRA_JSON": "1",
		"CAVRA_TARGET": "linux/amd64,darwin/arm64", "CAVRA_OUT": "ev", "CAVRA_FRESH_CACHE": "1", "CAVRA_GO": "/opt/go/bin/go",
		"CAVRA_SIGN_KEY": aPriv, "CAVRA_REBUILDER_ID": "https://rebuilders.example.com/a",
		"CAVRA_CURRENT_KEY": a, "CAVRA_ALLOW_KEY_ROTATION": "1", "CAVRA_VULNDB": "vulndb.zip",
	}
	groups := []string{"trust", "policy", "output", "rebuild", "upgrade", "vulns"}
	var fromFlags, fromEnv Values
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fromFlags.Flags(fs, groups...)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := fromEnv.Env(func(k string) string { return env[k] }, groups...); err != nil {
		t.Fatal(err)
	}
	fromFlags.Targets = []string{strings.Join(fromFlags.Targets, ",")} // the variable lists them in one
	if !reflect.DeepEqual(fromFlags, fromEnv) {
		t.Fatalf("flags give\n%+v\nthe environment gives\n%+v", fromFlags, fromEnv)
	}
	vo, err := fromEnv.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if vo.Key == nil || len(vo.RebuilderKeys) != 2 || len(vo.RebuildAttestations) != 1 || vo.MinRebuilds != 2 || vo.ExpectVersion != "v1.2.3" {
		t.Errorf("Verify: got key %v, %d rebuilder keys, %d attestations, min %d, version %q", vo.Key, len(vo.RebuilderKeys), len(vo.RebuildAttestations), vo.MinRebuilds, vo.ExpectVersion)
	}
	ro, err := fromEnv.Rebuild()
	if err != nil {
		t.Fatal(err)
	}
	if len(ro.Targets) != 2 || ro.Sign == nil || ro.Out != "ev" || !ro.FreshCache || ro.Go != "/opt/go/bin/go" || len(ro.Verify.RebuildAttestations) != 0 {
		t.Errorf("Rebuild: got %+v", ro)
	}
	uo, err := fromEnv.Upgrade()
	if err != nil {
		t.Fatal(err)
	}
	if uo.Current.Key.Fingerprint() == uo.Candidate.Key.Fingerprint() || uo.Current.ExpectVersion != "" || uo.Candidate.ExpectVersion != "v1.2.3" || !uo.AllowKeyRotation {
		t.Errorf("Upgrade: current key %s, candidate key %s, versions %q/%q", uo.Current.Key.Fingerprint(), uo.Candidate.Key.Fingerprint(), uo.Current.ExpectVersion, uo.Candidate.ExpectVersion)
	}
	vu, err := fromEnv.Vulns()
	if err != nil {
		t.Fatal(err)
	}
	if vu.Database != "vulndb.zip" || vu.Verify.Key == nil || vu.Verify.ExpectVersion != "v1.2.3" {
		t.Errorf("Vulns: got %+v", vu)
	}
	// A CI variable holds the rebuilders' keys as PEM text.
	var pemEnv Values
	if err := pemEnv.Env(func(k string) string {
		if k == "CAVRA_REBUILDER_KEYS" {
			return string(pemB) + string(pemB)
		}
		return ""
	}, "policy"); err != nil {
		t.Fatal(err)
	}
	if o, err := pemEnv.Verify(); err != nil || len(o.RebuilderKeys) != 2 {
		t.Errorf("PEM keys: got %d keys, %v, want 2", len(o.RebuilderKeys), err)
	}
}

// TestErrors: bad settings are errors naming the setting; files are read
// with a bound.
func TestErrors(t *testing.T) {
	release, a, _, aPriv := keys(t)
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.pub")
	if err := os.WriteFile(huge, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	for _, tc := range []struct {
		name string
		env  map[string]string
		call func(v *Values) error
		want string
	}{
		{"fingerprint", map[string]string{"CAVRA_KEY_FINGERPRINT": "md5:00"}, verifyErr, "want sha256:<hex>"},
		{"key too large", map[string]string{"CAVRA_KEY": huge}, verifyErr, "larger than"},
		{"key missing", map[string]string{"CAVRA_KEY": filepath.Join(dir, "nope.pub")}, verifyErr, "-key"},
		{"attestations without keys", map[string]string{"CAVRA_KEY": release, "CAVRA_REBUILD_ATTESTATIONS": huge}, verifyErr, "give -rebuilder-key"},
		{"folder without attestations", map[string]string{"CAVRA_REBUILDER_KEYS": a, "CAVRA_REBUILD_ATTESTATIONS": empty}, verifyErr, "no rebuild.intoto.jsonl"},
		{"min rebuilds", map[string]string{"CAVRA_MIN_REBUILDS": "-1"}, verifyErr, "CAVRA_MIN_REBUILDS"},
		{"switch", map[string]string{"CAVRA_JSON": "yes"}, verifyErr, "want 1 or 0"},
		{"target", map[string]string{"CAVRA_TARGET": "plan9/386"}, rebuildErr, "not in the release matrix"},
		{"sign key alone", map[string]string{"CAVRA_SIGN_KEY": aPriv}, rebuildErr, "go together"},
		{"rebuilder id not a URI", map[string]string{"CAVRA_SIGN_KEY": aPriv, "CAVRA_REBUILDER_ID": "alice"}, rebuildErr, "absolute URI"},
		{"re-check without a database", map[string]string{"CAVRA_KEY": release}, vulnsErr, "-db: name the vulnerability database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v Values
			err := v.Env(func(k string) string { return tc.env[k] }, "trust", "policy", "output", "rebuild", "upgrade", "vulns")
			if err == nil {
				err = tc.call(&v)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func verifyErr(v *Values) error  { _, err := v.Verify(); return err }
func rebuildErr(v *Values) error { _, err := v.Rebuild(); return err }
func vulnsErr(v *Values) error   { _, err := v.Vulns(); return err }

// TestKeyless gives the keyless settings as flags and as variables, and
// refuses a keyless setting without a trusted root and an identity policy.
func TestKeyless(t *testing.T) {
	root := filepath.Join("..", "..", "..", "signing", "trust", "keyless", "testdata", "public-good", "trusted_root.json")
	args := []string{"-trusted-root", root, "-certificate-identity", "https://github.com/cavra/cavra/.github/workflows/release.yml@refs/tags/v1.2.3",
		"-certificate-oidc-issuer", "https://token.actions.githubusercontent.com",
		"-certificate-github-workflow-repository", "cavra/cavra", "-certificate-github-workflow-ref", "refs/tags/v1.2.3",
		"-certificate-github-workflow-sha", "0123", "-certificate-github-workflow-trigger", "release", "-certificate-github-workflow-name", "release"}
	env := map[string]string{}
	for i := 0; i < len(args); i += 2 {
		for _, s := range Settings {
			if "-"+s.Flag == args[i] {
				env[s.Env] = args[i+1]
			}
		}
	}
	if len(env) != len(args)/2 {
		t.Fatalf("a keyless flag has no variable: %v", env)
	}
	var fromFlags, fromEnv Values
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fromFlags.Flags(fs, Verify...)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := fromEnv.Env(func(k string) string { return env[k] }, Verify...); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromFlags, fromEnv) {
		t.Fatalf("flags give\n%+v\nthe environment gives\n%+v", fromFlags, fromEnv)
	}
	o, err := fromEnv.Verify()
	if err != nil || o.Keyless == nil {
		t.Fatalf("got %v, %v; want a keyless verifier", o.Keyless, err)
	}
	if p := o.Keyless.Policy(); p.GitHubWorkflowRef != "refs/tags/v1.2.3" || p.Issuer != "https://token.actions.githubusercontent.com" {
		t.Errorf("policy %+v", p)
	}
	for _, c := range []struct {
		v    Values
		want string
	}{
		{Values{TrustedRoot: root}, "identity policy"},
		{Values{TrustedRoot: root, CertificateIdentity: "x"}, "identity policy"},
		{Values{TrustedRoot: root, CertificateOIDCIssuer: "x"}, "identity policy"},
		{Values{CertificateIdentity: "x", CertificateOIDCIssuer: "y"}, "give -trusted-root trusted_root.json, or -trust-dir"},
		{Values{CertificateIdentity: "x", CertificateOIDCIssuer: "y", AllowUnsigned: true}, "give -trusted-root trusted_root.json, or -trust-dir"},
		{Values{CertificateIdentity: "x", KeyFingerprint: "sha256:00"}, "identity policy"},
		{Values{CertificateIdentityRE: "(", CertificateOIDCIssuer: "y", KeyFingerprint: "sha256:00"}, "regexp"},
		{Values{TrustedRoot: "missing.json", CertificateIdentity: "x", CertificateOIDCIssuer: "y"}, "missing.json"},
		{Values{TrustedRoot: root, CertificateIdentityRE: "(", CertificateOIDCIssuer: "y"}, "regexp"},
	} {
		if _, err := c.v.Verify(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error about %s", c.v, err, c.want)
		}
	}
}

// TestKeylessPackageRoot: a package verifier given an identity policy
// and no -trusted-root, but trusted material that can vouch for the
// package's own trusted root, gets the policy alone; verify-blob still
// needs -trusted-root.
func TestKeylessPackageRoot(t *testing.T) {
	release, _, _, _ := keys(t)
	id, iss := "https://github.com/cavra/cavra/.github/workflows/release.yml@refs/tags/v1.2.3", "https://token.actions.githubusercontent.com"
	for _, v := range []Values{
		{Key: release, CertificateIdentity: id, CertificateOIDCIssuer: iss},
		{KeyFingerprint: "sha256:00", CertificateIdentity: id, CertificateOIDCIssuer: iss},
	} {
		o, err := v.Verify()
		if err != nil || o.Keyless != nil || o.KeylessPolicy.Identity != id || o.KeylessPolicy.Issuer != iss {
			t.Errorf("%+v: got %v, %+v, %v; want the policy alone", v, o.Keyless, o.KeylessPolicy, err)
		}
		r, err := v.Rebuild()
		if err != nil || r.Verify.KeylessPolicy.Identity != id {
			t.Errorf("rebuild %+v: got %+v, %v", v, r.Verify.KeylessPolicy, err)
		}
		u, err := v.Upgrade()
		if err != nil || u.Candidate.KeylessPolicy.Identity != id || u.Current.KeylessPolicy.Identity != id {
			t.Errorf("upgrade %+v: got %+v, %+v, %v", v, u.Candidate.KeylessPolicy, u.Current.KeylessPolicy, err)
		}
		v.Bundle = release // any file: the trusted root is refused first
		if _, err := v.Blob(); err == nil || !strings.Contains(err.Error(), "give -trusted-root") {
			t.Errorf("verify-blob %+v: got %v, want -trusted-root required", v, err)
		}
	}
}
