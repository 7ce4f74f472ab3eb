// Package cmdcache builds a command of this module once per content hash of
// what it is made of, into a per-user cache folder, the way mage caches its
// own binary: the mage targets run the release command from there instead
// of `go run`, which asks the go command to check some two thousand packages
// for staleness on every run.
//
// # The key
//
// The key is a SHA-256 over everything the go command reads to build the
// command, over-approximated so that a stale binary cannot be picked:
//
//   - go.mod and go.sum (the versions of every dependency; the module cache
//     is checked against go.sum by the go command);
//   - every file under the folder of each package of this module that the
//     command imports, directly or not, whatever its build tags, found by
//     reading the imports of every Go file in those folders (so a new file,
//     tracked or not, an embedded file or an assembly file counts);
//   - `go env` (the Go version, GOROOT, GOOS, GOARCH, GOFLAGS, GOEXPERIMENT,
//     the architecture levels, CGO_ENABLED, CC, ...), but for the variables
//     that only say where caches and downloads live, and, when cgo is on,
//     what `$CC --version` prints;
//   - the build tags and the flags this package passes (-buildvcs=false
//     -mod=readonly, GOWORK=off).
//
// The binary is built without -trimpath, so that it shares the build cache
// with the developer's own `go build`, `go test` and `go run`; it may name
// the folder of the checkout that first built it in a stack trace.
//
// A change to any of them gives another key, hence another binary; the go
// command's own build cache makes that rebuild cheap. Settings this package
// cannot hash (a go.mod replace with a local folder, -overlay, -modfile or a
// -pgo file in GOFLAGS) make [Build] return [ErrUncacheable], and the caller
// runs `go run` instead.
//
// # The cache
//
// Binaries live in <os.UserCacheDir()>/cavra/commands/<name>-<key>, written
// under a temporary name and renamed into place, so concurrent first runs
// never see a partial binary (the last rename wins; both are builds of the
// same key). Entries unused for a week are removed when a new one is built.
package cmdcache

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"hash"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// scheme names the way keys are computed; change it when the computation
// changes.
const scheme = "cavra-cmdcache-v1"

// Flags are the go build flags of every cached command.
var Flags = []string{"-buildvcs=false", "-mod=readonly"}

// env is set on top of the caller's environment for every go command run
// here.
var env = []string{"GOWORK=off"}

// ErrUncacheable is returned when the build reads something the key cannot
// cover.
var ErrUncacheable = errors.New("cmdcache: the build cannot be cached")

// Spec names a command to build.
type Spec struct {
	Root string   // module root (holds go.mod)
	Pkg  string   // the command's package, relative to Root: "./cmd/cavra-release"
	Tags []string // build tags
	// Dir is the cache folder; "" means <os.UserCacheDir()>/cavra/commands.
	Dir string
	// Env is the environment of the go command; nil means os.Environ().
	Env []string
}

// Entry is the cache entry of a command: where its binary is, or will be.
type Entry struct {
	Spec Spec
	Key  string // hex SHA-256 of what the command is made of
	Path string // the binary
}

// maxAge is how long an unused binary stays in the cache.
const maxAge = 7 * 24 * time.Hour

// Find computes the key of s and returns its entry, built or not.
func Find(ctx context.Context, s Spec) (*Entry, error) {
	key, err := Key(ctx, s)
	if err != nil {
		return nil, err
	}
	dir := s.Dir
	if dir == "" {
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	name := path.Base(filepath.ToSlash(s.Pkg))
	return &Entry{Spec: s, Key: key, Path: filepath.Join(dir, name+"-"+key[:32]+exe())}, nil
}

// Cached reports whether the binary of e is in the cache.
func (e *Entry) Cached() bool {
	st, err := os.Stat(e.Path)
	return err == nil && st.Mode().IsRegular()
}

// Build returns the cached binary of s, building it first when the cache
// has none for its key; built says which.
func Build(ctx context.Context, s Spec) (e *Entry, built bool, err error) {
	if e, err = Find(ctx, s); err != nil {
		return nil, false, err
	}
	built, err = e.Build(ctx)
	return e, built, err
}

// Build builds the binary of e unless the cache holds it, and reports
// whether it did.
func (e *Entry) Build(ctx context.Context) (bool, error) {
	if e.Cached() {
		Use(e.Path)
		return false, nil
	}
	s, dir := e.Spec, filepath.Dir(e.Path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("cmdcache: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return false, fmt.Errorf("cmdcache: %w", err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, filepath.Base(e.Path))
	args := append([]string{"build"}, Flags...)
	if len(s.Tags) > 0 {
		args = append(args, "-tags", strings.Join(s.Tags, ","))
	}
	args = append(args, "-o", out, s.Pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = s.Root
	cmd.Env = append(environ(s), env...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return false, fmt.Errorf("cmdcache: go %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	if err := os.Rename(out, e.Path); err != nil {
		// Another run may have put the same key in place first (a rename
		// over an existing file fails on Windows).
		if !e.Cached() {
			return false, fmt.Errorf("cmdcache: %w", err)
		}
	}
	base := strings.TrimSuffix(filepath.Base(e.Path), exe())
	trim(dir, base[:len(base)-32], e.Path) // "<name>-"
	return true, nil
}

// DefaultDir returns the default cache folder,
// <os.UserCacheDir()>/cavra/commands.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cmdcache: no cache folder: %w", err)
	}
	return filepath.Join(d, "cavra", "commands"), nil
}

// Use marks the file or folder p of the cache as used now, for [Trim]; it
// touches it at most once an hour.
func Use(p string) {
	if st, err := os.Stat(p); err == nil {
		if now := time.Now(); now.Sub(st.ModTime()) > time.Hour {
			os.Chtimes(p, now, now)
		}
	}
}

// Trim removes the entries of the cache folder dir whose names start with
// prefix, other than keep, that were not used for a week.
func Trim(dir, prefix, keep string) { trim(dir, prefix, keep) }

// trim removes the binaries whose names start with prefix, other than
// keep, that were not used for maxAge.
func trim(dir, prefix, keep string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if p == keep || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > maxAge {
			os.RemoveAll(p)
		}
	}
}

func exe() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

func environ(s Spec) []string {
	if s.Env != nil {
		return s.Env
	}
	return os.Environ()
}

// Key returns the hex SHA-256 of everything the build of s reads; see the
// package documentation.
func Key(ctx context.Context, s Spec) (string, error) {
	h := sha256.New()
	field(h, "scheme", scheme)
	field(h, "flags", strings.Join(Flags, " "))
	field(h, "env", strings.Join(env, " "))
	tags := slices.Clone(s.Tags)
	slices.Sort(tags)
	field(h, "tags", strings.Join(tags, ","))
	field(h, "pkg", path.Clean(filepath.ToSlash(s.Pkg)))

	goenv, err := goEnv(ctx, s)
	if err != nil {
		return "", err
	}
	if f := goenv["GOFLAGS"]; strings.Contains(f, "-overlay") || strings.Contains(f, "-modfile") || strings.Contains(f, "-pgo") {
		return "", fmt.Errorf("%w: GOFLAGS=%q names a file outside the module", ErrUncacheable, f)
	}
	for _, k := range slices.Sorted(maps.Keys(goenv)) {
		field(h, "goenv "+k, goenv[k])
	}
	if goenv["CGO_ENABLED"] == "1" {
		// cgo compiles C with CC: its version is an input too.
		cc := strings.Fields(goenv["CC"])
		if len(cc) == 0 {
			cc = []string{"cc"}
		}
		cmd := exec.CommandContext(ctx, cc[0], append(cc[1:], "--version")...)
		cmd.Env = append(environ(s), env...)
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("%w: cgo is on and %s --version failed: %v", ErrUncacheable, cc[0], err)
		}
		field(h, "cc --version", string(out))
	}

	mod, err := os.ReadFile(filepath.Join(s.Root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("cmdcache: %w", err)
	}
	modPath, err := modulePath(mod)
	if err != nil {
		return "", err
	}
	field(h, "go.mod", string(mod))
	sum, err := os.ReadFile(filepath.Join(s.Root, "go.sum"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("cmdcache: %w", err)
	}
	field(h, "go.sum", string(sum))

	// The packages of this module the command imports, breadth first.
	start := path.Clean(filepath.ToSlash(s.Pkg))
	seen := map[string]bool{start: true}
	queue := []string{start}
	for len(queue) > 0 {
		rel := queue[0]
		queue = queue[1:]
		imports, err := hashPackage(h, s.Root, rel)
		if err != nil {
			return "", err
		}
		for _, imp := range imports {
			sub, ok := strings.CutPrefix(imp, modPath+"/")
			if imp == modPath {
				sub, ok = ".", true
			}
			if !ok || seen[sub] {
				continue
			}
			seen[sub] = true
			queue = append(queue, sub)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// field writes a length-prefixed name and value.
func field(h hash.Hash, name, value string) {
	fmt.Fprintf(h, "%d:%s%d:%s", len(name), name, len(value), value)
}

// unhashed are go env variables that say where things live or how they
// are downloaded, none of which changes the bytes of a build (downloads
// are checked against go.sum), and GOGCCFLAGS, which names a temporary
// folder.
var unhashed = map[string]bool{
	"GOCACHE": true, "GOMODCACHE": true, "GOPATH": true, "GOTMPDIR": true, "GOENV": true, "GOBIN": true,
	"GOPROXY": true, "GONOPROXY": true, "GOSUMDB": true, "GONOSUMDB": true, "GOPRIVATE": true,
	"GOINSECURE": true, "GOVCS": true, "GOAUTH": true, "GOTELEMETRY": true, "GOTELEMETRYDIR": true,
	"GOCACHEPROG": true, "GOMOD": true, "GOGCCFLAGS": true,
}

func goEnv(ctx context.Context, s Spec) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "-json")
	cmd.Dir = s.Root
	cmd.Env = append(environ(s), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("cmdcache: go env: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("cmdcache: go env: %w", err)
	}
	maps.DeleteFunc(m, func(k, _ string) bool { return unhashed[k] })
	return m, nil
}

// modulePath returns the module path of go.mod, and refuses a replace
// directive that points at a local folder, whose files the key does not
// cover.
func modulePath(mod []byte) (string, error) {
	var modPath string
	inReplace := false
	sc := bufio.NewScanner(bytes.NewReader(mod))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
			continue
		case f[0] == "module" && len(f) == 2:
			modPath = f[1]
			if p, err := strconv.Unquote(f[1]); err == nil {
				modPath = p
			}
		case f[0] == "replace" && len(f) >= 2 && f[1] == "(":
			inReplace = true
			continue
		case inReplace && f[0] == ")":
			inReplace = false
			continue
		}
		if f[0] == "replace" || inReplace {
			if _, to, ok := strings.Cut(line, "=>"); ok {
				to = strings.TrimSpace(to)
				if strings.HasPrefix(to, ".") || strings.HasPrefix(to, "/") || filepath.IsAbs(to) {
					return "", fmt.Errorf("%w: go.mod replaces a module with the folder %s", ErrUncacheable, to)
				}
			}
		}
	}
	if modPath == "" {
		return "", errors.New("cmdcache: go.mod has no module line")
	}
	return modPath, nil
}

// hashPackage hashes every file under the folder of the package rel (a
// slash path relative to root), subfolders included, and returns the
// imports of its Go files that are not tests, under any build tags.
func hashPackage(h hash.Hash, root, rel string) ([]string, error) {
	dir := filepath.Join(root, filepath.FromSlash(rel))
	var imports []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(r)
		if d.Type()&fs.ModeSymlink != 0 {
			// Hash where it points and, for a file, what it holds.
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			field(h, "link "+name, target)
			if data, err := os.ReadFile(p); err == nil {
				field(h, "data", string(data))
			}
			return nil
		}
		if d.IsDir() {
			if p != dir {
				// Another module's files are not this module's.
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			field(h, "dir", name)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		field(h, "file", name)
		field(h, "data", string(data))
		if filepath.Dir(p) == dir && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			f, err := parser.ParseFile(token.NewFileSet(), p, data, parser.ImportsOnly)
			if err != nil {
				return nil // the go command will say what is wrong
			}
			for _, imp := range f.Imports {
				if v, err := strconv.Unquote(imp.Path.Value); err == nil {
					imports = append(imports, v)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cmdcache: %w", err)
	}
	return imports, nil
}
