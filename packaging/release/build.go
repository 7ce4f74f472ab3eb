package release

import (
	"context"
	"fmt"
	"os"
	"os/exec"
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
	// Runner runs the go command; nil means the release toolchain of the
	// configuration with the network controls of [build.Network].
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
	c := s.Config
	r := b.Runner
	if r == nil {
		r = c.Runner()
	}
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

// Runner returns a runner of the release toolchain, or of the go in PATH
// when the configuration names none.
func (c *Config) Runner() *build.Runner {
	if c.Go == nil {
		return &build.Runner{}
	}
	return c.Go.Runner()
}

// GoCommand returns the release toolchain's go command with args, to run in
// dir with the caller's environment (module proxy and caches included), the
// toolchain's GOROOT and bin folder first in PATH, and GOTOOLCHAIN=local:
// for the go commands of a release that are not builds (module downloads,
// tools), which may use the network.
func (c *Config) GoCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	gocmd := "go"
	env := os.Environ()
	if c.Go != nil {
		gocmd = c.Go.Path
		env = append(env, "GOROOT="+c.Go.GOROOT, "PATH="+filepath.Join(c.Go.GOROOT, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	cmd := exec.CommandContext(ctx, gocmd, args...)
	cmd.Dir = dir
	cmd.Env = append(env, "GOTOOLCHAIN=local", "GOWORK=off")
	return cmd
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
