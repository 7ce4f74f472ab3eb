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
	"strings"
	"time"

	"github.com/cavra/cavra/internal/bounded"
	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
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

// checkKeyless checks the keyless bundles beside the package with the
// operator's trusted root and identity policy: each must be there and
// verify, for the zip its digest, for checksums.txt its digest, for the
// provenance the statement the package's envelope holds. Without a policy,
// bundles that are there are reported as not checked.
func checkKeyless(r *Report, pkg *Package, m *manifest.Manifest, o Options, src source) {
	for _, b := range keylessBundles(m.Package.Version, src) {
		data, err := bounded.ReadFile(filepath.Join(src.dir, b.name), sigstore.MaxBundle)
		switch {
		case errors.Is(err, fs.ErrNotExist) && o.Keyless == nil:
			continue
		case errors.Is(err, fs.ErrNotExist):
			r.fail(CheckKeyless, b.name, "missing beside the package: %s is not signed keyless (the release workflow's signing job writes it; carry it in with the zip)", b.signs)
			continue
		case err != nil:
			r.fail(CheckKeyless, b.name, "%v", err)
			continue
		case o.Keyless == nil:
			r.skip(CheckKeyless, b.name, "keyless bundle of %s not checked: give --trusted-root with --certificate-identity and --certificate-oidc-issuer", b.signs)
			continue
		}
		s, err := verifyKeyless(o.Keyless, pkg, src, b, data)
		if err != nil {
			r.fail(CheckKeyless, b.name, "%s: %v", b.signs, err)
			continue
		}
		r.Signers = append(r.Signers, Signer{Bundle: b.name, Signs: b.signs, Signer: *s})
		r.pass(CheckKeyless, b.name, "%s signed by %s", b.signs, signerString(s))
	}
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
