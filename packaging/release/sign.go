package release

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/cavra/cavra/packaging/artifact"
	"github.com/cavra/cavra/packaging/checksums"
	"github.com/cavra/cavra/packaging/layout"
)

// Sign signs every file checksums.txt lists and checksums.txt itself, once
// each, and writes the signature twice: <file>.sig in the format of `cosign
// sign-blob --output-signature` (base64 of the signature), which `cosign
// verify-blob --key cosign.pub --signature <file>.sig <file>` checks (cosign
// v2), and <file>.sigstore.json, a key-signed Sigstore bundle, which `cosign
// verify-blob --key cosign.pub --bundle <file>.sigstore.json <file>` checks
// (cosign v3). Each file is signed from the bytes it was recorded with: a
// file changed on disk since its step fails the release.
type Sign struct{ Signer Signer }

// Name implements [Step].
func (Sign) Name() string { return "sign" }

// Run implements [Step].
func (sg Sign) Run(ctx context.Context, s *State) (artifact.List, error) {
	var todo artifact.List
	for _, a := range s.Artifacts {
		if Signed(a.Kind) {
			todo = append(todo, a)
		}
	}
	start := time.Now()
	out := make([]artifact.List, len(todo))
	errs := make([]error, len(todo))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0)*2) // KMS signing waits on the network
	var wg sync.WaitGroup
	for i, a := range todo {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = sg.one(ctx, s, a)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	s.Log.Done(fmt.Sprintf("sign %d files (%s)", len(todo), sg.Signer.Kind()), time.Since(start))
	return slices.Concat(out...), nil
}

func (sg Sign) one(ctx context.Context, s *State, a artifact.Artifact) (artifact.List, error) {
	data, err := os.ReadFile(filepath.Join(s.Dir, filepath.FromSlash(a.Path)))
	if err != nil {
		return nil, err
	}
	if got := checksums.SHA256(data); got != a.SHA256 {
		return nil, fmt.Errorf("%s changed on disk after its step recorded it", a.Path)
	}
	return signBlob(ctx, sg.Signer, s.Dir, a.Path, artifact.Signature, data)
}

// signBlob signs data, the bytes of the file p under dir, and writes p.sig
// and p.sigstore.json as artifacts of kind k that sign p.
func signBlob(ctx context.Context, sr Signer, dir, p string, k artifact.Kind, data []byte) (artifact.List, error) {
	sig, err := sr.Sign(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	bundle, err := sr.Bundle(data, sig)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	a, err := artifact.WriteFile(dir, p+layout.SigSuffix, k, 0o644, []byte(base64.StdEncoding.EncodeToString(sig)))
	if err != nil {
		return nil, err
	}
	b, err := artifact.WriteFile(dir, p+layout.BundleSuffix, k, 0o644, bundle)
	if err != nil {
		return nil, err
	}
	a.Format, a.Signs = "cosign-blob", p
	b.Format, b.Signs = "sigstore-bundle-v0.3", p
	return artifact.List{a, b}, nil
}
