package release

import (
	"path/filepath"
	"runtime"
	"sync"

	"github.com/cavra/cavra/packaging/format/archive"
	"github.com/cavra/cavra/packaging/release/artifact"
)

// prepacker packs the files of a package for its zip while later steps run:
// each file as soon as its step has written it (the build hands over each
// binary as it is linked; the runner every other file when its stage ends),
// so that the zip step only writes what is packed.
type prepacker struct {
	top, dir string
	sem      chan struct{}
	mu       sync.Mutex
	packs    map[string]*prepacked // by zip entry name
}

type prepacked struct {
	a    artifact.Artifact
	done chan struct{}
	p    *archive.Packed
}

func newPrepacker(top, dir string) *prepacker {
	return &prepacker{top: top, dir: dir, sem: make(chan struct{}, runtime.GOMAXPROCS(0)), packs: map[string]*prepacked{}}
}

// zipEntry is the zip entry of a, a file of the package folder dir, under
// the top folder top.
func zipEntry(top, dir string, a artifact.Artifact) archive.Entry {
	e := archive.FileEntry(top+"/"+a.Path, filepath.Join(dir, filepath.FromSlash(a.Path)), fileMode(a.Kind))
	// Binaries are stored, not deflated: the zip grows by about a third,
	// and verifying it before transfer needs no inflating, so it runs at
	// the speed of hashing.
	e.Store = a.Kind == artifact.Binary
	return e
}

// add starts packing a, unless it is packed or packing already.
func (pp *prepacker) add(a artifact.Artifact) {
	if pp == nil || a.Kind == artifact.Archive {
		return
	}
	e := zipEntry(pp.top, pp.dir, a)
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if old, ok := pp.packs[e.Name]; ok && old.a == a {
		return
	}
	x := &prepacked{a: a, done: make(chan struct{})}
	pp.packs[e.Name] = x
	go func() {
		defer close(x.done)
		pp.sem <- struct{}{}
		defer func() { <-pp.sem }()
		x.p = archive.Pack(e)
	}()
}

// packed returns the packed entry of a, waiting for it, or nil when a was
// not handed over (or changed since).
func (pp *prepacker) packed(name string, a artifact.Artifact) *archive.Packed {
	if pp == nil {
		return nil
	}
	pp.mu.Lock()
	x, ok := pp.packs[name]
	pp.mu.Unlock()
	if !ok || x.a != a {
		return nil
	}
	<-x.done
	return x.p
}

// Prepack hands a, a file the step has finished writing, to the zip, which
// packs it in the background; a step calls it for files it finishes long
// before it returns. Without a zip step in the pipeline it does nothing.
func (s *State) Prepack(a artifact.Artifact) { s.zip.add(a) }
