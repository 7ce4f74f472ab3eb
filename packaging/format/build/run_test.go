package build_test

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cavra/cavra/packaging/format/build"
)

func TestRunRefusesOtherCommands(t *testing.T) {
	// The go command below does not exist: a command that got past the
	// check would fail differently.
	r := &build.Runner{Go: filepath.Join(t.TempDir(), "no-such-go")}
	for _, argv := range [][]string{
		nil,
		{},
		{"go"},
		{"sh", "-c", "touch x"},
		{"/usr/local/go/bin/go", "build"},
		{"gofmt", "-l", "."},
		{"go ", "build"},
		{"GO", "build"},
	} {
		err := r.Run(context.Background(), t.TempDir(), build.Command{Dir: ".", Argv: argv})
		if err == nil || !strings.Contains(err.Error(), "does not run go") {
			t.Errorf("Run(%q): got %v, want a refusal", argv, err)
		}
	}
	// A go command passes the check and fails running the missing binary.
	err := r.Run(context.Background(), t.TempDir(), build.Command{Dir: ".", Argv: []string{"go", "version"}})
	if err == nil || strings.Contains(err.Error(), "does not run go") {
		t.Errorf("Run(go version) with a missing go: got %v, want an exec error", err)
	}
}

func TestGoVersion(t *testing.T) {
	got, err := (&build.Runner{}).GoVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := runtime.Version(); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestGoEnvUsesTheBuildEnvironment(t *testing.T) {
	r := &build.Runner{Host: append(os.Environ(), "GOPROXY=https://proxy.invalid", "GOFLAGS=-mod=mod", "GOSUMDB=sum.invalid")}
	c := build.Spec(build.Matrix[1], "v1.0.0", "x")
	got, err := r.GoEnv(context.Background(), t.TempDir(), c, "GOPROXY", "GOFLAGS", "GOSUMDB", "GOOS", "GOARCH", "GOARM64", "CGO_ENABLED", "GOTOOLCHAIN")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"GOPROXY": "off", "GOFLAGS": build.GOFLAGS, "GOSUMDB": "off", "GOOS": "linux", "GOARCH": "arm64",
		"GOARM64": "v8.0", "CGO_ENABLED": "0", "GOTOOLCHAIN": "local",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("go env %s: got %q, want %q", k, got[k], v)
		}
	}
}

const helloMain = `package main

var version = "unset"

func main() { println(version) }
`

// A second main function that breaks the build when the tag "evil" or cgo
// is enabled: a host GOFLAGS=-tags=evil or CGO_ENABLED=1 must not reach it.
const evilMain = `//go:build evil || cgo

package main

func main() {}
`

func TestRunBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	src := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/hello\n\ngo 1.26\n",
		"main.go": helloMain,
		"evil.go": evilMain,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A go env file, where the go command looks for one by default, that
	// would turn modules off: GOENV=off must keep it out.
	config := t.TempDir()
	if err := os.MkdirAll(filepath.Join(config, "go"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(config, "go", "env"), []byte("GO111MODULE=off\nGOFLAGS=-tags=evil\nGOEXPERIMENT=nosuchexperiment\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	host := append(os.Environ(),
		"XDG_CONFIG_HOME="+config,
		"GOFLAGS=-mod=mod -tags=evil",
		"CGO_ENABLED=1",
		"GOPROXY=https://proxy.invalid",
		"GOENV="+filepath.Join(config, "go", "env"),
		"GODEBUG=gocachehash=1",
		"GOEXPERIMENT=nosuchexperiment",
		"GO111MODULE=off",
	)
	if runtime.GOOS == "windows" {
		host = append(host, "APPDATA="+config)
	}
	target := build.Target{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	out := filepath.Join(t.TempDir(), "hello"+map[bool]string{true: ".exe"}[runtime.GOOS == "windows"])
	c := build.Command{
		Dir:  ".",
		Env:  build.Env(target),
		Argv: []string{"go", "build", "-ldflags=" + build.Ldflags("v9.8.7"), "-o", out, "."},
	}
	r := &build.Runner{Host: host}
	if err := r.Run(context.Background(), src, c); err != nil {
		t.Fatal(err)
	}

	info, err := buildinfo.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.GoVersion, runtime.Version(); got != want {
		t.Errorf("GoVersion: got %v, want %v", got, want)
	}
	if got, want := info.Main.Path, "example.com/hello"; got != want {
		t.Errorf("Main.Path: got %v, want %v", got, want)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	want := map[string]string{
		"-trimpath":   "true",
		"CGO_ENABLED": "0",
		"GOOS":        runtime.GOOS,
		"GOARCH":      runtime.GOARCH,
	}
	if name, value := target.Level(); name != "" {
		want[name] = value
	}
	for k, v := range want {
		if got, ok := settings[k]; !ok || got != v {
			t.Errorf("build setting %s: got %q (present %v), want %q", k, got, ok, v)
		}
	}
	for k, v := range settings {
		if strings.HasPrefix(k, "vcs") || k == "-tags" || k == "GOEXPERIMENT" || k == "-mod" {
			t.Errorf("unexpected build setting %s=%s", k, v)
		}
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bin, []byte(src)) {
		t.Errorf("the binary holds the source folder %s: -trimpath did not apply", src)
	}
	// The version stamp reached the binary.
	if target.Known() {
		got, err := exec.Command(out).CombinedOutput()
		if err != nil {
			t.Fatalf("running the binary: %v\n%s", err, got)
		}
		if strings.TrimSpace(string(got)) != "v9.8.7" {
			t.Errorf("binary printed %q, want v9.8.7", got)
		}
	}

	// A failing build reports the go command's output.
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { undefinedName() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = r.Run(context.Background(), src, c.WithOutput(out+".2"))
	if err == nil || !strings.Contains(err.Error(), "undefinedName") || !strings.Contains(err.Error(), target.String()) {
		t.Errorf("got %v, want an error naming %s and quoting the compiler", err, target)
	}
}
