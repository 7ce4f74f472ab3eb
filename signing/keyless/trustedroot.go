package keyless

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cavra/cavra/internal/bounded"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release"
	"github.com/cavra/cavra/packaging/release/artifact"
	"github.com/cavra/cavra/signing/trust/sigstore"
)

// TrustedRootEnv names the variable that gives a release Sigstore's
// trusted root: a trusted_root.json file to copy, or [FetchFromTUF].
const TrustedRootEnv = "CAVRA_SIGSTORE_TRUSTED_ROOT"

// FetchFromTUF, as the value of [TrustedRootEnv], fetches Sigstore's
// public-good trusted root through its TUF repository.
const FetchFromTUF = "fetch"

// TrustedRootStep puts Sigstore's trusted root into the package, as
// sigstore/trusted_root.json (see package layout), before the steps that
// list the package's files: it is then an ordinary file of the package,
// listed in checksums.txt, signed with the release key, in the bootstrap
// list and the evidence, and a target of the package's TUF metadata. A
// verifier whose trust folder (or release key) vouches for it checks the
// keyless bundles against it, and needs no other copy of it; the signing
// job checks every bundle it makes against it (see [SignPackage]).
//
// CAVRA_SIGSTORE_TRUSTED_ROOT says where the trusted root comes from: a
// file, copied byte for byte, or "fetch", through sigstore-go's TUF
// client (see [FetchTrustedRoot]), as the release workflow's release job
// does. Unset, the step writes nothing. What it writes must read as a
// trusted root (package github.com/cavra/cavra/signing/trust/sigstore).
type TrustedRootStep struct {
	// Getenv reads CAVRA_SIGSTORE_TRUSTED_ROOT; nil reads nothing, and the
	// step writes nothing.
	Getenv func(string) string
	// Fetch fetches Sigstore's trusted root for "fetch"; nil means
	// [FetchTrustedRoot] with the TUF cache in the user's cache folder.
	Fetch func(ctx context.Context) ([]byte, error)
}

var _ release.Step = TrustedRootStep{}

// Name implements [release.Step].
func (TrustedRootStep) Name() string { return "sigstore-trusted-root" }

// Run implements [release.Step].
func (st TrustedRootStep) Run(ctx context.Context, s *release.State) (artifact.List, error) {
	from := ""
	if st.Getenv != nil {
		from = strings.TrimSpace(st.Getenv(TrustedRootEnv))
	}
	if from == "" {
		return nil, nil
	}
	start := time.Now()
	data, what, err := st.read(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %w", TrustedRootEnv, from, err)
	}
	root, err := sigstore.ParseTrustedRoot(data)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %w", TrustedRootEnv, from, err)
	}
	a, err := artifact.WriteFile(s.Dir, layout.TrustedRoot, artifact.TrustedRoot, 0o644, data)
	if err != nil {
		return nil, err
	}
	a.Format = "sigstore-trusted-root"
	s.Log.Done(fmt.Sprintf("%s from %s: %d certificate authorities, %d transparency logs, %d CT logs, %d timestamp authorities",
		layout.TrustedRoot, what, len(root.CertificateAuthorities), len(root.Tlogs), len(root.CTLogs), len(root.TimestampAuthorities)), time.Since(start))
	return artifact.List{a}, nil
}

// read returns the trusted root from (a file, or "fetch") and says where
// it came from.
func (st TrustedRootStep) read(ctx context.Context, from string) ([]byte, string, error) {
	if from != FetchFromTUF {
		data, err := bounded.ReadFile(from, sigstore.MaxTrustedRoot)
		return data, from, err
	}
	fetch := st.Fetch
	if fetch == nil {
		fetch = func(context.Context) ([]byte, error) {
			dir, err := TUFCache()
			if err != nil {
				return nil, err
			}
			return FetchTrustedRoot(dir)
		}
	}
	data, err := fetch(ctx)
	return data, "Sigstore's TUF repository", err
}

// TUFCache returns the folder sigstore-go's TUF client caches Sigstore's
// TUF metadata in: cavra/sigstore-tuf in the user's cache folder.
func TUFCache() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "cavra", "sigstore-tuf"), nil
}
