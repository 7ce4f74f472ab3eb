package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// kept lists the host variables a build inherits. Every other variable is
// cleared, among them:
//
//	GOENV        set to "off" instead: a `go env -w` file must not change a build
//	GODEBUG      affects the go command itself, never wanted from the caller
//	CC, CXX, CGO_CFLAGS, CGO_LDFLAGS ...   cgo is off; cleared so nothing reads them
//	GOARM, GO386, GOMIPS, GOPPC64 ...      other architectures' levels
//	GOPROXY, GOSUMDB, GONOSUMDB, GOPRIVATE, GOINSECURE   replaced by the network controls
//	GOPACKAGESDRIVER, GCCGO, GOBIN, GOCOVERDIR, GO_EXTLINK_ENABLED ...
//
// The variables kept only tell the go command where it, its caches and
// temporary space live; none of them changes the bytes of a binary.
var kept = []string{
	"PATH", "HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME",
	"GOROOT", "GOPATH", "GOCACHE", "GOMODCACHE", "GOTMPDIR",
	// Windows needs these to run programs and find the user's folders.
	"SystemRoot", "SYSTEMROOT", "ComSpec", "PATHEXT", "TEMP", "TMP",
	"USERPROFILE", "LOCALAPPDATA", "APPDATA", "ProgramData",
}

// Network returns the controls that keep a build offline and read-only,
// a new map each call. They are applied on top of a recorded command's
// environment, so a manifest can never turn them off.
func Network() map[string]string {
	return map[string]string{
		"GOPROXY":     "off",   // no module downloads
		"GOSUMDB":     "off",   // no checksum database lookups; go.sum still checks
		"GONOSUMDB":   "",      // no exceptions
		"GOPRIVATE":   "",      // no exceptions
		"GOINSECURE":  "",      // no exceptions
		"GOENV":       "off",   // ignore the user's go env file
		"GOTOOLCHAIN": "local", // never fetch another toolchain
		"GOWORK":      "off",   // ignore any go.work above the source
		"GOFLAGS":     GOFLAGS, // -mod=readonly: go.mod and go.sum as shipped
		"GODEBUG":     "",      // the go command's own defaults
		"CGO_ENABLED": "0",     // no C toolchain
	}
}

// Environ returns the process environment for c: the kept host variables from
// host, then c.Env, then overrides (normally [Network]). It is sorted, so it
// can be recorded as evidence.
func (c Command) Environ(host []string, overrides map[string]string) []string {
	env := map[string]string{}
	for _, kv := range host {
		k, v, ok := strings.Cut(kv, "=")
		if ok && slices.Contains(kept, k) {
			env[k] = v
		}
	}
	for k, v := range c.Env {
		env[k] = v
	}
	for k, v := range overrides {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// Runner runs build commands with an explicit environment.
type Runner struct {
	// Go is the go command to run; "" means "go" from PATH.
	Go string
	// GOROOT, when set, is the root of Go's toolchain: every command runs
	// with it as GOROOT and its bin folder first in PATH, so that a GOROOT
	// the host sets for another toolchain cannot mix the two (see
	// [Go.Runner]).
	GOROOT string
	// Host is the environment the kept variables are taken from; nil means
	// os.Environ().
	Host []string
	// Overrides are applied last; nil means [Network].
	Overrides map[string]string
}

func (r *Runner) goCmd() (string, error) {
	if r.Go != "" {
		return r.Go, nil
	}
	p, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build: go command not found in PATH: %w", err)
	}
	return p, nil
}

func (r *Runner) environ(c Command) []string {
	host := r.Host
	if host == nil {
		host = os.Environ()
	}
	ov := r.Overrides
	if ov == nil {
		ov = Network()
	}
	if r.GOROOT != "" {
		ov = maps.Clone(ov)
		ov["GOROOT"] = r.GOROOT
		path := ""
		for _, kv := range host {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				path = v
			}
		}
		ov["PATH"] = prependPath(filepath.Join(r.GOROOT, "bin"), path)
	}
	return c.Environ(host, ov)
}

// Env returns the environment c runs with: the kept host variables, c.Env,
// the overrides, and the toolchain's GOROOT and PATH. Tools that run with
// a build's settings (govulncheck's go list) use it.
func (r *Runner) Env(c Command) []string { return r.environ(c) }

// Run runs c with root as the source root. The output of the go command is
// returned in the error when it fails.
func (r *Runner) Run(ctx context.Context, root string, c Command) error {
	if len(c.Argv) < 2 || c.Argv[0] != "go" {
		return fmt.Errorf("build: command %q does not run go", c.Argv)
	}
	gocmd, err := r.goCmd()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, gocmd, c.Argv[1:]...)
	cmd.Dir = filepath.Join(root, filepath.FromSlash(c.Dir))
	cmd.Env = r.environ(c)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if msg != "" {
			return fmt.Errorf("build: %s: %w\n%s", c.Env["GOOS"]+"/"+c.Env["GOARCH"], err, msg)
		}
		return fmt.Errorf("build: %s: %w", c.Env["GOOS"]+"/"+c.Env["GOARCH"], err)
	}
	return nil
}

// GoEnv returns the values of the named go env variables as the go command
// sees them in the build environment of c (run in root).
func (r *Runner) GoEnv(ctx context.Context, root string, c Command, names ...string) (map[string]string, error) {
	gocmd, err := r.goCmd()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, gocmd, append([]string{"env", "-json"}, names...)...)
	cmd.Dir = root
	cmd.Env = r.environ(c)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("build: go env: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	m := map[string]string{}
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("build: go env: %w", err)
	}
	return m, nil
}

// GoVersion returns the version of the go command as `go env GOVERSION`
// reports it, e.g. "go1.26.8".
func (r *Runner) GoVersion(ctx context.Context) (string, error) {
	m, err := r.GoEnv(ctx, ".", Command{}, "GOVERSION")
	if err != nil {
		return "", err
	}
	v := m["GOVERSION"]
	if v == "" {
		return "", errors.New("build: go env GOVERSION is empty")
	}
	return v, nil
}
