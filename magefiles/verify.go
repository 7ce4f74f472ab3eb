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

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release/reprotest"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/packaging/verify/options"
	"github.com/cavra/cavra/packaging/verify/rebuild"
	"github.com/cavra/cavra/packaging/verify/upgrade"
	"github.com/cavra/cavra/packaging/verify/vulns"
)

// Verify groups the verification targets. They take the settings of cavra
// release from the environment, each variable standing for a flag
// (CAVRA_TRUST_DIR for -trust-dir, CAVRA_KEY for -key, CAVRA_REBUILDER_KEYS
// for -rebuilder-key, ...; package options reads both, and the README's
// table lists every variable): the trusted material, the install policy,
// CAVRA_JSON=1 for JSON reports.
type Verify mg.Namespace

// Aliases make `go run mage.go verify rebuild` verify the package, then
// rebuild it.
var Aliases = map[string]interface{}{
	"verify": Check,
	"test":   Test.All,
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
	v, err := values(options.Verify...)
	if err != nil {
		return err
	}
	if len(v.RebuilderKeys) == 0 {
		return errors.New("verify:gate: CAVRA_REBUILDER_KEYS names no rebuilder key: the gate needs the keys of the rebuilders it waits for")
	}
	if len(v.RebuildAttestations) == 0 {
		v.RebuildAttestations = []string{"rebuild-attestations"}
	}
	o, err := v.Verify()
	if err != nil {
		return err
	}
	if !v.MinRebuilds.Given {
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
// removed, and the key is the same unless the TUF root chain names the new
// one (CAVRA_TRUST_DIR) or CAVRA_ALLOW_KEY_ROTATION=1 (CAVRA_CURRENT_KEY
// names the current package's key, default CAVRA_KEY).
func (Verify) Upgrade(current, candidate string) error {
	v, err := values(options.Upgrade...)
	if err != nil {
		return err
	}
	o, err := v.Upgrade()
	if err != nil {
		return err
	}
	rep, err := upgrade.Validate(current, candidate, o)
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

// values reads the verifier's settings of groups from the environment
// (see package options: CAVRA_KEY for -key, and so on).
func values(groups ...string) (*options.Values, error) {
	var v options.Values
	return &v, v.Env(os.Getenv, groups...)
}

func verifyPath(p string, dir bool) error {
	v, err := values(options.Verify...)
	if err != nil {
		return err
	}
	o, err := v.Verify()
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
	v, err := values(options.Rebuild...)
	if err != nil {
		return err
	}
	o, err := v.Rebuild()
	if err != nil {
		return fmt.Errorf("verify:rebuild: %w", err)
	}
	o.Log, o.Version = os.Stdout, "mage verify:rebuild"
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
	if v, err := values("output"); err == nil && v.JSON {
		return rep.WriteJSON(os.Stdout)
	}
	return rep.WriteText(os.Stdout)
}

// Vulns re-checks the package named by CAVRA_PACKAGE, or the only one in
// dist/, against the Go vulnerability database CAVRA_VULNDB (a folder of
// vuln.go.dev's layout, or vulndb.zip): every vulnerability that affects a
// module or Go version in its binaries and that its signed OpenVEX document
// does not cover fails it (cavra release vulns).
func (Verify) Vulns() error {
	p, err := found()
	if err != nil {
		return err
	}
	v, err := values(options.Vulns...)
	if err != nil {
		return err
	}
	o, err := v.Vulns()
	if err != nil {
		return fmt.Errorf("verify:vulns: %w", err)
	}
	rep, err := vulns.Run(p, o)
	if err != nil {
		return err
	}
	if err := show(rep); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("verify:vulns: %s: %d vulnerabilities the package's VEX does not cover%s", p, len(rep.New()), cond(rep.Error != "", ": "+rep.Error))
	}
	return nil
}

func cond(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}
