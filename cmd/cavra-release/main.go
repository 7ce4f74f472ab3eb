// Command cavra-release assembles a cavra-go-runtime release package. The mage
// targets run it (`go run ./cmd/cavra-release ...`); it is the one place that
// links the heavy release-time libraries, so that the runtime, the verifier
// and the mage binary never do.
//
// Usage:
//
//	cavra-release release [flags]            run every step; dist/go-runtime-<version>/ and its zip
//	cavra-release run -through STEP [flags]  run the steps up to STEP into -out (default dist/steps/STEP)
//	cavra-release steps                      list the steps in order
//	cavra-release keygen [-dir DIR]          write a cosign key pair (password from COSIGN_PASSWORD)
//	cavra-release key                        load the key COSIGN_KEY or COSIGN_PRIVATE_KEY names, sign
//	                                         and verify a probe with it, print its fingerprint
//	cavra-release keyless [-dist DIR]        sign the package in DIR (default dist) keyless: the zip,
//	                                         checksums.txt and the provenance, with the OIDC identity of
//	                                         the GitHub Actions job (or SIGSTORE_ID_TOKEN); checks each
//	                                         bundle against the package's sigstore/trusted_root.json (else
//	                                         Sigstore's, fetched) and writes the bundles and that
//	                                         trusted_root.json beside the zip
//	cavra-release trust init                 make the TUF trust repository: root keys, online key, root v1
//	cavra-release trust rotate ROLE          a new key for ROLE (root, targets, snapshot, timestamp): root N+1
//	cavra-release trust revoke KEYID         take KEYID out (and replace it), with CAVRA_REVOKE_REASON: root N+1
//	cavra-release trust status               the root, each role's keys and ages, what needs doing
//
// The trust commands work on the trust repository CAVRA_TRUST_REPO (default
// .cavra/trust; see package github.com/cavra/cavra/packaging/release/tufrepo),
// with the root keys CAVRA_ROOT_KEYS (default: its keys/root-*.key) and the
// passwords CAVRA_ROOT_PASSWORD, CAVRA_ONLINE_PASSWORD and COSIGN_PASSWORD;
// init takes the release key from COSIGN_KEY and the root quorum from
// CAVRA_ROOT_QUORUM (default 2/3); rotate and revoke make the new key, or
// adopt the one CAVRA_NEW_KEY names.
//
// Flags:
//
//	-version V     release version (default $VERSION, then git describe)
//	-out DIR       output folder (default dist)
//	-targets LIST  comma-separated os/arch subset of the matrix (default all six)
//
// Every binary is built with the release toolchain, build.Toolchain, found
// on this machine or fetched once through the module proxy (see
// build.FindGo); the vulns step checks the runtime with govulncheck against
// the vulnerability database go.mod pins and fails on a reachable
// vulnerability that vex/exceptions.yaml does not explain (see package
// github.com/cavra/cavra/packaging/release/vulns).
//
// The Linux packages, the SBOMs and the vulnerability documents are kept in
// a step cache in the user's cache folder (cavra/steps), keyed by this
// binary's build ID and every input, and copied from there when a release
// repeats them; CAVRA_STEP_CACHE=off makes them anew.
//
// The environment supplies SOURCE_DATE_EPOCH (default: the commit time),
// CAVRA_RELEASE=1 for a non-snapshot release, the GITHUB_* variables of a CI
// run, CAVRA_SIGSTORE_TRUSTED_ROOT (a trusted_root.json to put in the
// package as sigstore/trusted_root.json, or "fetch" for Sigstore's, through
// its TUF repository; see keyless.TrustedRootStep), and the signing key: COSIGN_KEY (a cosign.key path or a KMS URI) or
// COSIGN_PRIVATE_KEY (its contents), with COSIGN_PASSWORD. Without a key a
// snapshot is signed with a machine-local key; a release refuses to run.
//
// keyless signs with Sigstore's public-good instance (CAVRA_FULCIO_URL,
// CAVRA_REKOR_URL to change it; Rekor v1) and adds an RFC 3161 timestamp
// from CAVRA_TSA_URL when set. Inside GitHub Actions every bundle must
// verify, offline, as the workflow's identity (GITHUB_WORKFLOW_REF at
// GITHUB_SHA) before it is written; elsewhere CAVRA_CERTIFICATE_IDENTITY
// and CAVRA_CERTIFICATE_OIDC_ISSUER name the identity.
//
// A KMS or Kubernetes key needs its provider linked in with a build tag
// (awskms, gcpkms, azurekms, hashivault, k8s); `go run mage.go release`
// builds the command with the tag COSIGN_KEY needs, and a command built
// without it refuses the reference and names the tag.
//
// Exit status: 0 on success, 1 when a step fails, 2 on bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/steps"
	"github.com/cavra/cavra/packaging/release/tufrepo"
	"github.com/cavra/cavra/signing"
	"github.com/cavra/cavra/signing/keyless"
	"github.com/cavra/cavra/signing/trust"
)

func main() {
	// Interrupted, terminated (a CI job cancelled) or writing to a closed
	// pipe (`go run mage.go release | head`), a release stops as on any
	// error: it removes its staging folder and leaves the output folder as
	// it was. Without SIGPIPE here, the first write to the closed pipe
	// would kill the process before it could clean up.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGPIPE)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "steps":
		fmt.Fprintln(stdout, strings.Join(steps.Release(nil, nil, nil, keyless.TrustedRootStep{}).Steps(), "\n"))
		return 0
	case "release":
		err = runRelease(ctx, args[1:], "", stdout, stderr)
	case "run":
		err = runRelease(ctx, args[1:], "through", stdout, stderr)
	case "keygen":
		err = runKeygen(args[1:], stdout, stderr)
	case "key":
		err = runKey(ctx, args[1:], stdout, stderr)
	case "keyless":
		err = runKeyless(ctx, args[1:], stdout, stderr)
	case "trust":
		err = runTrust(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "cavra-release: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	switch {
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "cavra-release: %v\n", err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  cavra-release release [-version V] [-out DIR] [-targets os/arch,...]
  cavra-release run -through STEP [-version V] [-out DIR] [-targets os/arch,...]
  cavra-release steps
  cavra-release keygen [-dir DIR]
  cavra-release key
  cavra-release keyless [-dist DIR]
  cavra-release trust init | rotate ROLE | revoke KEYID | status
`)
}

// runKeygen writes a cosign key pair, encrypted with $COSIGN_PASSWORD.
func runKeygen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cavra-release keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "folder for cosign.key and cosign.pub")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	priv, pub, err := signing.Generate(*dir, []byte(os.Getenv("COSIGN_PASSWORD")))
	if err != nil {
		return err
	}
	key, err := signing.Load(context.Background(), signing.Options{Getenv: func(k string) string {
		switch k {
		case "COSIGN_KEY":
			return priv
		case "COSIGN_PASSWORD":
			return os.Getenv("COSIGN_PASSWORD")
		}
		return ""
	}})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "private key %s (keep it secret; never commit it)\npublic key  %s\nfingerprint %s\n", priv, pub, key.Fingerprint())
	return nil
}

// runKey loads the configured release key, signs a probe with it and
// checks the signature with the standard-library verifier, then prints
// what the key is.
func runKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cavra-release key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	key, err := signing.Load(ctx, signing.Options{})
	if err != nil {
		return err
	}
	pub, err := trust.ParsePublicKey(key.PublicKeyPEM())
	if err != nil {
		return fmt.Errorf("%s: public key: %w", key.Identity(), err)
	}
	probe := []byte("cavra-release key probe\n")
	sig, err := key.Sign(ctx, probe)
	if err != nil {
		return err
	}
	if err := pub.Verify(probe, sig); err != nil {
		return fmt.Errorf("%s: a signature of the key does not verify with its public key: %w", key.Identity(), err)
	}
	fmt.Fprintf(stdout, "key         %s (%s)\nfingerprint %s\nalgorithm   %s\nsigns and verifies: ok\n", key.Identity(), key.Kind(), key.Fingerprint(), pub.Algorithm())
	return nil
}

func runRelease(ctx context.Context, args []string, mode string, stdout, stderr io.Writer) error {
	opts, through, err := releaseFlags(args, mode, stderr)
	if err != nil {
		return err
	}
	log := release.NewLog(stdout)
	start := time.Now()
	opts.Refuse = func(c *release.Config) error {
		if !signing.Configured(os.Getenv) && !c.Snapshot {
			return signing.ErrNoKey
		}
		return nil
	}
	cfg, err := release.Detect(ctx, opts)
	if err != nil {
		return err
	}
	log.Done("release detected (git, go env)", time.Since(start))
	label := "release"
	if cfg.Snapshot {
		label = "SNAPSHOT"
	}
	log.Printf("cavra-go-runtime %s (%s) commit %s, %s, %d target(s)", cfg.Version, label, cfg.Commit[:12], cfg.GoVersion, len(cfg.Targets))
	if cfg.Go != nil {
		log.Printf("release toolchain %s: %s (%s)", cfg.Go.Version, cfg.Go.GOROOT, cfg.Go.Found)
	}
	p := steps.Release(steps.NewKey(os.Getenv), release.DefaultStepCache(os.Getenv), &tufrepo.Source{Getenv: os.Getenv}, keyless.TrustedRootStep{Getenv: os.Getenv})
	if through != "" {
		if p, err = p.Through(through); err != nil {
			return err
		}
	}
	_, statErr := os.Stat(cfg.Out)
	res, err := release.Run(ctx, cfg, p, log)
	if err != nil {
		if statErr != nil {
			os.Remove(cfg.Out) // made for this release, and empty: leave nothing
		}
		return err
	}
	log.Printf("package %s (%d files)", rel(res.Dir), len(res.Artifacts))
	if res.Zip != "" {
		log.Printf("zip     %s", rel(res.Zip))
	}
	log.Total("total")
	return nil
}

// releaseFlags reads the command line of release and run: the options of
// the release, and the last step to run ("" for all).
func releaseFlags(args []string, mode string, stderr io.Writer) (release.Options, string, error) {
	fs := flag.NewFlagSet("cavra-release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "", "release version (default $VERSION, then git describe)")
	out := fs.String("out", "", "output folder (default dist)")
	targets := fs.String("targets", "", "comma-separated os/arch subset of the matrix")
	through := ""
	if mode == "through" {
		fs.StringVar(&through, "through", "", "last step to run")
	}
	if err := fs.Parse(args); err != nil {
		return release.Options{}, "", errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %q\n", fs.Args())
		return release.Options{}, "", errUsage
	}
	if mode == "through" {
		if through == "" {
			fmt.Fprintln(fs.Output(), "-through STEP is required")
			return release.Options{}, "", errUsage
		}
		if _, err := steps.Release(nil, nil, nil, keyless.TrustedRootStep{}).Through(through); err != nil {
			return release.Options{}, "", err
		}
		if *out == "" {
			*out = filepath.Join("dist", "steps", through)
		}
	}
	opts := release.Options{Version: *version, Out: *out, Getenv: os.Getenv}
	if *targets != "" {
		for _, s := range strings.Split(*targets, ",") {
			t, err := build.ParseTarget(strings.TrimSpace(s))
			if err != nil {
				return release.Options{}, "", err
			}
			opts.Targets = append(opts.Targets, t)
		}
	}
	return opts, through, nil
}

func rel(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return p
}
