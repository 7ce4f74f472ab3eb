package release

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/cavra/cavra/packaging/artifact"
)

// Sign writes a detached signature <file>.sig for every file checksums.txt
// lists and for checksums.txt itself, in the format of `cosign sign-blob
// --output-signature` (base64 of the signature), so `cosign verify-blob --key
// cosign.pub --signature <file>.sig <file>` checks it. Each file is signed
// from the bytes it was recorded with: a file changed on disk since its step
// fails the release.
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
	out := make(artifact.List, len(todo))
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
	return out, nil
}

func (sg Sign) one(ctx context.Context, s *State, a artifact.Artifact) (artifact.Artifact, error) {
	data, err := os.ReadFile(filepath.Join(s.Dir, filepath.FromSlash(a.Path)))
	if err != nil {
		return artifact.Artifact{}, err
	}
	if got := sha256hex(data); got != a.SHA256 {
		return artifact.Artifact{}, fmt.Errorf("%s changed on disk after its step recorded it", a.Path)
	}
	sig, err := sg.Signer.Sign(ctx, data)
	if err != nil {
		return artifact.Artifact{}, fmt.Errorf("%s: %w", a.Path, err)
	}
	out, err := artifact.WriteFile(s.Dir, a.Path+SigSuffix, artifact.Signature, 0o644, []byte(base64.StdEncoding.EncodeToString(sig)))
	if err != nil {
		return artifact.Artifact{}, err
	}
	out.Signs = a.Path
	return out, nil
}
