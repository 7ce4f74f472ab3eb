package build_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cavra/cavra/internal/testtools"
	"github.com/cavra/cavra/packaging/format/build"
)

// fakeGo writes a go command into dir/bin that answers `go env -json
// GOVERSION GOROOT` with version and its own root; asked with
// GOTOOLCHAIN=<other> it answers for the root switch instead, or, when
// that needs the network and GOPROXY=off, fails like the go command.
func fakeGo(t *testing.T, dir, name, version string, switchTo map[string]string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	var cases strings.Builder
	for v, root := range switchTo {
		if root == "" {
			fmt.Fprintf(&cases, "%s) if [ \"$GOPROXY\" = off ]; then echo 'go: download %s: toolchain not available' >&2; exit 1; fi; echo '{\"GOVERSION\": \"%s\", \"GOROOT\": \"%s\"}'; exit 0;;\n", v, v, v, filepath.Join(dir, "downloaded"))
			continue
		}
		fmt.Fprintf(&cases, "%s) echo '{\"GOVERSION\": \"%s\", \"GOROOT\": \"%s\"}'; exit 0;;\n", v, v, root)
	}
	script := fmt.Sprintf("#!/bin/sh\ncase \"$GOTOOLCHAIN\" in\n%slocal) ;;\n*) echo \"go: unexpected GOTOOLCHAIN=$GOTOOLCHAIN\" >&2; exit 1;;\nesac\n"+
		"[ -n \"$GOROOT\" ] && { echo 'GOROOT leaked into the probe' >&2; exit 1; }\n"+
		"echo '{\"GOVERSION\": \"%s\", \"GOROOT\": \"%s\"}'\n", cases.String(), version, dir)
	p := filepath.Join(bin, name)
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if name != "go" {
		// The root of a golang.org/dl command holds the real go.
		os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755)
	}
	return p
}

func TestFindGo(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses shell scripts as go commands")
	}
	const want = "go1.27.3"
	tmp := t.TempDir()
	cached := filepath.Join(tmp, "modcache", "toolchain")
	fakeGo(t, cached, "go", want, nil)
	downloaded := filepath.Join(tmp, "old-online")
	fakeGo(t, filepath.Join(downloaded, "downloaded"), "go", want, nil)

	right := filepath.Join(tmp, "right")
	fakeGo(t, right, "go", want, nil)
	old := filepath.Join(tmp, "old")
	fakeGo(t, old, "go", "go1.26.8", map[string]string{want: cached})
	oldOffline := filepath.Join(tmp, "old-offline")
	fakeGo(t, oldOffline, "go", "go1.26.8", map[string]string{want: ""})
	fakeGo(t, downloaded, "go", "go1.26.8", map[string]string{want: ""})
	dl := filepath.Join(tmp, "sdk")
	fakeGo(t, dl, want, want, nil)

	path := func(dirs ...string) []string {
		var bins []string
		for _, d := range dirs {
			bins = append(bins, filepath.Join(d, "bin"))
		}
		return []string{"PATH=" + strings.Join(bins, string(os.PathListSeparator)), "GOROOT=/somewhere/else"}
	}
	for _, tc := range []struct {
		name     string
		env      []string
		explicit string
		download bool
		root     string // the GOROOT found, or "" for an error
		found    string
		err      string
	}{
		{name: "go on PATH is the version", env: path(right, old), root: right, found: "go on PATH"},
		{name: "golang.org/dl command on PATH", env: path(old, dl), root: dl, found: want + " on PATH"},
		{name: "module cache", env: path(old), root: cached, found: "GOTOOLCHAIN=" + want + " (module cache)"},
		{name: "a rebuild never downloads", env: path(oldOffline), err: "GOPROXY=off"},
		{name: "a release may download", env: path(downloaded), download: true, root: filepath.Join(downloaded, "downloaded"), found: "GOTOOLCHAIN=" + want + " (module cache)"},
		{name: "no go at all", env: path(), err: "no go on PATH"},
		{name: "explicit go of another version", env: path(right), explicit: filepath.Join(old, "bin", "go"), err: "is go1.26.8"},
		{name: "explicit go of the version", env: path(old), explicit: filepath.Join(right, "bin", "go"), root: right, found: filepath.Join(right, "bin", "go")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := build.FindGo(context.Background(), build.Find{Version: want, Explicit: tc.explicit, Download: tc.download, Env: tc.env})
			if tc.root == "" {
				var nf *build.NotFound
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.As(err, &nf) {
					t.Fatalf("got %+v, %v; want a NotFound error containing %q", g, err, tc.err)
				}
				// The error says what to install and how.
				for _, s := range []string{"Install " + want, want + "." + runtime.GOOS + "-" + runtime.GOARCH, "https://go.dev/dl/", "GOTOOLCHAIN=" + want + " go version", "--go"} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("the error lacks %q:\n%v", s, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.GOROOT != tc.root || g.Path != filepath.Join(tc.root, "bin", "go") || g.Version != want || g.Found != tc.found {
				t.Errorf("got %+v, want root %s, found %q", g, tc.root, tc.found)
			}
		})
	}
	// A manifest is hostile: its version names a command and a module.
	for _, v := range []string{"go1.27.3/../../bin/sh", "sh", "go1.27.3 ", "go2.0.0", ""} {
		if _, err := build.FindGo(context.Background(), build.Find{Version: v, Env: path(right)}); err == nil || !strings.Contains(err.Error(), "not a Go release version") {
			t.Errorf("FindGo(%q): got %v, want a refusal", v, err)
		}
	}
}

// TestRunnerGOROOT: a runner of a found toolchain sets its GOROOT and puts
// its bin folder first in PATH, whatever the host says.
func TestRunnerGOROOT(t *testing.T) {
	g := &build.Go{Version: "go1.27.3", GOROOT: filepath.Join("/opt", "go1.27.3"), Path: filepath.Join("/opt", "go1.27.3", "bin", "go")}
	r := g.Runner()
	r.Host = []string{"GOROOT=/usr/local/go", "PATH=/usr/local/go/bin" + string(os.PathListSeparator) + "/usr/bin", "HOME=/home/x"}
	env := r.Env(build.Spec(build.Matrix[0], "v1.0.0", "x"))
	want := map[string]string{
		"GOROOT": g.GOROOT,
		"PATH":   filepath.Join(g.GOROOT, "bin") + string(os.PathListSeparator) + "/usr/local/go/bin" + string(os.PathListSeparator) + "/usr/bin",
		"HOME":   "/home/x",
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if w, ok := want[k]; ok && v != w {
			t.Errorf("%s=%s, want %s", k, v, w)
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("missing %v", want)
	}
}

// TestReleaseToolchain finds the pinned release toolchain on this machine
// (go run mage.go testTools fetches it) and checks that it is that version.
func TestReleaseToolchain(t *testing.T) {
	g, err := build.FindGo(context.Background(), build.Find{Version: build.Toolchain})
	if err != nil {
		testtools.Missing(t, "the release toolchain: %v", err)
		return
	}
	v, err := g.Runner().GoVersion(context.Background())
	if err != nil || v != build.Toolchain {
		t.Errorf("%s reports %s, %v; want %s", g.Path, v, err, build.Toolchain)
	}
}
