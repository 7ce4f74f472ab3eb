package release

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/cavra/cavra/packaging/format/checksums"
	"github.com/cavra/cavra/packaging/format/layout"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// SignStep signs every file checksums.txt lists and checksums.txt itself, once
// each, and writes the signature twice: <file>.sig in the format of `cosign
// sign-blob --output-signature` (base64 of the signature), which `cosign
// verify-blob --key cosign.pub --signature <file>.sig <file>` checks (cosign
// v2), and <file>.sigstore.json, a key-signed Sigstore bundle, which `cosign
// verify-blob --key cosign.pub --bundle <file>.sigstore.json <file>` checks
// (cosign v3). Each file is signed as it was recorded: by the SHA-256 its
// step recorded when the key signs digests (ECDSA P-256), else from its
// bytes, read again and checked against that SHA-256; a file changed on
// disk since its step fails the release (here, or in [ZipStep], which reads
// every file).
type SignStep struct{ Signer Signer }

// Name implements [Step].
func (SignStep) Name() string { return "sign" }

// Run implements [Step].
func (sg SignStep) Run(ctx context.Context, s *State) (artifact.List, error) {
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

func (sg SignStep) one(ctx context.Context, s *State, a artifact.Artifact) (artifact.List, error) {
	return signFile(ctx, sg.Signer, s.Dir, a.Path, a.SHA256, artifact.Signature)
}

// signFile signs the file p under dir, whose SHA-256 is sum (hex), and
// writes p.sig and p.sigstore.json as artifacts of kind k that sign p.
func signFile(ctx context.Context, sr Signer, dir, p, sum string, k artifact.Kind) (artifact.List, error) {
	var sig, bundle []byte
	ok := false
	if ds, is := sr.(DigestSigner); is {
		digest, err := hex.DecodeString(sum)
		if err != nil || len(digest) != 32 {
			return nil, fmt.Errorf("%s: bad recorded SHA-256 %q", p, sum)
		}
		if sig, ok, err = ds.SignSHA256(ctx, digest); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if ok {
			if bundle, err = ds.BundleSHA256(digest, sig); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
	}
	if !ok {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		if checksums.SHA256(data) != sum {
			return nil, fmt.Errorf("%s changed on disk after its step recorded it", p)
		}
		if sig, err = sr.Sign(ctx, data); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if bundle, err = sr.Bundle(data, sig); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
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
