package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/format/attestation"
	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/packaging/verify/htmlreport"
	"github.com/cavra/cavra/packaging/verify/options"
	"github.com/cavra/cavra/packaging/verify/vulns"
)

// pubPath names the public half of a private key file: rebuilder.pub for
// rebuilder.key, else the file name with .pub added.
func pubPath(priv string) string {
	if p, ok := strings.CutSuffix(priv, ".key"); ok {
		return p + ".pub"
	}
	return priv + ".pub"
}

func runKeygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cavra keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ed := fs.Bool("ed25519", false, "make an Ed25519 key instead of ECDSA P-256")
	out := fs.String("out", "rebuilder.key", "the private key file (mode 0600); the public key goes beside it, .key replaced by .pub")
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "cavra keygen: unexpected arguments %q\n", pos)
		return 2
	}
	alg := attestation.ECDSAP256
	if *ed {
		alg = attestation.Ed25519
	}
	s, err := attestation.GenerateKey(alg)
	if err == nil {
		err = s.WriteKeyPair(*out, pubPath(*out))
	}
	if err != nil {
		fmt.Fprintf(stderr, "cavra keygen: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "wrote %s (private, mode 0600; keep it secret) and %s (public; give it to those who trust your rebuilds)\n%s key, fingerprint %s\n",
		*out, pubPath(*out), s.Algorithm(), s.Public().Fingerprint())
	return 0
}

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cavra release report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the HTML page to write, e.g. report.html")
	var v options.Values
	v.Flags(fs, options.Report...)
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	opts, err := v.Verify()
	if err == nil && *out == "" {
		err = errors.New("-out: name the HTML page to write")
	}
	if err == nil && len(pos) != 1 {
		err = fmt.Errorf("want one package, got %d arguments", len(pos))
	}
	if err != nil {
		fmt.Fprintf(stderr, "cavra release report: %v\n", err)
		return 2
	}
	rep, pkg, err := verify.Path(pos[0], opts)
	if err != nil {
		fmt.Fprintf(stderr, "cavra release report: %v\n", err)
		return 2
	}
	meta := htmlreport.Meta{Tool: "cavra " + version, Generated: time.Now(), Command: "cavra release report " + strings.Join(args, " ")}
	if v.Database != "" {
		// The re-check verifies the package again, with the same trust.
		if meta.Recheck, err = vulns.Run(pos[0], vulns.Options{Verify: opts, Database: v.Database}); err != nil {
			fmt.Fprintf(stderr, "cavra release report: %v\n", err)
			return 2
		}
	}
	var page bytes.Buffer
	if err := htmlreport.Write(&page, rep, pkg, meta); err != nil {
		fmt.Fprintf(stderr, "cavra release report: %v\n", err)
		return 2
	}
	if err := os.WriteFile(*out, page.Bytes(), 0o644); err != nil {
		fmt.Fprintf(stderr, "cavra release report: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "%s  %s %s: %d checks passed, %d failed, %d skipped; %d rebuild attestation(s); report %s\n",
		rep.Status, rep.Package, rep.Version, rep.Passed, rep.Failed, rep.Skipped, len(rep.Rebuilders), *out)
	code := 0
	if !rep.OK() {
		for _, e := range rep.Errors() {
			fmt.Fprintf(stderr, "verify: %s\n", e)
		}
		code = 1
	}
	if rc := meta.Recheck; rc != nil {
		fmt.Fprintf(stdout, "%s  re-check against %s: %d vulnerabilities the package's VEX does not cover\n", rc.Status, rc.Database.Source, len(rc.New()))
		for _, f := range rc.New() {
			fmt.Fprintf(stderr, "vulns: %s %s %s (fixed in %s) in %s\n", f.ID, f.Module, f.Version, f.Fixed, strings.Join(f.Binaries, ", "))
		}
		if !rc.OK() {
			code = 1
		}
	}
	return code
}
