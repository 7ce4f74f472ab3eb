package release

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cavra/cavra/packaging/release/artifact"
)

// StepCache keeps what cached steps wrote, by a key over everything they
// read, so that a release that repeats a step's inputs (a warm release of
// an unchanged commit, or of a change that leaves the binaries alone)
// copies the step's files instead of recomputing them.
//
// A step may be cached only when its files depend on nothing but the
// release configuration (but its folders), the artifacts before it (their
// records, which carry their SHA-256) and the code of the program that
// runs it. The key is a SHA-256 over all three: Code names the program (the
// release command passes its own Go build ID or the SHA-256 of its
// executable, so that any change to its code, or to a library, makes
// other keys), so a stale entry cannot be found. Every file restored from
// the cache is checked against the SHA-256 recorded when it was written.
type StepCache struct {
	Dir  string // the cache folder, e.g. <os.UserCacheDir()>/cavra/steps
	Code string // identity of the code that runs the steps
}

// DefaultStepCache returns the step cache in
// <os.UserCacheDir()>/cavra/steps for the running program, identified by
// [ExecutableID], or nil when either is unknown or CAVRA_STEP_CACHE=off.
func DefaultStepCache(getenv func(string) string) *StepCache {
	if getenv("CAVRA_STEP_CACHE") == "off" {
		return nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	id, err := ExecutableID()
	if err != nil {
		return nil
	}
	return &StepCache{Dir: filepath.Join(dir, "cavra", "steps"), Code: id}
}

// ExecutableID identifies the running program by its content: the Go
// build ID in an ELF binary's .note.go.buildid (a hash of everything the
// linker read, and of its output), else the SHA-256 of the executable.
func ExecutableID() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if f, err := elf.Open(exe); err == nil {
		defer f.Close()
		if sec := f.Section(".note.go.buildid"); sec != nil {
			if data, err := sec.Data(); err == nil && len(data) > 16 {
				// namesz, descsz, type (4 bytes each), "Go\x00\x00", then the ID.
				n := int(f.ByteOrder.Uint32(data[4:8]))
				if 16+n <= len(data) && n > 0 {
					return "go-build-id:" + string(data[16:16+n]), nil
				}
			}
		}
	}
	in, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer in.Close()
	h := sha256.New()
	if _, err := io.Copy(h, in); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// stepCacheScheme names the way keys and entries are written; change it
// when they change.
const stepCacheScheme = "cavra-step-cache-v1"

// stepCacheAge is how long an unused entry stays.
const stepCacheAge = 7 * 24 * time.Hour

// Cached runs Step through Cache: a step from the cache logs one line and
// returns the artifacts its first run returned.
type Cached struct {
	Step  Step
	Cache *StepCache // nil runs Step every time
	// Runs, if set, is called when Step is about to run (the cache had no
	// entry), e.g. to start work for the steps after it, which will not
	// come from the cache either.
	Runs func()
}

// Name implements [Step].
func (c Cached) Name() string { return c.Step.Name() }

// entry is what a cache entry's manifest records for each file.
type entry struct {
	Artifacts artifact.List `json:"artifacts"`
	Modes     []uint32      `json:"modes"`
}

// Run implements [Step].
func (c Cached) Run(ctx context.Context, s *State) (artifact.List, error) {
	if c.Cache == nil || c.Cache.Dir == "" || c.Cache.Code == "" {
		c.runs()
		return c.Step.Run(ctx, s)
	}
	key, err := c.key(s)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(c.Cache.Dir, key[:2], key)
	start := time.Now()
	list, err := restore(dir, s.Dir)
	if err == nil {
		s.Log.Done(fmt.Sprintf("%s: %d file(s) from the step cache", c.Name(), len(list)), time.Since(start))
		return list, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		os.RemoveAll(dir) // damaged: make it anew
	}
	c.runs()
	list, err = c.Step.Run(ctx, s)
	if err != nil {
		return nil, err
	}
	c.Cache.store(dir, s.Dir, list) // best effort: a cache that cannot be written only costs time
	return list, nil
}

func (c Cached) runs() {
	if c.Runs != nil {
		c.Runs()
	}
}

// key hashes the scheme, the code, the step's name, the configuration but
// for its folders, and the artifacts before the step.
func (c Cached) key(s *State) (string, error) {
	cfg := *s.Config
	cfg.Root, cfg.Out = "", ""
	b, err := json.Marshal(struct {
		Scheme, Code, Step string
		Config             Config
		Artifacts          artifact.List
	}{stepCacheScheme, c.Cache.Code, c.Step.Name(), cfg, s.Artifacts})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// restore copies the files of the entry in dir into root, each checked
// against its recorded SHA-256, and returns their artifacts.
func restore(dir, root string) (artifact.List, error) {
	data, err := os.ReadFile(filepath.Join(dir, "entry.json"))
	if err != nil {
		return nil, err
	}
	var e entry
	if err := json.Unmarshal(data, &e); err != nil || len(e.Modes) != len(e.Artifacts) {
		return nil, fmt.Errorf("step cache: %s: bad entry", dir)
	}
	var done []string
	fail := func(err error) (artifact.List, error) {
		for _, p := range done {
			os.Remove(p)
		}
		return nil, err
	}
	for i, want := range e.Artifacts {
		src, err := os.Open(filepath.Join(dir, "files", filepath.FromSlash(want.Path)))
		if err != nil {
			return fail(err)
		}
		got, err := artifact.Create(root, want.Path, want.Kind, fs.FileMode(e.Modes[i]), func(w io.Writer) error {
			_, err := io.Copy(w, src)
			return err
		})
		src.Close()
		if err != nil {
			return fail(err)
		}
		done = append(done, filepath.Join(root, filepath.FromSlash(want.Path)))
		if got.SHA256 != want.SHA256 || got.Size != want.Size {
			return fail(fmt.Errorf("step cache: %s: %s changed in the cache", dir, want.Path))
		}
	}
	now := time.Now()
	os.Chtimes(dir, now, now) // used: keep it
	return e.Artifacts, nil
}

// store writes the files of list under root into a new entry dir, through
// a temporary folder renamed into place.
func (sc *StepCache) store(dir, root string, list artifact.List) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	e := entry{Artifacts: list}
	for _, a := range list {
		src := filepath.Join(root, filepath.FromSlash(a.Path))
		st, err := os.Stat(src)
		if err != nil {
			return err
		}
		e.Modes = append(e.Modes, uint32(st.Mode().Perm()))
		dst := filepath.Join(tmp, "files", filepath.FromSlash(a.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := copyTo(dst, src); err != nil {
			return err
		}
	}
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "entry.json"), data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err // another release stored it first
	}
	sc.trim()
	return nil
}

// copyTo copies src into a new file dst.
func copyTo(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// trim removes the entries not used for stepCacheAge.
func (sc *StepCache) trim() {
	shards, _ := os.ReadDir(sc.Dir)
	for _, sh := range shards {
		entries, _ := os.ReadDir(filepath.Join(sc.Dir, sh.Name()))
		for _, e := range entries {
			if info, err := e.Info(); err == nil && !strings.HasPrefix(e.Name(), ".") && time.Since(info.ModTime()) > stepCacheAge {
				os.RemoveAll(filepath.Join(sc.Dir, sh.Name(), e.Name()))
			}
		}
	}
}
