// Package options is the one place the verifier's settings are read: from
// the command line of cavra (flags) and from the environment of the mage
// targets (CAVRA_* variables) alike, into the options of packages verify,
// rebuild and upgrade. Every file a setting names is read here, with a size
// bound.
//
// Each setting is one row of [Settings]: its flag, its variable, its default
// and who reads it. A command registers the flags of the settings it takes
// ([Values.Flags]); a mage target reads their variables ([Values.Env]); both
// then build the same options ([Values.Verify], [Values.Rebuild],
// [Values.Upgrade]), so the two can never drift apart.
package options

import (
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/bounded"
	"github.com/cavra/cavra/packaging/format/attestation"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/packaging/verify/rebuild"
	"github.com/cavra/cavra/packaging/verify/tufclient"
	"github.com/cavra/cavra/packaging/verify/upgrade"
	"github.com/cavra/cavra/packaging/verify/vulns"
	"github.com/cavra/cavra/signing/trust"
	"github.com/cavra/cavra/signing/trust/keyless"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// Values are the verifier's settings as given, before any file is read.
type Values struct {
	Key            string // the release public key file
	KeyFingerprint string // sha256:<hex> of the package's own key
	AllowUnsigned  bool   // UNSAFE, snapshots only
	ExpectVersion  string

	TrustDir              string // the TUF trust folder, from cavra trust init
	At                    string // RFC 3339: check TUF expiry and key ages then
	RequireRotationPolicy bool

	RebuildAttestations []string // files, or folders holding rebuild.intoto.jsonl
	RebuilderKeys       []string // files, or PEM text holding public keys
	MinRebuilds         Count

	JSON bool

	Targets     []string // os/arch
	Out         string
	FreshCache  bool
	Go          string
	SignKey     string // a file, or the PEM key itself
	RebuilderID string

	CurrentKey       string
	AllowKeyRotation bool

	// Keyless: Sigstore's trusted root and the identity policy, with
	// cosign's flags and meaning (see package keyless).
	TrustedRoot              string
	CertificateIdentity      string
	CertificateIdentityRE    string
	CertificateOIDCIssuer    string
	CertificateOIDCIssuerRE  string
	GitHubWorkflowRepository string
	GitHubWorkflowRef        string
	GitHubWorkflowSHA        string
	GitHubWorkflowTrigger    string
	GitHubWorkflowName       string

	Bundle string // verify-blob: the bundle of the one file

	Database string // a vulnerability database folder or vulndb.zip
}

// Count is a whole number that knows whether it was given.
type Count struct {
	N     int
	Given bool
}

// Setting is one setting of the verifier: a flag of cavra's commands and
// the variable the mage targets read instead.
type Setting struct {
	Flag    string // without the dash
	Env     string
	Default string
	Usage   string
	// Group names the settings a command takes together: "trust",
	// "keyless", "policy", "rebuild", "upgrade", "vulns", "output", "blob".
	// A setting with no variable is a flag alone.
	Group string

	value func(v *Values) any // *string, *bool, *[]string or *Count
}

// Settings lists every setting, by group. The README's table of
// environment variables lists each (a test holds them to each other).
var Settings = []Setting{
	{Flag: "key", Env: "CAVRA_KEY", Group: "trust",
		Usage: "the release public key (PEM) you trust, obtained outside the package", value: func(v *Values) any { return &v.Key }},
	{Flag: "key-fingerprint", Env: "CAVRA_KEY_FINGERPRINT", Group: "trust",
		Usage: "trust the package's cosign.pub only if its fingerprint is this sha256:<hex>", value: func(v *Values) any { return &v.KeyFingerprint }},
	{Flag: "allow-unsigned", Env: "CAVRA_ALLOW_UNSIGNED", Group: "trust",
		Usage: "UNSAFE: for snapshot dry runs, do not check signatures (the report says UNSIGNED)", value: func(v *Values) any { return &v.AllowUnsigned }},
	{Flag: "expect-version", Env: "CAVRA_EXPECT_VERSION", Group: "trust",
		Usage: "fail unless the package is this version, e.g. v1.2.3", value: func(v *Values) any { return &v.ExpectVersion }},
	{Flag: "trust-dir", Env: "CAVRA_TRUST_DIR", Group: "trust",
		Usage: "the trust folder cavra trust init made: check the package's TUF metadata with it (root chain, rollback, freeze, every file) and record what passed",
		value: func(v *Values) any { return &v.TrustDir }},
	{Flag: "at", Env: "CAVRA_AT", Group: "trust", Default: "now",
		Usage: "check TUF expiry and key ages at this time (RFC 3339, e.g. 2027-01-02T15:04:05Z) instead of now; the report warns", value: func(v *Values) any { return &v.At }},
	{Flag: "require-rotation-policy", Env: "CAVRA_REQUIRE_ROTATION_POLICY", Group: "trust",
		Usage: "fail when the signing operations name a key past its rotation age (default: a warning)", value: func(v *Values) any { return &v.RequireRotationPolicy }},

	{Flag: "trusted-root", Env: "CAVRA_TRUSTED_ROOT", Group: "keyless",
		Usage: "Sigstore's trusted_root.json you trust, for keyless bundles; without it the package verifiers use the package's own sigstore/trusted_root.json when -trust-dir, -key or -key-fingerprint vouches for it", value: func(v *Values) any { return &v.TrustedRoot }},
	{Flag: "certificate-identity", Env: "CAVRA_CERTIFICATE_IDENTITY", Group: "keyless",
		Usage: "keyless: the signer's identity (the certificate's SAN), e.g. https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/V", value: func(v *Values) any { return &v.CertificateIdentity }},
	{Flag: "certificate-identity-regexp", Env: "CAVRA_CERTIFICATE_IDENTITY_REGEXP", Group: "keyless",
		Usage: "keyless: a regular expression the signer's identity matches", value: func(v *Values) any { return &v.CertificateIdentityRE }},
	{Flag: "certificate-oidc-issuer", Env: "CAVRA_CERTIFICATE_OIDC_ISSUER", Group: "keyless",
		Usage: "keyless: the OIDC issuer of the identity, e.g. https://token.actions.githubusercontent.com", value: func(v *Values) any { return &v.CertificateOIDCIssuer }},
	{Flag: "certificate-oidc-issuer-regexp", Env: "CAVRA_CERTIFICATE_OIDC_ISSUER_REGEXP", Group: "keyless",
		Usage: "keyless: a regular expression the OIDC issuer matches", value: func(v *Values) any { return &v.CertificateOIDCIssuerRE }},
	{Flag: "certificate-github-workflow-repository", Env: "CAVRA_CERTIFICATE_GITHUB_WORKFLOW_REPOSITORY", Group: "keyless",
		Usage: "keyless: the GitHub repository (OWNER/REPO) the workflow ran in", value: func(v *Values) any { return &v.GitHubWorkflowRepository }},
	{Flag: "certificate-github-workflow-ref", Env: "CAVRA_CERTIFICATE_GITHUB_WORKFLOW_REF", Group: "keyless",
		Usage: "keyless: the git ref the workflow ran for, e.g. refs/tags/v1.2.3", value: func(v *Values) any { return &v.GitHubWorkflowRef }},
	{Flag: "certificate-github-workflow-sha", Env: "CAVRA_CERTIFICATE_GITHUB_WORKFLOW_SHA", Group: "keyless",
		Usage: "keyless: the commit the workflow ran at", value: func(v *Values) any { return &v.GitHubWorkflowSHA }},
	{Flag: "certificate-github-workflow-trigger", Env: "CAVRA_CERTIFICATE_GITHUB_WORKFLOW_TRIGGER", Group: "keyless",
		Usage: "keyless: the event that triggered the workflow, e.g. release", value: func(v *Values) any { return &v.GitHubWorkflowTrigger }},
	{Flag: "certificate-github-workflow-name", Env: "CAVRA_CERTIFICATE_GITHUB_WORKFLOW_NAME", Group: "keyless",
		Usage: "keyless: the workflow's name", value: func(v *Values) any { return &v.GitHubWorkflowName }},

	{Flag: "bundle", Group: "blob",
		Usage: "the Sigstore bundle of the file (keyless, or key-signed with --key)", value: func(v *Values) any { return &v.Bundle }},

	{Flag: "rebuild-attestation", Env: "CAVRA_REBUILD_ATTESTATIONS", Group: "policy",
		Usage: "a rebuilder's signed rebuild attestation (rebuild.intoto.jsonl, or a folder holding some); repeatable",
		value: func(v *Values) any { return &v.RebuildAttestations }},
	{Flag: "rebuilder-key", Env: "CAVRA_REBUILDER_KEYS", Group: "policy",
		Usage: "a rebuilder's public key (PEM) you trust, obtained from the rebuilder; repeatable",
		value: func(v *Values) any { return &v.RebuilderKeys }},
	{Flag: "min-rebuilds", Env: "CAVRA_MIN_REBUILDS", Group: "policy", Default: "1 with any attestation, else 0",
		Usage: "trusted rebuilders that must have reproduced every binary", value: func(v *Values) any { return &v.MinRebuilds }},

	{Flag: "json", Env: "CAVRA_JSON", Group: "output",
		Usage: "print the report as JSON", value: func(v *Values) any { return &v.JSON }},

	{Flag: "target", Env: "CAVRA_TARGET", Group: "rebuild", Default: "every target",
		Usage: "rebuild only this os/arch; repeatable", value: func(v *Values) any { return &v.Targets }},
	{Flag: "out", Env: "CAVRA_OUT", Group: "rebuild", Default: ".",
		Usage: "folder for rebuild-evidence.json and rebuild-evidence.md", value: func(v *Values) any { return &v.Out }},
	{Flag: "fresh-cache", Env: "CAVRA_FRESH_CACHE", Group: "rebuild",
		Usage: "build with an empty GOCACHE", value: func(v *Values) any { return &v.FreshCache }},
	{Flag: "go", Env: "CAVRA_GO", Group: "rebuild", Default: "go from PATH",
		Usage: "the go command to rebuild with", value: func(v *Values) any { return &v.Go }},
	{Flag: "sign-key", Env: "CAVRA_SIGN_KEY", Group: "rebuild",
		Usage: "sign a rebuild attestation with this private key (PEM PKCS #8, from cavra keygen)", value: func(v *Values) any { return &v.SignKey }},
	{Flag: "rebuilder-id", Env: "CAVRA_REBUILDER_ID", Group: "rebuild",
		Usage: "who rebuilt, a URI, for the attestation (with -sign-key)", value: func(v *Values) any { return &v.RebuilderID }},

	{Flag: "db", Env: "CAVRA_VULNDB", Group: "vulns",
		Usage: "a Go vulnerability database to re-check against: a folder of vuln.go.dev's layout, or its vulndb.zip", value: func(v *Values) any { return &v.Database }},

	{Flag: "current-key", Env: "CAVRA_CURRENT_KEY", Group: "upgrade", Default: "the -key",
		Usage: "the public key trusted for the current package", value: func(v *Values) any { return &v.CurrentKey }},
	{Flag: "allow-key-rotation", Env: "CAVRA_ALLOW_KEY_ROTATION", Group: "upgrade",
		Usage: "accept a candidate signed by another key than the current package", value: func(v *Values) any { return &v.AllowKeyRotation }},
}

// The groups of settings each command takes.
var (
	Verify  = []string{"trust", "keyless", "policy", "output"}
	Rebuild = []string{"trust", "keyless", "rebuild", "output"}
	Upgrade = []string{"trust", "keyless", "upgrade", "output"}
	Report  = []string{"trust", "keyless", "policy", "vulns"}
	Vulns   = []string{"trust", "keyless", "vulns", "output"}
	Blob    = []string{"blob", "keyless"} // and the flag key
)

// each calls f for every setting of the groups.
func each(groups []string, f func(s Setting)) {
	for _, g := range groups {
		for _, s := range Settings {
			if s.Group == g {
				f(s)
			}
		}
	}
}

// Flags registers on fs the flags of the settings of groups, writing into v.
func (v *Values) Flags(fs *flag.FlagSet, groups ...string) {
	each(groups, func(s Setting) { v.flag(fs, s) })
}

// Flag registers on fs the flag of the one setting named flag.
func (v *Values) Flag(fs *flag.FlagSet, flag string) {
	for _, s := range Settings {
		if s.Flag == flag {
			v.flag(fs, s)
		}
	}
}

func (v *Values) flag(fs *flag.FlagSet, s Setting) {
	usage := s.Usage
	if s.Default != "" {
		usage += " (default: " + s.Default + ")"
	}
	switch p := s.value(v).(type) {
	case *string:
		fs.StringVar(p, s.Flag, *p, usage)
	case *bool:
		fs.BoolVar(p, s.Flag, *p, usage)
	case *[]string:
		fs.Var((*list)(p), s.Flag, usage)
	case *Count:
		fs.Var(p, s.Flag, usage)
	}
}

// Env reads into v the variables of the settings of groups that getenv
// returns set: a list is separated like PATH (or is PEM text, for keys), a
// switch is on when "1" or "true".
func (v *Values) Env(getenv func(string) string, groups ...string) error {
	var err error
	each(groups, func(s Setting) {
		if s.Env == "" {
			return
		}
		val := strings.TrimSpace(getenv(s.Env))
		if val == "" || err != nil {
			return
		}
		switch p := s.value(v).(type) {
		case *string:
			*p = val
		case *bool:
			switch val {
			case "1", "true":
				*p = true
			case "0", "false":
				*p = false
			default:
				err = fmt.Errorf("%s=%q: want 1 or 0", s.Env, val)
			}
		case *[]string:
			if strings.Contains(val, "-----BEGIN") {
				*p = append(*p, val)
				return
			}
			for _, e := range filepath.SplitList(val) {
				if e != "" {
					*p = append(*p, e)
				}
			}
		case *Count:
			if e := p.Set(val); e != nil {
				err = fmt.Errorf("%s=%q: %w", s.Env, val, e)
			}
		}
	})
	return err
}

// Verify returns the verifier's options: the trusted key, and the install
// policy with every attestation and rebuilder key read. A keyless identity
// policy without -trusted-root is checked against the package's own
// Sigstore trusted root, which -trust-dir, -key or -key-fingerprint must
// vouch for (see verify.Options.KeylessPolicy).
func (v *Values) Verify() (verify.Options, error) {
	o, err := v.trust(v.Key, v.KeyFingerprint)
	if err != nil {
		return o, err
	}
	for _, k := range v.RebuilderKeys {
		keys, err := publicKeys(k)
		if err != nil {
			return o, fmt.Errorf("-rebuilder-key: %w", err)
		}
		o.RebuilderKeys = append(o.RebuilderKeys, keys...)
	}
	for _, a := range v.RebuildAttestations {
		files, err := attestations(a)
		if err != nil {
			return o, fmt.Errorf("-rebuild-attestation: %w", err)
		}
		o.RebuildAttestations = append(o.RebuildAttestations, files...)
	}
	o.MinRebuilds = v.MinRebuilds.N
	if !v.MinRebuilds.Given && len(o.RebuildAttestations) > 0 {
		o.MinRebuilds = 1
	}
	if (o.MinRebuilds > 0 || len(o.RebuildAttestations) > 0) && len(o.RebuilderKeys) == 0 {
		return o, errors.New("rebuild attestations are checked against the rebuilders' keys you trust: give -rebuilder-key")
	}
	return o, nil
}

// trust returns the trusted material of a verification with key (a file)
// or fingerprint, and the trust folder.
func (v *Values) trust(key, fingerprint string) (verify.Options, error) {
	o := verify.Options{KeyFingerprint: fingerprint, UnsafeAllowUnsigned: v.AllowUnsigned, ExpectVersion: v.ExpectVersion,
		RequireRotationPolicy: v.RequireRotationPolicy}
	if fingerprint != "" && !strings.HasPrefix(fingerprint, "sha256:") {
		return o, fmt.Errorf("-key-fingerprint %q: want sha256:<hex>", fingerprint)
	}
	if key != "" {
		var err error
		if o.Key, err = trust.ReadPublicKey(key); err != nil {
			return o, fmt.Errorf("-key: %w", err)
		}
	}
	if v.At != "" {
		at, err := time.Parse(time.RFC3339, v.At)
		if err != nil {
			return o, fmt.Errorf("-at %q: want RFC 3339, e.g. 2027-01-02T15:04:05Z", v.At)
		}
		o.At = at
	}
	if v.TrustDir != "" {
		at := o.At
		if at.IsZero() {
			at = time.Now()
		}
		c, err := tufclient.Open(v.TrustDir, at)
		if err != nil {
			return o, fmt.Errorf("-trust-dir: %w", err)
		}
		o.TUF = c
	} else if v.At != "" {
		return o, errors.New("-at applies to the TUF checks: give -trust-dir")
	}
	var err error
	o.Keyless, o.KeylessPolicy, err = v.packageKeyless(o)
	return o, err
}

// packageKeyless returns, for the package verifiers, the keyless verifier
// of the operator's trusted root (see [Values.Keyless]) or, when the
// operator gave an identity policy but no trusted root, the policy alone:
// the keyless bundles are then checked against the package's own
// sigstore/trusted_root.json, where the trust folder or the release key
// vouches for it. With neither, nothing could vouch for it.
func (v *Values) packageKeyless(o verify.Options) (*keyless.Verifier, keyless.Policy, error) {
	p := v.Policy()
	if v.TrustedRoot != "" || p.IsZero() {
		k, err := v.Keyless()
		return k, keyless.Policy{}, err
	}
	if err := p.Check(); err != nil {
		return nil, keyless.Policy{}, err
	}
	if o.TUF == nil && o.Key == nil && o.KeyFingerprint == "" {
		return nil, keyless.Policy{}, errors.New("keyless verification needs Sigstore's trusted root: give -trusted-root trusted_root.json, or -trust-dir (or -key or -key-fingerprint) to use the package's own sigstore/trusted_root.json, which they vouch for")
	}
	return nil, p, nil
}

// Policy returns the keyless identity policy the settings state.
func (v *Values) Policy() keyless.Policy {
	return keyless.Policy{
		Identity: v.CertificateIdentity, IdentityRegexp: v.CertificateIdentityRE,
		Issuer: v.CertificateOIDCIssuer, IssuerRegexp: v.CertificateOIDCIssuerRE,
		GitHubWorkflowRepository: v.GitHubWorkflowRepository, GitHubWorkflowRef: v.GitHubWorkflowRef,
		GitHubWorkflowSHA: v.GitHubWorkflowSHA, GitHubWorkflowTrigger: v.GitHubWorkflowTrigger,
		GitHubWorkflowName: v.GitHubWorkflowName,
	}
}

// Keyless returns the keyless verifier of the operator's trusted root the
// settings ask for, as verify-blob takes it: nil when no keyless setting
// is given; an error when some are but not a trusted root and an identity
// policy (naming an identity and an issuer), since a keyless signature
// without a policy proves nothing, as cosign refuses it. (The package
// verifiers may do without the trusted root; see [Values.Verify].)
func (v *Values) Keyless() (*keyless.Verifier, error) {
	p := v.Policy()
	if v.TrustedRoot == "" && p.IsZero() {
		return nil, nil
	}
	if v.TrustedRoot == "" {
		return nil, errors.New("keyless verification needs Sigstore's trusted root: give -trusted-root trusted_root.json")
	}
	data, err := bounded.ReadFile(v.TrustedRoot, sigstore.MaxTrustedRoot)
	if err != nil {
		return nil, fmt.Errorf("-trusted-root: %w", err)
	}
	root, err := sigstore.ParseTrustedRoot(data)
	if err != nil {
		return nil, fmt.Errorf("-trusted-root %s: %w", v.TrustedRoot, err)
	}
	return keyless.New(root, p)
}

// BlobOptions are what verify-blob checks a file with: its bundle, and a
// key or a keyless verifier.
type BlobOptions struct {
	Bundle     []byte
	BundleName string
	Key        *trust.Key
	Keyless    *keyless.Verifier
}

// Blob returns the options of verify-blob: the bundle read, and exactly
// one of a key and a keyless policy.
func (v *Values) Blob() (BlobOptions, error) {
	o := BlobOptions{BundleName: v.Bundle}
	if v.Bundle == "" {
		return o, errors.New("give -bundle, the file's Sigstore bundle")
	}
	var err error
	if o.Bundle, err = bounded.ReadFile(v.Bundle, sigstore.MaxBundle); err != nil {
		return o, fmt.Errorf("-bundle: %w", err)
	}
	if v.Key != "" {
		if o.Key, err = trust.ReadPublicKey(v.Key); err != nil {
			return o, fmt.Errorf("-key: %w", err)
		}
	}
	if o.Keyless, err = v.Keyless(); err != nil {
		return o, err
	}
	switch {
	case o.Key != nil && o.Keyless != nil:
		return o, errors.New("give -key for a key-signed bundle or -trusted-root with an identity policy for a keyless one, not both")
	case o.Key == nil && o.Keyless == nil:
		return o, errors.New("give -key for a key-signed bundle, or -trusted-root with -certificate-identity and -certificate-oidc-issuer for a keyless one")
	}
	return o, nil
}

// Rebuild returns the rebuilder's options. A rebuild attests its own
// verdict: others' attestations are for the install policy, not for it.
func (v *Values) Rebuild() (rebuild.Options, error) {
	vo, err := v.trust(v.Key, v.KeyFingerprint)
	if err != nil {
		return rebuild.Options{}, err
	}
	o := rebuild.Options{Verify: vo, Out: v.Out, FreshCache: v.FreshCache, Go: v.Go, RebuilderID: v.RebuilderID}
	if o.Out == "" {
		o.Out = "."
	}
	for _, s := range v.Targets {
		for _, part := range strings.Split(s, ",") {
			t, err := build.ParseTarget(strings.TrimSpace(part))
			if err != nil {
				return o, fmt.Errorf("-target: %w", err)
			}
			if !t.Known() {
				return o, fmt.Errorf("-target: %s is not in the release matrix", t)
			}
			o.Targets = append(o.Targets, t)
		}
	}
	if (v.SignKey == "") != (v.RebuilderID == "") {
		return o, errors.New("-sign-key and -rebuilder-id go together: the attestation names who signed it")
	}
	if v.SignKey == "" {
		return o, nil
	}
	if err := checkURI(v.RebuilderID); err != nil {
		return o, fmt.Errorf("-rebuilder-id: %w", err)
	}
	if strings.Contains(v.SignKey, "-----BEGIN") {
		o.Sign, err = attestation.ParsePrivateKey([]byte(v.SignKey))
	} else {
		o.Sign, err = attestation.ReadPrivateKey(v.SignKey)
	}
	if err != nil {
		return o, fmt.Errorf("-sign-key: %w", err)
	}
	return o, nil
}

// Vulns returns the options of a re-check against a vulnerability
// database, which must be given.
func (v *Values) Vulns() (vulns.Options, error) {
	vo, err := v.trust(v.Key, v.KeyFingerprint)
	if err != nil {
		return vulns.Options{}, err
	}
	if v.Database == "" {
		return vulns.Options{}, errors.New("-db: name the vulnerability database to check against (a folder of vuln.go.dev's layout, or vulndb.zip)")
	}
	return vulns.Options{Verify: vo, Database: v.Database}, nil
}

// Upgrade returns the options of an upgrade check: the candidate is
// verified with the trusted material and -expect-version, the current
// package with -current-key when given.
func (v *Values) Upgrade() (upgrade.Options, error) {
	can, err := v.trust(v.Key, v.KeyFingerprint)
	if err != nil {
		return upgrade.Options{}, err
	}
	cur := can
	cur.ExpectVersion = "" // -expect-version names the candidate
	if v.CurrentKey != "" {
		if cur, err = v.trust(v.CurrentKey, ""); err != nil {
			return upgrade.Options{}, fmt.Errorf("-current-key: %w", err)
		}
		cur.ExpectVersion = ""
		cur.TUF = can.TUF // one trust folder, read once
	}
	// The current package is the installed one: checked against the root
	// it carries, not for rollback or expiry, and never recorded.
	cur.TUFInstalled = true
	return upgrade.Options{Current: cur, Candidate: can, AllowKeyRotation: v.AllowKeyRotation}, nil
}

// publicKeys reads public keys: a file, or PEM text holding one or more
// PUBLIC KEY blocks (as a CI variable holds them).
func publicKeys(v string) ([]*trust.Key, error) {
	if !strings.Contains(v, "-----BEGIN") {
		k, err := trust.ReadPublicKey(v)
		if err != nil {
			return nil, err
		}
		return []*trust.Key{k}, nil
	}
	var keys []*trust.Key
	rest := []byte(v)
	for {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		k, err := trust.ParsePublicKey(pem.EncodeToMemory(block))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, errors.New("text after the last PEM key")
	}
	return keys, nil
}

// attestations reads a rebuild attestation file, or every file named
// rebuild.intoto.jsonl in a folder, each of at most trust.MaxEnvelope
// bytes. A folder holding none is an error: the caller asked for
// attestations.
func attestations(p string) ([]verify.Attestation, error) {
	var out []verify.Attestation
	add := func(f string) error {
		data, err := bounded.ReadFile(f, trust.MaxEnvelope)
		if err != nil {
			return err
		}
		out = append(out, verify.Attestation{Name: f, Data: data})
		return nil
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return out, add(p)
	}
	err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != attestation.FileName {
			return err
		}
		return add(f)
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("no %s in %s", attestation.FileName, p)
	}
	return out, err
}

// checkURI checks that s is an absolute URI, as verifier.id must be.
func checkURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme == "" {
		return fmt.Errorf("%q is not an absolute URI (e.g. https://rebuilders.example.com/alice)", s)
	}
	return nil
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

// String implements flag.Value.
func (c *Count) String() string { return strconv.Itoa(c.N) }

// Set implements flag.Value: a whole number, 0 or more.
func (c *Count) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return errors.New("want a whole number, 0 or more")
	}
	c.N, c.Given = n, true
	return nil
}
