package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cavra/cavra/packaging/format/archive"
	"github.com/cavra/cavra/packaging/format/build"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// BuildStep cross-compiles the runtime for every target of the release, in
// parallel, from the source archive written by [SourceStep]: the archive is
// extracted with the same checks a rebuilder applies, and each target is built
// with its recorded command and the network controls on top.
type BuildStep struct {
	// Runner runs the go command; nil means the go in PATH with the
	// network controls of [build.Network].
	Runner *build.Runner
}

// Name implements [Step].
func (BuildStep) Name() string { return "build" }

// Run implements [Step].
func (b BuildStep) Run(ctx context.Context, s *State) (artifact.List, error) {
	start := time.Now()
	root, cleanup, err := ExtractSource(s)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	s.Log.Done("source archive extracted", time.Since(start))
	r := b.Runner
	if r == nil {
		r = &build.Runner{}
	}
	c := s.Config
	out := make(artifact.List, len(c.Targets))
	errs := make([]error, len(c.Targets))
	var wg sync.WaitGroup
	for i, t := range c.Targets {
		wg.Go(func() {
			start := time.Now()
			dst := filepath.Join(s.Dir, filepath.FromSlash(t.Binary()))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				errs[i] = err
				return
			}
			cmd := build.Spec(t, c.Version, t.Exe()).WithOutput(dst)
			if err := r.Run(ctx, root, cmd); err != nil {
				errs[i] = err
				return
			}
			a, err := artifact.Stat(s.Dir, t.Binary(), artifact.Binary, 0o755)
			if err != nil {
				errs[i] = err
				return
			}
			a.Target = t.String()
			out[i] = a
			s.Prepack(a)
			s.Log.Done(fmt.Sprintf("build %s (%.1f MB)", t, float64(a.Size)/1e6), time.Since(start))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ExtractSource extracts the package's source archive into a temporary folder
// inside s.OutDir and returns the module root and a function that removes it.
func ExtractSource(s *State) (root string, cleanup func(), err error) {
	src := s.Artifacts.Of(artifact.Source)
	if len(src) != 1 {
		return "", nil, fmt.Errorf("want one source archive, have %d", len(src))
	}
	f, err := os.Open(filepath.Join(s.Dir, filepath.FromSlash(src[0].Path)))
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	tmp, err := os.MkdirTemp(s.OutDir, "src-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	dir := filepath.Join(tmp, "x")
	top, _, err := archive.ExtractTarGz(f, dir, archive.DefaultLimits)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return filepath.Join(dir, top), cleanup, nil
}
