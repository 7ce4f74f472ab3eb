//go:build mage

package main

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/cavra/cavra/packaging/format/attestation"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release/reprotest"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/packaging/verify/rebuild"
	"github.com/cavra/cavra/packaging/verify/upgrade"
	"github.com/cavra/cavra/signing/trust"
)

// Verify groups the verification targets. Trusted material comes from the
// environment: CAVRA_KEY (the release public key file you trust) or
// CAVRA_KEY_FINGERPRINT (sha256:...); CAVRA_ALLOW_UNSIGNED=1 is for snapshot
// dry runs only. CAVRA_EXPECT_VERSION=v1.2.3 fails a package of any other
// version. CAVRA_JSON=1 prints JSON reports.
//
// The install policy (see cavra release verify-go-package):
// CAVRA_REBUILD_ATTESTATIONS lists rebuild attestations, files or folders
// searched for rebuild.intoto.jsonl, separated like PATH;
// CAVRA_REBUILDER_KEYS the rebuilders' public keys you trust, files
// separated like PATH or the PEM keys themselves (as a CI variable holds
// them); CAVRA_MIN_REBUILDS how many must have reproduced every binary
// (default 1 with any attestation).
type Verify mg.Namespace

// Aliases make `go run mage.go verify rebuild` verify the package, then
// rebuild it.
var Aliases = map[string]interface{}{
	"verify": Check,
}

// Bundle verifies a package zip in place, before transfer, without
// extracting it.
func (Verify) Bundle(zip string) error { return verifyPath(zip, false) }

// Package verifies an extracted package folder inside the restricted
// network.
func (Verify) Package(dir string) error { return verifyPath(dir, true) }

// Rebuild verifies a package (folder or zip), rebuilds its binaries from
// the shipped source offline and compares the digests. CAVRA_TARGET=os/arch
// limits the targets; evidence goes to CAVRA_OUT (default: the current folder).
// With CAVRA_SIGN_KEY (the rebuilder's private key: a file, or the PEM key
// itself, as a CI secret holds it) and CAVRA_REBUILDER_ID (a URI naming the
// rebuilder) it also signs rebuild.intoto.jsonl there.
func (Verify) Rebuild(pkg string) error { return rebuildPath(pkg) }

// Gate is the publish gate: the package verifies and every trusted
// rebuilder attests PASSED for every binary. The package is CAVRA_PACKAGE or
// the only one in dist/; the rebuilders' keys CAVRA_REBUILDER_KEYS
// (required); the attestations CAVRA_REBUILD_ATTESTATIONS (default: the
// folder rebuild-attestations, where the release workflow downloads the
// rebuilders' artifacts); CAVRA_MIN_REBUILDS defaults to the number of keys.
// A FAILED attestation from any of them fails the gate.
func (Verify) Gate() error {
	p, err := found()
	if err != nil {
		return err
	}
	o, err := trusted()
	if err != nil {
		return err
	}
	if len(o.RebuilderKeys) == 0 {
		return errors.New("verify:gate: CAVRA_REBUILDER_KEYS names no rebuilder key: the gate needs the keys of the rebuilders it waits for")
	}
	if env("CAVRA_REBUILD_ATTESTATIONS", "") == "" {
		if o.RebuildAttestations, err = attestationFiles("rebuild-attestations"); err != nil {
			return err
		}
	}
	if env("CAVRA_MIN_REBUILDS", "") == "" {
		o.MinRebuilds = len(o.RebuilderKeys)
	}
	rep, _, err := verify.Path(p, o)
	if err != nil {
		return err
	}
	if err := show(rep); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("verify:gate: %s must not be published: %d check(s) failed:\n%s", p, rep.Failed, strings.Join(rep.Errors(), "\n"))
	}
	return nil
}

// Reproducible releases the current commit twice, in two clones with
// different HOME, TZ, umask and time, and compares every file; it names the
// first file that differs.
func (Verify) Reproducible() error {
	rep, err := reprotest.Run(context.Background(), reprotest.Options{Root: ".", Log: os.Stdout})
	if err != nil {
		return err
	}
	if err := rep.WriteText(os.Stdout); err != nil {
		return err
	}
	if !rep.OK() {
		return errors.New("verify:reproducible: the two releases differ")
	}
	return nil
}

// Upgrade checks that the candidate package may replace the current one:
// both verify, the version is newer, no control, target or package is
// removed, and the key is the same unless CAVRA_ALLOW_KEY_ROTATION=1
// (CAVRA_CURRENT_KEY names the current package's key, default CAVRA_KEY).
func (Verify) Upgrade(current, candidate string) error {
	can, err := trusted()
	if err != nil {
		return err
	}
	cur := can
	cur.ExpectVersion = "" // CAVRA_EXPECT_VERSION names the candidate
	if p := env("CAVRA_CURRENT_KEY", ""); p != "" {
		if cur.Key, err = trust.ReadPublicKey(p); err != nil {
			return fmt.Errorf("CAVRA_CURRENT_KEY: %w", err)
		}
		cur.KeyFingerprint = ""
	}
	rep, err := upgrade.Validate(current, candidate, upgrade.Options{Current: cur, Candidate: can, AllowKeyRotation: env("CAVRA_ALLOW_KEY_ROTATION", "") == "1"})
	if err != nil {
		return err
	}
	if err := show(rep); err != nil {
		return err
	}
	if !rep.OK() {
		return errors.New("verify:upgrade: the candidate must not replace the current package")
	}
	return nil
}

// Check verifies the package named by CAVRA_PACKAGE, or the only one in
// dist/ (alias: verify).
func Check() error {
	p, err := found()
	if err != nil {
		return err
	}
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	return verifyPath(p, st.IsDir())
}

// Rebuild rebuilds the package named by CAVRA_PACKAGE, or the only one in
// dist/, after verifying it (`go run mage.go verify rebuild`).
func Rebuild() error {
	p, err := found()
	if err != nil {
		return err
	}
	return rebuildPath(p)
}

func found() (string, error) {
	if p := env("CAVRA_PACKAGE", ""); p != "" {
		return p, nil
	}
	p, _, err := layout.Find("dist")
	return p, err
}

// trusted returns the verifier options from CAVRA_KEY,
// CAVRA_KEY_FINGERPRINT, CAVRA_ALLOW_UNSIGNED and CAVRA_EXPECT_VERSION.
func trusted() (verify.Options, error) {
	o := verify.Options{
		KeyFingerprint:      env("CAVRA_KEY_FINGERPRINT", ""),
		UnsafeAllowUnsigned: env("CAVRA_ALLOW_UNSIGNED", "") == "1",
		ExpectVersion:       env("CAVRA_EXPECT_VERSION", ""),
	}
	if p := env("CAVRA_KEY", ""); p != "" {
		var err error
		if o.Key, err = trust.ReadPublicKey(p); err != nil {
			return o, fmt.Errorf("CAVRA_KEY: %w", err)
		}
	}
	return o, rebuildPolicy(&o)
}

// rebuildPolicy reads CAVRA_REBUILDER_KEYS, CAVRA_REBUILD_ATTESTATIONS and
// CAVRA_MIN_REBUILDS into o.
func rebuildPolicy(o *verify.Options) error {
	var err error
	if o.RebuilderKeys, err = rebuilderKeys(env("CAVRA_REBUILDER_KEYS", "")); err != nil {
		return fmt.Errorf("CAVRA_REBUILDER_KEYS: %w", err)
	}
	if v := env("CAVRA_REBUILD_ATTESTATIONS", ""); v != "" {
		if o.RebuildAttestations, err = attestationFiles(v); err != nil {
			return fmt.Errorf("CAVRA_REBUILD_ATTESTATIONS: %w", err)
		}
		o.MinRebuilds = 1
	}
	if v := env("CAVRA_MIN_REBUILDS", ""); v != "" {
		if o.MinRebuilds, err = strconv.Atoi(v); err != nil || o.MinRebuilds < 0 {
			return fmt.Errorf("CAVRA_MIN_REBUILDS=%q: want a whole number", v)
		}
	}
	return nil
}

// rebuilderKeys reads public keys: PEM text holding one or more PUBLIC KEY
// blocks, or files separated like PATH.
func rebuilderKeys(v string) ([]*trust.Key, error) {
	var keys []*trust.Key
	if strings.Contains(v, "-----BEGIN") {
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
	for _, p := range filepath.SplitList(v) {
		if p == "" {
			continue
		}
		k, err := trust.ReadPublicKey(p)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// attestationFiles reads rebuild attestations: files, and in folders every
// file named rebuild.intoto.jsonl, separated like PATH. Naming none is an
// error: the caller asked for attestations.
func attestationFiles(v string) ([]verify.Attestation, error) {
	var out []verify.Attestation
	add := func(p string) error {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, verify.Attestation{Name: p, Data: data})
		return nil
	}
	for _, p := range filepath.SplitList(v) {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if err := add(p); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != attestation.FileName {
				return err
			}
			return add(f)
		})
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s in %s", attestation.FileName, v)
	}
	return out, nil
}

// signer reads the rebuilder's key from CAVRA_SIGN_KEY: a file, or the PEM
// key itself.
func signer() (*attestation.Signer, error) {
	v := env("CAVRA_SIGN_KEY", "")
	switch {
	case v == "":
		return nil, nil
	case strings.Contains(v, "-----BEGIN"):
		return attestation.ParsePrivateKey([]byte(v))
	}
	return attestation.ReadPrivateKey(v)
}

func verifyPath(p string, dir bool) error {
	o, err := trusted()
	if err != nil {
		return err
	}
	var rep *verify.Report
	if dir {
		rep, _, err = verify.Dir(p, o)
	} else {
		rep, _, err = verify.Zip(p, o)
	}
	if err != nil {
		return err
	}
	if err := show(rep); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("verify: %s: %d check(s) failed:\n%s", p, rep.Failed, strings.Join(rep.Errors(), "\n"))
	}
	return nil
}

func rebuildPath(p string) error {
	vo, err := trusted()
	if err != nil {
		return err
	}
	// A rebuild attests its own verdict; others' attestations are for
	// the install policy, not for it.
	vo.RebuildAttestations, vo.RebuilderKeys, vo.MinRebuilds = nil, nil, 0
	o := rebuild.Options{Verify: vo, Out: env("CAVRA_OUT", "."), Log: os.Stdout, Version: "mage verify:rebuild"}
	if o.Sign, err = signer(); err != nil {
		return fmt.Errorf("CAVRA_SIGN_KEY: %w", err)
	}
	if o.RebuilderID = env("CAVRA_REBUILDER_ID", ""); (o.Sign == nil) != (o.RebuilderID == "") {
		return errors.New("verify:rebuild: CAVRA_SIGN_KEY and CAVRA_REBUILDER_ID go together: the attestation names who signed it")
	}
	if t := env("CAVRA_TARGET", ""); t != "" {
		for _, s := range strings.Split(t, ",") {
			tt, err := build.ParseTarget(s)
			if err != nil {
				return err
			}
			o.Targets = append(o.Targets, tt)
		}
	}
	rep, err := rebuild.Run(context.Background(), p, o)
	if err != nil {
		return err
	}
	if err := show(rep); err != nil {
		return err
	}
	fmt.Println("evidence:", filepath.Join(o.Out, rebuild.EvidenceJSON), filepath.Join(o.Out, rebuild.EvidenceMD))
	if rep.Attestation != nil {
		fmt.Println("attestation:", filepath.Join(o.Out, rep.Attestation.File), filepath.Join(o.Out, rep.Attestation.Bundle))
	}
	if !rep.OK() {
		return fmt.Errorf("verify:rebuild: %s: %s", p, rep.Status)
	}
	return nil
}

// show prints a report to standard output, as JSON when CAVRA_JSON=1.
func show(rep interface {
	WriteJSON(io.Writer) error
	WriteText(io.Writer) error
}) error {
	if env("CAVRA_JSON", "") == "1" {
		return rep.WriteJSON(os.Stdout)
	}
	return rep.WriteText(os.Stdout)
}
