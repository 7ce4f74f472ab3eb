// Package release assembles a cavra-go-runtime package: an ordered list of
// named steps, one file each, that hand off through a typed artifact list.
//
// A release runs in a temporary folder beside its output and is moved into
// place only when every step has finished, so an interrupted release never
// leaves a package that looks complete.
//
// This package and its subpackages are the producer side of the release
// system, which the verifier never imports:
//
//	release            the light steps, one file each, and the runner ([Pipeline])
//	release/steps      the whole step list in order, light and heavy (the release command runs it)
//	release/artifact   the typed list of files the steps hand on
//	release/nfpm       the step that writes the Linux packages (nfpm)
//	release/tufrepo    the TUF trust repository (trust:* targets) and the steps that write
//	                   the signing operations and trust/ (go-tuf)
//	release/reprotest  release one commit twice and compare every file
//	release/vulns      the step that checks the runtime against the Go vulnerability database (govulncheck)
//
// The SBOM step is package github.com/cavra/cavra/sbom and the signing key
// package github.com/cavra/cavra/signing. The documents a release writes are
// defined in package github.com/cavra/cavra/packaging/format.
package release

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cavra/cavra/internal/progress"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// Step is one named part of a release.
type Step interface {
	// Name is the step's name, as in `cavra-release run --through <name>`.
	Name() string
	// Run does the step's work in s.Dir and returns the artifacts it wrote.
	Run(ctx context.Context, s *State) (artifact.List, error)
}

// State is what a step sees. A step must not modify it; what it produces it
// returns.
type State struct {
	Config    *Config
	Dir       string        // the package folder being assembled
	OutDir    string        // the folder that receives the package folder and the zip
	Artifacts artifact.List // everything written by earlier stages
	Log       *Log

	zip *prepacker // packs files for the zip step, if the pipeline has one
}

// Stage is a set of steps that may run at the same time; they see the same
// artifacts and their results are added in the stage's order.
type Stage []Step

// Background runs Step in the background from where it stands in the list:
// the stages after it start at once, whoever needs its work waits for it
// (the release key, say), and the release waits for it before it ends and
// fails if it does. It writes no files.
type Background struct{ Step Step }

// Name implements [Step].
func (b Background) Name() string { return b.Step.Name() }

// Run implements [Step]; the runner calls it in the background.
func (b Background) Run(ctx context.Context, s *State) (artifact.List, error) {
	return b.Step.Run(ctx, s)
}

// PrepackStep packs every file for the zip as soon as it is written (each
// binary as soon as it is linked; every other file when its stage ends),
// in the background, so that the zip step only writes what is packed.
// Without it, the zip step packs every file itself.
type PrepackStep struct{}

// Name implements [Step].
func (PrepackStep) Name() string { return "prepack" }

// Run implements [Step]: the runner does the packing.
func (PrepackStep) Run(ctx context.Context, s *State) (artifact.List, error) { return nil, nil }

// Pipeline is the ordered list of stages of a release.
type Pipeline []Stage

// Steps returns the names of the steps in order.
func (p Pipeline) Steps() []string {
	var names []string
	for _, st := range p {
		for _, s := range st {
			names = append(names, s.Name())
		}
	}
	return names
}

// Through returns the stages up to and including the one holding the step
// named name.
func (p Pipeline) Through(name string) (Pipeline, error) {
	for i, st := range p {
		for _, s := range st {
			if s.Name() == name {
				return p[:i+1], nil
			}
		}
	}
	return nil, fmt.Errorf("release: no step %q (steps: %s)", name, strings.Join(p.Steps(), ", "))
}

// Result is a finished release.
type Result struct {
	Dir       string        // the package folder
	Zip       string        // the zip, or "" when the pipeline stopped before it
	Artifacts artifact.List // every artifact, in the order produced
}

// Run runs the pipeline for c. The package is assembled in a temporary folder
// inside c.Out and moved to c.Out/<name> (and the zip beside it) at the end,
// replacing an earlier package of the same version.
func Run(ctx context.Context, c *Config, p Pipeline, log *Log) (*Result, error) {
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp(c.Out, ".stage-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	s := &State{Config: c, Dir: filepath.Join(stage, c.Name()), OutDir: stage, Log: log}
	if p.prepacks() {
		s.zip = newPrepacker(c.Name(), s.Dir)
	}
	if err := os.Mkdir(s.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := s.run(ctx, p); err != nil {
		return nil, err
	}
	res := &Result{Dir: filepath.Join(c.Out, c.Name()), Artifacts: s.Artifacts}
	// Move the outputs into place: the package folder first, then the
	// files the zip step wrote beside it.
	var moves []string
	for _, a := range s.Artifacts.Of(artifact.Archive) {
		moves = append(moves, a.Path)
		if strings.HasSuffix(a.Path, ".zip") {
			res.Zip = filepath.Join(c.Out, a.Path)
		}
	}
	if err := replace(s.Dir, res.Dir); err != nil {
		return nil, err
	}
	for _, m := range moves {
		if err := replace(filepath.Join(stage, m), filepath.Join(c.Out, m)); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// RunIn runs the pipeline in an existing package folder dir whose files
// list already describes, and returns every artifact. Unlike [Run] it
// changes dir in place; it serves tools that finish or redo a package.
func RunIn(ctx context.Context, c *Config, p Pipeline, dir string, list artifact.List, log *Log) (artifact.List, error) {
	s := &State{Config: c, Dir: dir, OutDir: filepath.Dir(dir), Artifacts: list, Log: log}
	if p.prepacks() {
		s.zip = newPrepacker(c.Name(), dir)
		for _, a := range list {
			s.zip.add(a)
		}
	}
	if err := s.run(ctx, p); err != nil {
		return nil, err
	}
	return s.Artifacts, nil
}

func (s *State) run(ctx context.Context, p Pipeline) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var background sync.WaitGroup
	defer background.Wait()
	for _, st := range p {
		got, err := runStage(ctx, s, st, &background, cancel)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
				return cause // a background step failed: the cause
			}
			return err
		}
		s.Artifacts = append(s.Artifacts, got...)
		for _, a := range got {
			s.zip.add(a)
		}
	}
	background.Wait()
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	return nil
}

// prepacks reports whether p has a [PrepackStep].
func (p Pipeline) prepacks() bool {
	for _, st := range p {
		for _, s := range st {
			if _, ok := s.(PrepackStep); ok {
				return true
			}
		}
	}
	return false
}

// runStage runs the steps of st at the same time and returns their
// artifacts in order. A [Background] step is started in bg instead, with
// the release's context: its error cancels the release with cancel.
func runStage(ctx context.Context, s *State, st Stage, bg *sync.WaitGroup, cancelRelease context.CancelCauseFunc) (artifact.List, error) {
	for _, step := range st {
		if b, ok := step.(Background); ok {
			bg.Go(func() {
				view := *s
				view.Artifacts = slices.Clone(s.Artifacts)
				start := time.Now()
				list, err := b.Run(ctx, &view)
				if err == nil && len(list) > 0 {
					err = fmt.Errorf("wrote %d file(s) in the background", len(list))
				}
				if err != nil {
					cancelRelease(fmt.Errorf("%s: %w", b.Name(), err))
					return
				}
				s.Log.Printf("%-42s %6.2fs  (background)", "step "+b.Name(), time.Since(start).Seconds())
			})
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]artifact.List, len(st))
	errs := make([]error, len(st))
	var wg sync.WaitGroup
	for i, step := range st {
		if _, ok := step.(Background); ok {
			continue
		}
		wg.Go(func() {
			view := *s
			view.Artifacts = slices.Clone(s.Artifacts)
			start := time.Now()
			results[i], errs[i] = step.Run(ctx, &view)
			if errs[i] != nil {
				cancel()
				return
			}
			s.Log.Printf("%-42s %6.2fs  %d file(s)", "step "+step.Name(), time.Since(start).Seconds(), len(results[i]))
		})
	}
	wg.Wait()
	var out artifact.List
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", st[i].Name(), err)
		}
		out = append(out, results[i]...)
	}
	return out, nil
}

// replace moves src to dst, removing whatever dst held before only once src
// is in place under a temporary name next to it.
func replace(src, dst string) error {
	old := dst + ".old"
	os.RemoveAll(old)
	if _, err := os.Lstat(dst); err == nil {
		if err := os.Rename(dst, old); err != nil {
			return err
		}
	}
	if err := os.Rename(src, dst); err != nil {
		os.Rename(old, dst)
		return err
	}
	return os.RemoveAll(old)
}

// Log prints progress: each step and each unit of work as it finishes, with
// its time. A nil *Log prints nothing.
type Log = progress.Log

// NewLog returns a Log writing to w.
func NewLog(w io.Writer) *Log { return progress.New(w) }
