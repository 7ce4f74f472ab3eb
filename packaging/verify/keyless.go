package verify

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/bounded"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/format/tuf"
	"github.com/cavra/cavra/packaging/verify/tufclient"
	"github.com/cavra/cavra/signing/trust"
	"github.com/cavra/cavra/signing/trust/keyless"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// Signer is who signed one keyless bundle of a package, as the verified
// certificate and log entry say.
type Signer struct {
	Bundle string `json:"bundle"` // the bundle, beside the package
	Signs  string `json:"signs"`  // what it signs: the zip, checksums.txt or the provenance
	keyless.Signer
}

// PolicyString renders an identity policy for reports: the identity and
// issuer, exactly or by pattern, and the GitHub claims it names.
func PolicyString(p keyless.Policy) string {
	id := p.Identity
	if id == "" {
		id = "~" + p.IdentityRegexp
	}
	iss := p.Issuer
	if iss == "" {
		iss = "~" + p.IssuerRegexp
	}
	s := id + " (" + iss + ")"
	for _, c := range []struct{ k, v string }{
		{"repository", p.GitHubWorkflowRepository}, {"ref", p.GitHubWorkflowRef}, {"sha", p.GitHubWorkflowSHA},
		{"trigger", p.GitHubWorkflowTrigger}, {"workflow", p.GitHubWorkflowName},
	} {
		if c.v != "" {
			s += " " + c.k + "=" + c.v
		}
	}
	return s
}

// keylessBundle is one keyless bundle the signing job makes beside a
// package: its name, and what it signs.
type keylessBundle struct {
	name  string
	signs string
}

// keylessBundles returns the keyless bundles of a package: those of
// checksums.txt and the provenance, and, for a zip, the zip's.
func keylessBundles(version string, src source) []keylessBundle {
	var out []keylessBundle
	if src.zip != "" {
		out = append(out, keylessBundle{filepath.Base(src.zip) + layout.KeylessSuffix, filepath.Base(src.zip)})
	}
	return append(out,
		keylessBundle{layout.KeylessChecksums(version), checksums.Name},
		keylessBundle{layout.KeylessProvenance(version), layout.Provenance})
}

// The sources of the Sigstore trusted root a report names.
const (
	TrustedRootOperator = "operator" // --trusted-root
	TrustedRootPackage  = "package"  // the package's sigstore/trusted_root.json, vouched for
)

// TrustedRoot is the Sigstore trusted root keyless bundles were checked
// against: the operator's, or the package's own and what vouched for it.
type TrustedRoot struct {
	Source string `json:"source"`           // TrustedRootOperator or TrustedRootPackage
	File   string `json:"file,omitempty"`   // the package's: its path in the package
	SHA256 string `json:"sha256,omitempty"` // the package's: its digest
	// VouchedBy is the trusted material that vouched for the package's:
	// "TUF targets version N" or "key sha256:...".
	VouchedBy string `json:"vouched_by,omitempty"`
}

// String says where the trusted root came from, for reports.
func (t *TrustedRoot) String() string {
	if t.Source == TrustedRootOperator {
		return "the operator's (--trusted-root)"
	}
	return "the package's " + t.File + ", vouched for by " + t.VouchedBy
}

// policy returns the keyless identity policy the operator gave, with or
// without a trusted root.
func (o *Options) policy() (keyless.Policy, bool) {
	if o.Keyless != nil {
		return o.Keyless.Policy(), true
	}
	return o.KeylessPolicy, !o.KeylessPolicy.IsZero()
}

// checkKeyless checks the keyless bundles beside the package with the
// operator's identity policy and trusted root or, without one, the
// package's own trusted root when trusted material vouches for it (see
// packageTrustedRoot): each must be there and verify, for the zip its
// digest, for checksums.txt its digest, for the provenance the statement
// the package's envelope holds. Without a policy, bundles that are there
// are reported as not checked.
func checkKeyless(r *Report, pkg *Package, m *manifest.Manifest, o Options, src source, key *trust.Key, res *tufclient.Result) {
	policy, ok := o.policy()
	v := o.Keyless
	switch {
	case v != nil:
		r.TrustedRoot = &TrustedRoot{Source: TrustedRootOperator}
	case ok:
		v = packageTrustedRoot(r, pkg, o, policy, key, res)
	}
	for _, b := range keylessBundles(m.Package.Version, src) {
		data, err := bounded.ReadFile(filepath.Join(src.dir, b.name), sigstore.MaxBundle)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !ok:
			continue
		case errors.Is(err, fs.ErrNotExist):
			r.fail(CheckKeyless, b.name, "missing beside the package: %s is not signed keyless (the release workflow's signing job writes it; carry it in with the zip)", b.signs)
			continue
		case err != nil:
			r.fail(CheckKeyless, b.name, "%v", err)
			continue
		case !ok:
			r.skip(CheckKeyless, b.name, "keyless bundle of %s not checked: give --certificate-identity and --certificate-oidc-issuer (with --trust-dir, or --trusted-root)", b.signs)
			continue
		case v == nil:
			r.skip(CheckKeyless, b.name, "keyless bundle of %s not checked: no Sigstore trusted root the operator trusts (see %s)", b.signs, layout.TrustedRoot)
			continue
		}
		s, err := verifyKeyless(v, pkg, src, b, data)
		if err != nil {
			r.fail(CheckKeyless, b.name, "%s: %v", b.signs, err)
			continue
		}
		r.Signers = append(r.Signers, Signer{Bundle: b.name, Signs: b.signs, Signer: *s})
		r.pass(CheckKeyless, b.name, "%s signed by %s", b.signs, signerString(s))
	}
}

// packageTrustedRoot returns a keyless verifier of the package's own
// sigstore/trusted_root.json with the policy, when trusted material
// vouches for it (see vouch), and reports which; else it fails the check
// and returns nil. A package's own trusted root, like its own key, proves
// nothing by itself: whoever made the package could have made the root
// and signed with it. Vouched for, it is as trustworthy as what vouched:
// whoever holds the keys that sign the package's TUF metadata (or the
// release key) could vouch for a Sigstore instance of their own, so the
// keyless check then adds no independence from those keys; the report
// says so, and the operator's --trusted-root gives that independence.
func packageTrustedRoot(r *Report, pkg *Package, o Options, p keyless.Policy, key *trust.Key, res *tufclient.Result) *keyless.Verifier {
	name := layout.TrustedRoot
	data, err := pkg.bytes(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.fail(CheckKeyless, name, "no Sigstore trusted root: the package carries none; give --trusted-root trusted_root.json")
		return nil
	case err != nil:
		r.fail(CheckKeyless, name, "%v", err)
		return nil
	}
	by, err := vouch(pkg, name, o, key, res)
	if err != nil {
		r.fail(CheckKeyless, name, "the package's Sigstore trusted root is not used: %v; a package's own trusted root proves nothing (give --trust-dir or --key, which vouch for it, or --trusted-root)", err)
		return nil
	}
	root, err := sigstore.ParseTrustedRoot(data)
	if err != nil {
		r.fail(CheckKeyless, name, "%v", err)
		return nil
	}
	v, err := keyless.New(root, p)
	if err != nil {
		r.fail(CheckKeyless, name, "%v", err)
		return nil
	}
	r.TrustedRoot = &TrustedRoot{Source: TrustedRootPackage, File: name, SHA256: pkg.files[name].sha256, VouchedBy: by}
	r.Trust += " (Sigstore trusted root: " + r.TrustedRoot.String() + ")"
	r.pass(CheckKeyless, name, "Sigstore's trusted root for the keyless bundles: the package's, vouched for by %s (so the keyless check is no stronger than the keys that vouch for it; --trusted-root checks independently of them)", by)
	return v
}

// vouch returns the trusted material that vouches for the file name of the
// package, or why none does. With a trust folder, only TUF: the targets
// metadata the client verified against the trusted root lists the file
// with its length, SHA-256 and SHA-512 (a file of another release, even
// signed by the same key, fails). Without one, the trusted key: the
// file's .sig and .sigstore.json verify with it, and so does checksums.txt,
// which lists the file with its digest.
func vouch(pkg *Package, name string, o Options, key *trust.Key, res *tufclient.Result) (string, error) {
	c := pkg.files[name]
	if o.TUF != nil {
		if res == nil || res.Targets == nil {
			return "", fmt.Errorf("the TUF metadata did not verify (see %s)", CheckTUFTargets)
		}
		tf, ok := res.Targets.Targets[name]
		if !ok {
			return "", fmt.Errorf("not a target of %s version %d", tuf.TargetsPath, res.Versions.Targets)
		}
		err := tuf.CheckFile(tf.Length, tf.Hashes, c.size, map[string]string{tuf.SHA256: c.sha256, tuf.SHA512: c.sha512})
		if err == nil && (tf.Length != c.size || tf.Hashes[tuf.SHA256] == "" || tf.Hashes[tuf.SHA512] == "") {
			err = errors.New("must list its length, sha256 and sha512")
		}
		if err != nil {
			return "", fmt.Errorf("%s version %d: %v", tuf.TargetsPath, res.Versions.Targets, err)
		}
		return fmt.Sprintf("TUF targets version %d", res.Versions.Targets), nil
	}
	if key == nil {
		return "", errors.New("no trusted key or trust folder vouches for it")
	}
	for _, f := range []string{name, checksums.Name} {
		for _, sig := range []struct {
			name   string
			verify func(data []byte, sum [32]byte, sig []byte) error
		}{{f + layout.SigSuffix, key.VerifyBlobSum}, {f + layout.BundleSuffix, key.VerifyBundle}} {
			if err := checkSignature(pkg, f, sig.name, sig.verify); err != nil {
				return "", fmt.Errorf("%s: %v", sig.name, err)
			}
		}
	}
	sums, _ := pkg.bytes(checksums.Name)
	lines, err := checksums.Parse(sums)
	if err != nil {
		return "", fmt.Errorf("%s: %v", checksums.Name, err)
	}
	if !slices.ContainsFunc(lines, func(l checksums.Line) bool { return l.Path == name && l.SHA256 == c.sha256 }) {
		return "", fmt.Errorf("%s does not list it with its SHA-256", checksums.Name)
	}
	return "key " + key.Fingerprint(), nil
}

// verifyKeyless verifies one keyless bundle over what it signs.
func verifyKeyless(v *keyless.Verifier, pkg *Package, src source, b keylessBundle, bundle []byte) (*keyless.Signer, error) {
	switch b.signs {
	case checksums.Name:
		data, err := pkg.bytes(checksums.Name)
		if err != nil {
			return nil, err
		}
		return v.VerifyMessage(bundle, sha256.Sum256(data), data)
	case layout.Provenance:
		env, err := pkg.bytes(layout.Provenance)
		if err != nil {
			return nil, err
		}
		e, payload, err := trust.ParseEnvelope(env)
		if err != nil {
			return nil, err
		}
		pt, p, s, err := v.VerifyDSSE(bundle)
		if err != nil {
			return nil, err
		}
		if pt != e.PayloadType || !bytes.Equal(p, payload) {
			return nil, fmt.Errorf("the attestation holds another statement than %s", layout.Provenance)
		}
		return s, nil
	}
	sum, err := fileSHA256(src.zip)
	if err != nil {
		return nil, err
	}
	return v.VerifyMessage(bundle, sum, nil)
}

func fileSHA256(path string) ([32]byte, error) {
	var sum [32]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// signerString renders a signer for a report line.
func signerString(s *keyless.Signer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)", s.Identity, s.Issuer)
	if s.Repository != "" {
		fmt.Fprintf(&b, ", %s %s at %.12s", s.Repository, s.Ref, s.Commit)
	}
	fmt.Fprintf(&b, ", log index %d integrated %s", s.LogIndex, s.IntegratedTime.UTC().Format(time.RFC3339))
	return b.String()
}
