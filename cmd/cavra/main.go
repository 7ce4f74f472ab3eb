// Command cavra verifies and rebuilds cavra-go-runtime release packages. It is
// built from the standard library alone, so an air-gapped team can build it
// from the package's own source archive with nothing but a Go toolchain:
//
//	tar -xzf go-runtime-<version>/source/cavra-runtime-<version>-src.tar.gz
//	cd cavra-runtime-<version> && GOFLAGS=-mod=readonly GOPROXY=off go build ./cmd/cavra
//
// Usage:
//
//	cavra release verify-airgap-bundle [flags] <cavra-go-runtime-<version>.zip>
//	cavra release verify-go-package    [flags] <go-runtime-<version>/>
//	cavra release rebuild              [flags] <package folder or zip>
//	cavra release validate-upgrade     [flags] <current> <candidate>
//	cavra release report               [flags] -out report.html <package folder or zip>
//	cavra release vulns                [flags] -db DIR|vulndb.zip <package folder or zip>
//	cavra verify-blob                  -bundle B (-key K | -trusted-root T -certificate-identity I -certificate-oidc-issuer O) <file>
//	cavra trust init                   -root 1.root.json -trust-dir DIR
//	cavra trust status                 -trust-dir DIR
//	cavra keygen                       [-ed25519] [-out rebuilder.key]
//
// verify-airgap-bundle checks a zip in place, before transfer, without
// extracting it; verify-go-package checks the extracted folder inside the
// restricted network. Both run the same checks (see package
// github.com/cavra/cavra/packaging/verify for the list) and print one line per
// check, PASS, FAIL or SKIP, with the file and the reason.
//
// rebuild verifies the package, checks that the local go is the recorded
// version, rebuilds every target (or those given with -target) from the
// source archive with the network controls applied (GOPROXY=off, GOSUMDB=off,
// GOFLAGS=-trimpath -mod=readonly -buildvcs=false, GOTOOLCHAIN=local,
// GOWORK=off, GOENV=off), and compares each SHA-256 with the manifest. It
// writes rebuild-evidence.json and rebuild-evidence.md into -out (default
// the current folder; never inside the package).
//
// With -sign-key and -rebuilder-id, rebuild also signs its verdict as a
// rebuild attestation (see package github.com/cavra/cavra/packaging/attestation):
// rebuild.intoto.jsonl (a DSSE envelope around a SLSA verification summary
// whose subjects are the rebuilt binaries) and rebuild.sigstore.json (the
// same as a Sigstore bundle, for cosign v3), in -out. keygen makes the
// rebuilder's key pair, with the standard library: a PEM PKCS #8 private
// key (ECDSA P-256, or Ed25519 with -ed25519), mode 0600, and its public
// half beside it (rebuilder.pub for rebuilder.key); it never overwrites a
// file.
//
// The install policy: verify-airgap-bundle and verify-go-package take the
// attestations of independent rebuilders (-rebuild-attestation, repeatable),
// their public keys (-rebuilder-key, repeatable) and -min-rebuilds N. The
// package passes only when at least N attestations, each signed by a
// different trusted rebuilder key, say PASSED for this package and version
// and cover every binary of its manifest with matching digests. A FAILED
// attestation by a trusted rebuilder fails the package whatever the others
// say; an attestation by any other key is ignored, and the report says so.
//
// report verifies a package like verify-go-package and writes one
// self-contained HTML page for an auditor (-out): identity, signing key,
// build controls, every file, every check, every rebuilder, the rebuild
// commands; failures first, in red. Nothing in it is fetched from anywhere.
//
// Trust comes from outside the package. Without -key, -key-fingerprint or
// -trust-dir no verification passes: a package whose signatures only match
// the key it carries proves nothing, and the report says so.
//
// A trust folder makes the verifier a TUF client, offline (see package
// github.com/cavra/cavra/packaging/verify/tufclient): `cavra trust init`
// pins the root metadata obtained out of band (1.root.json) in DIR, and
// every command given -trust-dir DIR then walks the package's root chain
// from it (following key rotations and revocations), checks its timestamp,
// snapshot and targets metadata against rollback, freeze and mix-and-match,
// and every file against targets.json, before anything else of it is
// trusted; verify-airgap-bundle does so inside the zip. The signatures are
// checked against the targets key of the trusted root, and a package that
// passes is recorded in DIR/state.json, so that an older one is refused
// from then on. -at checks expiry as of another time (the report warns);
// keys past their rotation age are warnings, failures with
// -require-rotation-policy. `cavra trust status` prints what DIR trusts and
// has seen.
//
// verify-blob checks one file with its Sigstore bundle offline, with
// cosign's flags and meaning (`cosign verify-blob --bundle B
// --trusted-root T --certificate-identity I --certificate-oidc-issuer O
// FILE`): a keyless bundle (Fulcio certificate, Rekor entry with its
// inclusion proof, signed checkpoint and signed entry timestamp, RFC 3161
// timestamps) against Sigstore's trusted root and an identity policy, or a
// key-signed bundle with -key. Keyless without -certificate-identity (or
// -regexp) and -certificate-oidc-issuer (or -regexp) is refused, as cosign
// refuses it: a certificate for any identity would pass. A bundle holding
// an attestation must name the file's SHA-256 among its subjects. It prints
// the signer (identity, issuer, repository, ref, commit, log index,
// integration time) and "Verified OK", or the check that failed and why
// (see package github.com/cavra/cavra/signing/trust/keyless).
//
// The package verifiers take the same keyless flags for the keyless
// bundles the release's signing job writes beside the zip (see package
// github.com/cavra/cavra/packaging/format/layout), alone or with -key.
// Without -trusted-root they check them against the package's own
// sigstore/trusted_root.json, but only when -trust-dir (its TUF targets
// list it) or -key or -key-fingerprint (the release key signed it)
// vouches for it; the report says which trusted root was used.
//
// vulns verifies the package, then re-checks every binary against a Go
// vulnerability database the operator brings (-db: a folder of vuln.go.dev's
// layout, or its vulndb.zip), newer than the one the release was checked
// against: it reads each binary's build info (Go version and module
// versions, with debug/buildinfo), matches the database's entries against
// them, and lists every vulnerability that affects one and that the
// package's signed OpenVEX document does not already cover, with its id,
// module, version, fixed version and binaries (see package
// github.com/cavra/cavra/packaging/verify/vulns). It fails on any.
//
// validate-upgrade verifies two packages and checks that the candidate may
// replace the current one (see package
// github.com/cavra/cavra/packaging/upgrade): a newer version, no removed
// controls, targets or packages, and the same signing key unless
// -allow-key-rotation (with -current-key naming the old key).
//
// Flags:
//
//	-key FILE          the release public key (PEM), obtained outside the package
//	-key-fingerprint sha256:HEX
//	                   trust the package's cosign.pub only if it has this fingerprint
//	-allow-unsigned    UNSAFE, snapshots only: skip signature checks; the report says UNSIGNED
//	-expect-version V  fail unless the package is version V (a zip named
//	                   cavra-go-runtime-<V>.zip must hold version V in any case)
//	-trust-dir DIR     the trust folder of cavra trust init: the TUF checks, and the record
//	-at TIME           (with -trust-dir) check TUF expiry and key ages at this RFC 3339 time
//	-require-rotation-policy
//	                   fail when a key is past its rotation age
//	-json              print the report as JSON instead of text
//	-target os/arch    (rebuild) rebuild only this target; repeatable
//	-out DIR           (rebuild) folder for the evidence files
//	-fresh-cache       (rebuild) build with an empty GOCACHE
//	-go PATH           (rebuild) the go command to use
//	-sign-key FILE     (rebuild) the rebuilder's private key: sign a rebuild attestation
//	-rebuilder-id URI  (rebuild) who rebuilt, in the attestation (verifier.id)
//	-rebuild-attestation FILE
//	                   (verify, report) a rebuilder's rebuild.intoto.jsonl; repeatable
//	-rebuilder-key FILE
//	                   (verify, report) a rebuilder's public key you trust; repeatable
//	-min-rebuilds N    (verify, report) trusted rebuilders that must have reproduced every
//	                   binary (default 1 when any -rebuild-attestation is given, else 0)
//	-out FILE          (report) the HTML page to write
//	-bundle FILE       (verify-blob) the file's Sigstore bundle
//	-trusted-root FILE Sigstore's trusted_root.json, for keyless bundles (package verifiers:
//	                   default the package's own, when -trust-dir or the key vouches for it)
//	-certificate-identity I, -certificate-identity-regexp RE
//	                   the keyless signer's identity (the certificate's SAN)
//	-certificate-oidc-issuer O, -certificate-oidc-issuer-regexp RE
//	                   the OIDC issuer of that identity
//	-certificate-github-workflow-repository, -ref, -sha, -trigger, -name
//	                   GitHub Actions claims the certificate must carry
//	-db DIR|ZIP        (vulns, report) a Go vulnerability database to re-check against
//
// Exit status: 0 when every check passed, 1 when any check failed, 2 when the
// command line is wrong or the input cannot be read. A skipped check is never
// shown as passed.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/cavra/cavra/packaging/verify"
	"github.com/cavra/cavra/packaging/verify/options"
	"github.com/cavra/cavra/packaging/verify/rebuild"
	"github.com/cavra/cavra/packaging/verify/upgrade"
	"github.com/cavra/cavra/packaging/verify/vulns"
)

var version = "devel"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usageText = `usage:
  cavra release verify-airgap-bundle [-trust-dir DIR [-at TIME] | -key FILE | -key-fingerprint sha256:HEX | -allow-unsigned]
                        [-expect-version V] [-require-rotation-policy] [-json]
                        [-rebuild-attestation FILE]... [-rebuilder-key FILE]... [-min-rebuilds N] <zip>
  cavra release verify-go-package [-trust-dir DIR [-at TIME] | -key FILE | -key-fingerprint sha256:HEX | -allow-unsigned]
                        [-expect-version V] [-require-rotation-policy] [-json]
                        [-rebuild-attestation FILE]... [-rebuilder-key FILE]... [-min-rebuilds N] <folder>
  cavra release rebuild [-trust-dir DIR | -key FILE | -key-fingerprint sha256:HEX | -allow-unsigned] [-expect-version V] [-json]
                        [-target os/arch]... [-out DIR] [-fresh-cache] [-go PATH]
                        [-sign-key FILE -rebuilder-id URI] <folder or zip>
  cavra release validate-upgrade [-trust-dir DIR | -key FILE] [-current-key FILE] [-allow-key-rotation] [-expect-version V] [-json] <current> <candidate>
  cavra release report [-trust-dir DIR | -key FILE | -key-fingerprint sha256:HEX | -allow-unsigned] [-expect-version V]
                        [-rebuild-attestation FILE]... [-rebuilder-key FILE]... [-min-rebuilds N] [-db DIR|ZIP] -out FILE <folder or zip>
  cavra release vulns [-key FILE | -key-fingerprint sha256:HEX | -allow-unsigned] [-expect-version V] [-json]
                        -db DIR|vulndb.zip <folder or zip>
  cavra verify-blob -bundle FILE (-key FILE | -trusted-root FILE -certificate-identity[-regexp] I -certificate-oidc-issuer[-regexp] O)
                        [-certificate-github-workflow-repository R] [-certificate-github-workflow-ref REF] [-certificate-github-workflow-sha SHA]
                        [-certificate-github-workflow-trigger T] [-certificate-github-workflow-name N] [-json] <file>
  cavra trust init -root 1.root.json -trust-dir DIR
  cavra trust status -trust-dir DIR
  cavra keygen [-ed25519] [-out FILE]
  cavra version
keyless (every verify command): [-trusted-root FILE] -certificate-identity[-regexp] I -certificate-oidc-issuer[-regexp] O
                        [-certificate-github-workflow-repository|-ref|-sha|-trigger|-name V]
                        (without -trusted-root: the package's sigstore/trusted_root.json, vouched for by -trust-dir or the key)
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	switch args[0] {
	case "version":
		fmt.Fprintf(stdout, "cavra %s\n", version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return 0
	case "keygen":
		return runKeygen(args[1:], stdout, stderr)
	case "verify-blob":
		return runVerifyBlob(args[1:], stdout, stderr)
	case "trust":
		return runTrust(args[1:], stdout, stderr)
	case "release":
	default:
		fmt.Fprintf(stderr, "cavra: unknown command %q\n%s", args[0], usageText)
		return 2
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	cmd, args := args[1], args[2:]
	switch cmd {
	case "verify-airgap-bundle", "verify-go-package":
		return runVerify(cmd, args, stdout, stderr)
	case "rebuild":
		return runRebuild(ctx, args, stdout, stderr)
	case "validate-upgrade":
		return runUpgrade(args, stdout, stderr)
	case "report":
		return runReport(args, stdout, stderr)
	case "vulns":
		return runVulns(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "cavra release: unknown command %q\n%s", cmd, usageText)
	return 2
}

// report is what every command prints: a verification, rebuild or upgrade
// report.
type report interface {
	WriteJSON(io.Writer) error
	WriteText(io.Writer) error
	OK() bool
}

// emit prints rep as JSON or text and returns the exit status: 0 when it
// passed, 1 when it failed, 2 when it could not be printed.
func emit(name string, rep report, asJSON bool, stdout, stderr io.Writer) int {
	var err error
	if asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	if !rep.OK() {
		return 1
	}
	return 0
}

// parse parses flags anywhere among the arguments and returns the
// positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runVerify(cmd string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cavra release "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var v options.Values
	v.Flags(fs, options.Verify...)
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	opts, err := v.Verify()
	if err != nil {
		fmt.Fprintf(stderr, "cavra release %s: %v\n", cmd, err)
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "cavra release %s: want one package, got %d arguments\n", cmd, len(pos))
		return 2
	}
	st, err := os.Stat(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "cavra release %s: %v\n", cmd, err)
		return 2
	}
	var rep *verify.Report
	switch {
	case cmd == "verify-airgap-bundle" && st.IsDir():
		fmt.Fprintf(stderr, "cavra release %s: %s is a folder; use verify-go-package\n", cmd, pos[0])
		return 2
	case cmd == "verify-go-package" && !st.IsDir():
		fmt.Fprintf(stderr, "cavra release %s: %s is not a folder; use verify-airgap-bundle for a zip\n", cmd, pos[0])
		return 2
	case st.IsDir():
		rep, _, err = verify.Dir(pos[0], opts)
	default:
		rep, _, err = verify.Zip(pos[0], opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cavra release %s: %v\n", cmd, err)
		return 2
	}
	code := emit("cavra release "+cmd, rep, v.JSON, stdout, stderr)
	if code == 1 {
		for _, e := range rep.Errors() {
			fmt.Fprintf(stderr, "verify: %s\n", e)
		}
	}
	return code
}

func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cavra release rebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var v options.Values
	v.Flags(fs, options.Rebuild...)
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	o, err := v.Rebuild()
	if err == nil && len(pos) != 1 {
		err = fmt.Errorf("want one package, got %d arguments", len(pos))
	}
	if err != nil {
		fmt.Fprintf(stderr, "cavra release rebuild: %v\n", err)
		return 2
	}
	o.Version = version
	if !v.JSON {
		o.Log = stdout
	}
	rep, err := rebuild.Run(ctx, pos[0], o)
	if err != nil {
		fmt.Fprintf(stderr, "cavra release rebuild: %v\n", err)
		if rep == nil {
			return 2
		}
		return 1
	}
	return emit("cavra release rebuild", rep, v.JSON, stdout, stderr)
}

func runVulns(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cavra release vulns", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var v options.Values
	v.Flags(fs, options.Vulns...)
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	o, err := v.Vulns()
	if err == nil && len(pos) != 1 {
		err = fmt.Errorf("want one package, got %d arguments", len(pos))
	}
	if err != nil {
		fmt.Fprintf(stderr, "cavra release vulns: %v\n", err)
		return 2
	}
	rep, err := vulns.Run(pos[0], o)
	if err != nil {
		fmt.Fprintf(stderr, "cavra release vulns: %v\n", err)
		return 2
	}
	code := emit("cavra release vulns", rep, v.JSON, stdout, stderr)
	if code == 1 {
		if rep.Error != "" {
			fmt.Fprintf(stderr, "vulns: %s\n", rep.Error)
		}
		for _, f := range rep.New() {
			fmt.Fprintf(stderr, "vulns: %s %s %s (fixed in %s) in %s\n", f.ID, f.Module, f.Version, cmp.Or(f.Fixed, "no release yet"), strings.Join(f.Binaries, ", "))
		}
	}
	return code
}

func runUpgrade(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cavra release validate-upgrade", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var v options.Values
	v.Flags(fs, options.Upgrade...)
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	o, err := v.Upgrade()
	if err == nil && len(pos) != 2 {
		err = fmt.Errorf("want <current> <candidate>, got %d arguments", len(pos))
	}
	if err != nil {
		fmt.Fprintf(stderr, "cavra release validate-upgrade: %v\n", err)
		return 2
	}
	rep, err := upgrade.Validate(pos[0], pos[1], o)
	if err != nil {
		fmt.Fprintf(stderr, "cavra release validate-upgrade: %v\n", err)
		return 2
	}
	return emit("cavra release validate-upgrade", rep, v.JSON, stdout, stderr)
}

func runVerifyBlob(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cavra verify-blob", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var v options.Values
	v.Flag(fs, "key")
	v.Flag(fs, "json")
	v.Flags(fs, options.Blob...)
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	o, err := v.Blob()
	if err == nil && len(pos) != 1 {
		err = fmt.Errorf("want one file, got %d arguments", len(pos))
	}
	if err != nil {
		fmt.Fprintf(stderr, "cavra verify-blob: %v\n", err)
		return 2
	}
	res, err := verify.Blob(pos[0], o.BundleName, o.Bundle, o.Key, o.Keyless)
	if err != nil {
		fmt.Fprintf(stderr, "cavra verify-blob: %v\n", err)
		return 2
	}
	code := emit("cavra verify-blob", res, v.JSON, stdout, stderr)
	if code == 1 {
		fmt.Fprintf(stderr, "cavra verify-blob: %s: %s\n", pos[0], res.Error)
	}
	return code
}
