package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/verify/options"
	"github.com/cavra/cavra/signing/keyless"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// runKeyless signs the package in -dist keyless (see package
// signing/keyless): the zip, checksums.txt and the provenance, each
// checked offline, against the package's sigstore/trusted_root.json when
// it has one, else Sigstore's trusted root fetched now, before it is
// written beside the zip with that trusted root.
func runKeyless(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cavra-release keyless", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dist := fs.String("dist", "dist", "the folder holding the package and its zip")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	_, version, err := layout.Find(*dist)
	if err != nil {
		return err
	}
	policy, ok := keyless.GitHubPolicy(os.Getenv)
	if !ok {
		var v options.Values
		if err := v.Env(os.Getenv, "keyless"); err != nil {
			return err
		}
		if policy = v.Policy(); policy.Identity == "" || policy.Issuer == "" {
			return errors.New("keyless signing outside GitHub Actions: say which identity the bundles must carry with CAVRA_CERTIFICATE_IDENTITY and CAVRA_CERTIFICATE_OIDC_ISSUER (and give the token in SIGSTORE_ID_TOKEN)")
		}
	}
	cache, err := keyless.TUFCache()
	if err != nil {
		return err
	}
	// Needed only when the package carries no sigstore/trusted_root.json,
	// or to explain a bundle that fails against the one it carries.
	fetch := func() ([]byte, error) {
		start := time.Now()
		root, err := keyless.FetchTrustedRoot(cache)
		if err == nil {
			fmt.Fprintf(stdout, "keyless: %s from Sigstore's TUF repository in %.1fs\n", sigstore.TrustedRootName, time.Since(start).Seconds())
		}
		return root, err
	}
	signer := &keyless.Sigstore{
		FulcioURL: env("CAVRA_FULCIO_URL", keyless.PublicGoodFulcio),
		RekorURL:  env("CAVRA_REKOR_URL", keyless.PublicGoodRekor),
		TSAURL:    os.Getenv("CAVRA_TSA_URL"),
		Token:     keyless.IDToken(os.Getenv, &http.Client{Timeout: 30 * time.Second}),
	}
	files, err := keyless.SignPackage(ctx, keyless.Options{
		Dist: *dist, Version: version, Signer: signer, Fetch: fetch, Policy: policy, Log: stdout,
	})
	for _, f := range files {
		fmt.Fprintf(stdout, "keyless: wrote %s\n", f)
	}
	return err
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
