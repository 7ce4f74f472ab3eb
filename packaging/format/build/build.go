// Package build defines how the cavra-runtime release binaries are built: the
// target matrix, the pinned environment and flags, and the exact go command for
// each target, as data that a release records and a rebuilder replays.
//
// A build command is never a string handed to a shell. It is a [Command]: an
// environment map and an argv. [Command.String] renders it for humans, quoted
// so that pasting it into a POSIX shell runs the same argv.
//
// # Pinned settings
//
// Every setting that changes the bytes of the binary is fixed and recorded:
//
//	CGO_ENABLED=0                                   no C toolchain, static binaries
//	GOFLAGS=-trimpath -mod=readonly -buildvcs=false no local paths, go.mod as committed, no VCS stamp
//	GOTOOLCHAIN=local                               the installed go, never a downloaded one
//	GOAMD64=v1 / GOARM64=v8.0                       the baseline microarchitecture level
//	GOEXPERIMENT=                                   no experiments
//	GOWORK=off                                      no go.work from a parent folder
//	-ldflags=-s -w -buildid= -X main.version=V      no symbol tables, no build ID, the version stamp
//
// The Go version itself is recorded by the caller (see [GoVersion]). With
// -trimpath the toolchain does not record -ldflags in the binary, so the
// linker flags live only in the release manifest.
package build

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Target is one GOOS/GOARCH pair of the release matrix.
type Target struct {
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
}

// Matrix is the release target matrix: linux, darwin and windows on amd64 and
// arm64, in the order releases list them.
var Matrix = []Target{
	{"linux", "amd64"},
	{"linux", "arm64"},
	{"darwin", "amd64"},
	{"darwin", "arm64"},
	{"windows", "amd64"},
	{"windows", "arm64"},
}

// ParseTarget parses "os/arch".
func ParseTarget(s string) (Target, error) {
	goos, goarch, ok := strings.Cut(s, "/")
	if !ok || !word(goos) || !word(goarch) {
		return Target{}, fmt.Errorf("build: target %q: want os/arch", s)
	}
	return Target{goos, goarch}, nil
}

// word reports whether s is a GOOS or GOARCH-like name: lower-case letters
// and digits.
func word(s string) bool {
	return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789") == ""
}

// String returns "os/arch".
func (t Target) String() string { return t.GOOS + "/" + t.GOARCH }

// Dir returns the folder name used for the target inside a package, "os-arch".
func (t Target) Dir() string { return t.GOOS + "-" + t.GOARCH }

// Exe returns the file name of the runtime binary for the target.
func (t Target) Exe() string {
	if t.GOOS == "windows" {
		return BinaryName + ".exe"
	}
	return BinaryName
}

// Binary returns the slash path of the target's binary inside a package.
func (t Target) Binary() string { return "bin/" + t.Dir() + "/" + t.Exe() }

// Level returns the name and value of the microarchitecture level variable
// pinned for the target (GOAMD64=v1, GOARM64=v8.0), or empty strings when the
// architecture has none that this project pins.
func (t Target) Level() (name, value string) {
	switch t.GOARCH {
	case "amd64":
		return "GOAMD64", "v1"
	case "arm64":
		return "GOARM64", "v8.0"
	}
	return "", ""
}

// Known reports whether t is in the release matrix.
func (t Target) Known() bool { return slices.Contains(Matrix, t) }

const (
	// BinaryName is the name of the runtime binary (without .exe).
	BinaryName = "cavra-runtime"
	// MainPackage is the package path of the runtime command, relative to
	// the module root.
	MainPackage = "./cmd/cavra-runtime"
	// ModulePath is the module that holds the runtime.
	ModulePath = "github.com/cavra/cavra"
	// GOFLAGS is the pinned value of the GOFLAGS variable.
	GOFLAGS = "-trimpath -mod=readonly -buildvcs=false"
	// VersionVar is the linker symbol that carries the version stamp.
	VersionVar = "main.version"
)

// Ldflags returns the pinned linker flags with the version stamp.
func Ldflags(version string) string {
	return "-s -w -buildid= -X " + VersionVar + "=" + version
}

// Env returns the pinned environment for target t, as recorded in the
// manifest: the variables every build of t sets explicitly.
func Env(t Target) map[string]string {
	env := map[string]string{
		"CGO_ENABLED":  "0",
		"GOOS":         t.GOOS,
		"GOARCH":       t.GOARCH,
		"GOFLAGS":      GOFLAGS,
		"GOTOOLCHAIN":  "local",
		"GOEXPERIMENT": "",
		"GOWORK":       "off",
	}
	if name, value := t.Level(); name != "" {
		env[name] = value
	}
	return env
}

// Flags returns the go build flags of a release of version: GOFLAGS's flags
// and -ldflags, as the manifest and the provenance record them.
func Flags(version string) []string {
	return append(strings.Fields(GOFLAGS), "-ldflags="+Ldflags(version))
}

// Shared splits the pinned environment of the whole matrix into the
// variables every target sets alike (CGO_ENABLED, GOFLAGS, ...) and the
// microarchitecture levels (GOAMD64, GOARM64); GOOS and GOARCH, which vary
// by target, are in neither.
func Shared() (env, levels map[string]string) {
	env, levels = map[string]string{}, map[string]string{}
	for _, t := range Matrix {
		for k, v := range Env(t) {
			switch k {
			case "GOOS", "GOARCH":
			case "GOAMD64", "GOARM64":
				levels[k] = v
			default:
				env[k] = v
			}
		}
	}
	return env, levels
}

// Command is one go invocation as data: run Argv in Dir (a slash path
// relative to the source root) with Env set on top of a cleared environment.
type Command struct {
	Dir  string            `json:"dir"`
	Env  map[string]string `json:"env"`
	Argv []string          `json:"argv"`
}

// Spec returns the build command for target t and version, writing the binary
// to out (a path relative to the source root, or absolute).
func Spec(t Target, version, out string) Command {
	return Command{
		Dir: ".",
		Env: Env(t),
		Argv: []string{
			"go", "build",
			"-ldflags=" + Ldflags(version),
			"-o", out,
			MainPackage,
		},
	}
}

// Compile returns the command that compiles every package of target t's
// build into the Go build cache without linking (`go list -export`), with
// the environment of [Spec]: a later build of the same source with the same
// settings, from any folder (-trimpath), finds every package compiled and
// only links. The mage targets run it for every target while the release
// command itself compiles, on a machine whose caches are cold.
func Compile(t Target) Command {
	return Command{
		Dir:  ".",
		Env:  Env(t),
		Argv: []string{"go", "list", "-export", "-f", "{{.Export}}", MainPackage},
	}
}

// Output returns the value of the -o flag, or "".
func (c Command) Output() string {
	for i, a := range c.Argv {
		if a == "-o" && i+1 < len(c.Argv) {
			return c.Argv[i+1]
		}
		if v, ok := strings.CutPrefix(a, "-o="); ok {
			return v
		}
	}
	return ""
}

// WithOutput returns a copy of c whose -o flag names out.
func (c Command) WithOutput(out string) Command {
	argv := slices.Clone(c.Argv)
	for i, a := range argv {
		if a == "-o" && i+1 < len(argv) {
			argv[i+1] = out
		} else if strings.HasPrefix(a, "-o=") {
			argv[i] = "-o=" + out
		}
	}
	c.Argv = argv
	return c
}

// String renders c as one POSIX shell line: the sorted environment
// assignments followed by the quoted argv, prefixed with cd when Dir is not ".".
func (c Command) String() string {
	var b strings.Builder
	if c.Dir != "" && c.Dir != "." {
		b.WriteString("cd " + Quote(c.Dir) + " && ")
	}
	for _, k := range slices.Sorted(maps.Keys(c.Env)) {
		b.WriteString(k + "=" + Quote(c.Env[k]) + " ")
	}
	for i, a := range c.Argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Quote(a))
	}
	return b.String()
}

// safe are the characters a POSIX shell takes literally in a word.
const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%"

// Quote quotes s for a POSIX shell when it holds anything but safe characters.
func Quote(s string) string {
	if s != "" && strings.Trim(s, safe) == "" {
		return s
	}
	if i := strings.IndexByte(s, '='); i > 0 && strings.HasPrefix(s, "-") && strings.Trim(s[:i], safe) == "" {
		// -ldflags=... reads better as -ldflags='...'.
		return s[:i+1] + Quote(s[i+1:])
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
