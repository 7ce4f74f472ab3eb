package verify

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/format/manifest"
	"github.com/cavra/cavra/packaging/verify/tufclient"
	"github.com/cavra/cavra/signing/trust"
)

// Trust labels of a report.
const (
	TrustUnsigned = "UNSIGNED"
	TrustNoKey    = "NO TRUSTED KEY"
)

// checkTrust decides which key the signatures are checked against: the
// operator's key, or the package's own key when its fingerprint is the one
// the operator gave or, with a trust folder, when it is a targets key of
// the trusted TUF root. It returns nil when there is none: then the package
// is trusted through its keyless bundles when the operator gave a keyless
// policy (see checkKeyless), and not at all otherwise.
func checkTrust(r *Report, pkg *Package, m *manifest.Manifest, o Options, res *tufclient.Result) *trust.Key {
	var own *trust.Key
	if data, ok := pkg.File(layout.PublicKey); ok {
		k, err := trust.ParsePublicKey(data)
		if err != nil {
			r.fail(CheckTrust, layout.PublicKey, "%v", err)
		} else {
			own = k
		}
	}
	if o.TUF != nil {
		return checkTUFTrust(r, own, o, res)
	}
	switch {
	case o.Key != nil:
		r.Trust, r.Key = "key "+o.Key.Fingerprint(), o.Key.Fingerprint()
		if p, ok := o.policy(); ok {
			r.Trust += " and keyless " + PolicyString(p)
		}
		if own != nil && !own.Equal(o.Key) {
			r.fail(CheckTrust, layout.PublicKey, "the package carries key %s, the trusted key is %s: signed or re-signed by someone else", own.Fingerprint(), o.Key.Fingerprint())
			return o.Key
		}
		r.pass(CheckTrust, layout.PublicKey, "signatures are checked against the trusted key %s", o.Key.Fingerprint())
		return o.Key
	case o.KeyFingerprint != "":
		r.Trust = "key " + o.KeyFingerprint
		if p, ok := o.policy(); ok {
			r.Trust += " and keyless " + PolicyString(p)
		}
		switch {
		case own == nil:
			r.fail(CheckTrust, layout.PublicKey, "no usable public key in the package to match fingerprint %s", o.KeyFingerprint)
			return nil
		case own.Fingerprint() != o.KeyFingerprint:
			r.fail(CheckTrust, layout.PublicKey, "the package's key has fingerprint %s, the trusted fingerprint is %s", own.Fingerprint(), o.KeyFingerprint)
			return nil
		}
		r.Key = o.KeyFingerprint
		r.pass(CheckTrust, layout.PublicKey, "the package's key matches the trusted fingerprint %s", o.KeyFingerprint)
		return own
	case !o.KeylessPolicy.IsZero() || o.Keyless != nil:
		p, _ := o.policy()
		r.Trust = "keyless " + PolicyString(p)
		r.pass(CheckTrust, "", "no key: the package is trusted through its keyless bundles (check %s), signed by %s", CheckKeyless, PolicyString(p))
		return nil
	case o.UnsafeAllowUnsigned:
		r.Trust = TrustUnsigned
		if !m.Snapshot {
			r.fail(CheckTrust, layout.PublicKey, "--allow-unsigned is for snapshot dry runs; %s is a release and needs --key or --key-fingerprint", m.Package.Version)
			return nil
		}
		r.skip(CheckTrust, layout.PublicKey, "UNSIGNED: signatures are not checked (--allow-unsigned, snapshot dry run)")
		return nil
	}
	r.Trust = TrustNoKey
	detail := "no trusted key: give --key FILE or --key-fingerprint sha256:..., or --trusted-root with --certificate-identity and --certificate-oidc-issuer for its keyless signatures; a package's own key proves nothing"
	if own != nil {
		detail += " (the package carries " + own.Fingerprint() + ", which is not trusted for that reason)"
	}
	r.fail(CheckTrust, layout.PublicKey, "%s", detail)
	return nil
}

// checkTUFTrust decides the key with a trust folder: the package's
// cosign.pub, when it is a targets key of the trusted root, and the
// operator's --key too when given.
func checkTUFTrust(r *Report, own *trust.Key, o Options, res *tufclient.Result) *trust.Key {
	if res == nil || res.Root == nil {
		r.Trust = TrustNoKey
		r.fail(CheckTrust, layout.PublicKey, "no trusted TUF root (see %s): the signatures are not checked", CheckTUFRoot)
		return nil
	}
	keys := tufKeys(res)
	var fps []string
	for _, k := range keys {
		fps = append(fps, k.Fingerprint())
	}
	has := func(k *trust.Key) bool { return slices.ContainsFunc(keys, k.Equal) }
	v := res.Root.Version
	switch {
	case own == nil:
		r.Trust = TrustNoKey
		r.fail(CheckTrust, layout.PublicKey, "no usable public key in the package; TUF root version %d trusts %s for targets", v, strings.Join(fps, ", "))
		return nil
	case !has(own):
		r.Trust = TrustNoKey
		r.fail(CheckTrust, layout.PublicKey, "the package's key %s is not a targets key of TUF root version %d (it trusts %s): signed by a key the root does not trust, or no longer trusts", own.Fingerprint(), v, strings.Join(fps, ", "))
		return nil
	case o.Key != nil && !has(o.Key):
		r.Trust = TrustNoKey
		r.fail(CheckTrust, layout.PublicKey, "--key %s is not a targets key of TUF root version %d (it trusts %s)", o.Key.Fingerprint(), v, strings.Join(fps, ", "))
		return nil
	case o.Key != nil && !own.Equal(o.Key):
		r.Trust = TrustNoKey
		r.fail(CheckTrust, layout.PublicKey, "the package carries key %s, --key is %s", own.Fingerprint(), o.Key.Fingerprint())
		return nil
	}
	r.Trust, r.Key = fmt.Sprintf("TUF root %d, key %s", v, own.Fingerprint()), own.Fingerprint()
	if p, ok := o.policy(); ok {
		r.Trust += " and keyless " + PolicyString(p)
	}
	r.pass(CheckTrust, layout.PublicKey, "signatures are checked against %s, the targets key of TUF root version %d in %s", own.Fingerprint(), v, o.TUF.Dir)
	return own
}

// signedFiles returns the files that must carry a detached signature: every
// file checksums.txt lists, and checksums.txt; nil when checksums.txt did
// not parse. checkChecksums records them as it reads the list.
func signedFiles(pkg *Package) []string { return pkg.signed }

// checkSignatures checks, for each signed file, its detached signature
// (.sig) and its Sigstore bundle (.sigstore.json) against key. Without a key
// each is skipped (the trust check has already failed or said UNSIGNED).
func checkSignatures(r *Report, pkg *Package, key *trust.Key, o Options) {
	files := signedFiles(pkg)
	if _, keyless := o.policy(); key == nil && keyless {
		r.skip(CheckSignature, "", "%d key signatures and %d key-signed bundles not checked: no trusted key; the keyless bundle of %s covers every listed file by digest (check %s)", len(files), len(files), checksums.Name, CheckKeyless)
		return
	}
	if key == nil {
		r.skip(CheckSignature, "", "%d signatures and %d bundles not checked: no trusted key", len(files), len(files))
		return
	}
	bad := 0
	for _, f := range files {
		for _, sig := range []struct {
			name   string
			verify func(data []byte, sum [32]byte, sig []byte) error
		}{
			{f + layout.SigSuffix, key.VerifyBlobSum},
			{f + layout.BundleSuffix, key.VerifyBundle},
		} {
			if err := checkSignature(pkg, f, sig.name, sig.verify); err != nil {
				r.fail(CheckSignature, sig.name, "%s: %v", f, err)
				bad++
			}
		}
	}
	if bad == 0 {
		r.pass(CheckSignature, "", "%d signatures and %d Sigstore bundles verify with %s", len(files), len(files), key.Fingerprint())
	}
}

// checkSignature checks the signature file sigName of the file f with
// verify. Every way it can go unchecked is an error.
func checkSignature(pkg *Package, f, sigName string, verify func(data []byte, sum [32]byte, sig []byte) error) error {
	sig, err := pkg.bytes(sigName)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("missing: %s is not signed", f)
		}
		return err
	}
	data, err := pkg.bytes(f)
	if err != nil {
		return fmt.Errorf("%s not checked: %w", f, err)
	}
	sum, err := hex.DecodeString(pkg.files[f].sha256)
	if err != nil || len(sum) != 32 {
		return fmt.Errorf("%s not checked: no digest", f)
	}
	return verify(data, [32]byte(sum), sig)
}
