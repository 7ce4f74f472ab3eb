//go:build mage

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/cavra/cavra/packaging/build"
	"github.com/cavra/cavra/packaging/layout"
	"github.com/cavra/cavra/packaging/rebuild"
	"github.com/cavra/cavra/packaging/reprotest"
	"github.com/cavra/cavra/packaging/upgrade"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/signing/trust"
)

// Verify groups the verification targets. Trusted material comes from the
// environment: CAVRA_KEY (the release public key file you trust) or
// CAVRA_KEY_FINGERPRINT (sha256:...); CAVRA_ALLOW_UNSIGNED=1 is for snapshot
// dry runs only. CAVRA_EXPECT_VERSION=v1.2.3 fails a package of any other
// version. CAVRA_JSON=1 prints JSON reports.
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
func (Verify) Rebuild(pkg string) error { return rebuildPath(pkg) }

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
	return o, nil
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
	o := rebuild.Options{Verify: vo, Out: env("CAVRA_OUT", "."), Log: os.Stdout}
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
