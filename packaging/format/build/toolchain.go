package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
)

// Toolchain is the Go release every release binary is built with: the
// release toolchain. A release finds it with [FindGo] and records it in the
// manifest, the provenance, the SBOMs and the evidence; a rebuilder must
// use the version the manifest records (which, for packages released with
// this source, is this one).
//
// It is pinned here, as data, and not in go.mod: the module's own go line
// stays at the oldest Go that builds it, so that the set-up commands work
// on any machine with Go 1.26, which then fetches this release toolchain
// through the module proxy (GOTOOLCHAIN=go1.27.3, checked against the
// checksum database). go1.27.3 fixes the standard-library vulnerabilities
// of go1.26.8 that reach the runtime (see package
// github.com/cavra/cavra/packaging/release/vulns).
const Toolchain = "go1.27.3"

// Go is a Go toolchain found on this machine.
type Go struct {
	Version string // as `go env GOVERSION` reports it, e.g. go1.27.3
	GOROOT  string // its root
	Path    string // its go command: GOROOT/bin/go[.exe], or the one the operator named
	Found   string // how it was found, e.g. "go on PATH" or "GOTOOLCHAIN=go1.27.3 (module cache)"
}

// Runner returns a runner of this toolchain: its go command, with GOROOT
// set to its root and its bin folder first in PATH, whatever the host says.
func (g *Go) Runner() *Runner { return &Runner{Go: g.Path, GOROOT: g.GOROOT} }

// Find says which toolchain [FindGo] looks for and where it may look.
type Find struct {
	// Version is the Go release wanted, e.g. [Toolchain] or a manifest's
	// go.version.
	Version string
	// Explicit is a go command the operator named (cavra's -go): it is
	// the only candidate, and it must be Version.
	Explicit string
	// Download lets `GOTOOLCHAIN=<Version> go` fetch the toolchain
	// through the module proxy when the module cache lacks it. A release
	// may; a rebuild never does (GOPROXY=off for that lookup).
	Download bool
	// Env is the environment to look in (PATH, the go command's caches);
	// nil means os.Environ().
	Env []string
}

// FindGo finds the Go toolchain f.Version on this machine, in this order:
//
//  1. f.Explicit, when given (nothing else is tried);
//  2. go on PATH, when it is that version;
//  3. the command named like the version on PATH (go1.27.3, as
//     golang.org/dl installs it);
//  4. `GOTOOLCHAIN=go1.27.3 go env GOROOT`: the toolchain in the module
//     cache, fetched through the module proxy first when f.Download.
//
// The toolchain found on PATH or in the module cache runs its own go
// command (GOROOT/bin/go), never a wrapper such as golang.org/dl's; an
// explicit one runs as named. When none is found the error says what each step found and how
// to install the version (see [InstallHint]).
func FindGo(ctx context.Context, f Find) (*Go, error) {
	// The version names a command on PATH and a module: nothing but a
	// release version may come through (a manifest is hostile input).
	if !releaseRE.MatchString(f.Version) {
		return nil, fmt.Errorf("build: %q is not a Go release version (go1.x.y)", f.Version)
	}
	env := f.Env
	if env == nil {
		env = os.Environ()
	}
	if f.Explicit != "" {
		g, err := probe(ctx, f.Explicit, env, nil)
		if err != nil {
			return nil, fmt.Errorf("build: the go command %s: %w", f.Explicit, err)
		}
		if g.Version != f.Version {
			return nil, &NotFound{Version: f.Version, Tried: []string{fmt.Sprintf("%s is %s", f.Explicit, g.Version)}}
		}
		// The operator named this command: it runs, as named.
		g.Path, g.Found = f.Explicit, f.Explicit
		return g, nil
	}
	var tried []string
	goCmd, err := lookPath("go", env)
	if err == nil {
		g, err := probe(ctx, goCmd, env, nil)
		switch {
		case err != nil:
			tried = append(tried, fmt.Sprintf("go on PATH (%s): %v", goCmd, err))
		case g.Version == f.Version:
			g.Found = "go on PATH"
			return g, nil
		default:
			tried = append(tried, fmt.Sprintf("go on PATH is %s", g.Version))
		}
	} else {
		tried = append(tried, "no go on PATH")
	}
	if p, err := lookPath(f.Version, env); err == nil {
		g, err := probe(ctx, p, env, nil)
		switch {
		case err != nil:
			tried = append(tried, fmt.Sprintf("%s on PATH: %v", f.Version, err))
		case g.Version == f.Version:
			g.Found = f.Version + " on PATH"
			return g, nil
		default:
			tried = append(tried, fmt.Sprintf("%s on PATH is %s", f.Version, g.Version))
		}
	} else {
		tried = append(tried, "no "+f.Version+" on PATH")
	}
	if goCmd != "" {
		set := map[string]string{"GOTOOLCHAIN": f.Version}
		how := "in the module cache or through the module proxy"
		if !f.Download {
			set["GOPROXY"] = "off"
			how = "in the module cache (GOPROXY=off: never downloaded here)"
		}
		g, err := probe(ctx, goCmd, env, set)
		switch {
		case err != nil:
			tried = append(tried, fmt.Sprintf("GOTOOLCHAIN=%s found none %s: %v", f.Version, how, err))
		case g.Version == f.Version:
			g.Found = "GOTOOLCHAIN=" + f.Version + " (module cache)"
			return g, nil
		default:
			tried = append(tried, fmt.Sprintf("GOTOOLCHAIN=%s ran %s", f.Version, g.Version))
		}
	}
	return nil, &NotFound{Version: f.Version, Tried: tried}
}

var releaseRE = regexp.MustCompile(`^go1\.[0-9]+(\.[0-9]+)?((rc|beta)[0-9]+)?$`)

// NotFound is the error of [FindGo] when the version is not on this
// machine; its message says how to install it.
type NotFound struct {
	Version string
	Tried   []string // what each place held
}

func (e *NotFound) Error() string {
	return fmt.Sprintf("%s not found (%s).\n%s", e.Version, strings.Join(e.Tried, "; "), InstallHint(e.Version, runtime.GOOS, runtime.GOARCH))
}

// InstallHint says how to install the Go release version on goos/goarch
// and make it the one a rebuild uses.
func InstallHint(version, goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("Install %[1]s: download %[1]s.%[2]s-%[3]s%[4]s from https://go.dev/dl/ and unpack it, "+
		"or on a connected machine run `GOTOOLCHAIN=%[1]s go version` (it fetches the toolchain into the module cache, "+
		"checked against the checksum database: golang.org/toolchain@v0.0.1-%[1]s.%[2]s-%[3]s) and carry that folder over; "+
		"then put its bin folder first on PATH, or pass --go (CAVRA_GO) naming its bin/go.", version, goos, goarch, ext)
}

// probe asks the go command at p for its version and root, in a neutral
// folder, with the host's GOROOT, GOFLAGS and GOENV left out (so that the
// command reports its own root) and set on top.
func probe(ctx context.Context, p string, env []string, set map[string]string) (*Go, error) {
	var e []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOROOT", "GOFLAGS", "GOENV", "GOTOOLCHAIN", "GOWORK":
			continue
		}
		if _, ok := set[k]; ok {
			continue
		}
		e = append(e, kv)
	}
	if _, ok := set["GOTOOLCHAIN"]; !ok {
		e = append(e, "GOTOOLCHAIN=local")
	}
	for k, v := range set {
		e = append(e, k+"="+v)
	}
	cmd := exec.CommandContext(ctx, p, "env", "-json", "GOVERSION", "GOROOT")
	cmd.Dir = os.TempDir()
	cmd.Env = append(e, "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, errors.New(firstLine(msg))
		}
		return nil, err
	}
	var v struct{ GOVERSION, GOROOT string }
	if err := json.Unmarshal(out, &v); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	if v.GOVERSION == "" || v.GOROOT == "" {
		return nil, errors.New("go env reports no GOVERSION or GOROOT")
	}
	bin := filepath.Join(v.GOROOT, "bin", "go")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if st, err := os.Stat(bin); err != nil || st.IsDir() {
		return nil, fmt.Errorf("GOROOT %s has no bin/go", v.GOROOT)
	}
	// The version is the toolchain's own, e.g. "go1.27.3" (a development
	// build reports more after a space).
	version, _, _ := strings.Cut(v.GOVERSION, " ")
	return &Go{Version: version, GOROOT: v.GOROOT, Path: bin}, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// lookPath finds the command name in the PATH of env.
func lookPath(name string, env []string) (string, error) {
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	exts := []string{""}
	if runtime.GOOS == "windows" {
		exts = []string{".exe", ".bat", ".cmd"}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue // a relative PATH entry names whatever folder we are in
		}
		for _, ext := range exts {
			p := filepath.Join(dir, name+ext)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && (runtime.GOOS == "windows" || st.Mode()&0o111 != 0) {
				return p, nil
			}
		}
	}
	return "", exec.ErrNotFound
}

// prependPath returns path with dir first, once.
func prependPath(dir, path string) string {
	parts := slices.DeleteFunc(filepath.SplitList(path), func(p string) bool { return p == dir })
	return strings.Join(append([]string{dir}, parts...), string(os.PathListSeparator))
}
