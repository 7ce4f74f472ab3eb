//go:build mage

package main

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/magefile/mage/sh"
)

// TestTools installs what the tests need beyond Go, so that no test is
// skipped for a missing tool: the release toolchain (build.Toolchain,
// fetched through the module proxy), the stock cosign CLI of both major versions
// (v2 at the version go.mod pins with a tool directive, v3 at CosignV3 from
// the module proxy), the actionlint CLI (go.mod tool directive), all built
// into .cache/tools, and Debian's rpm, jq, unzip and chromium (headless,
// for the report page's test; with apt-get, as root or through sudo) when
// missing.
func TestTools() error {
	dir, err := filepath.Abs(filepath.Join(".cache", "tools"))
	if err != nil {
		return err
	}
	for _, t := range []struct{ out, pkg string }{
		{filepath.Join(dir, "cosign-v2", exe("cosign")), "github.com/sigstore/cosign/v2/cmd/cosign"},
		{filepath.Join(dir, exe("actionlint")), "github.com/rhysd/actionlint/cmd/actionlint"},
	} {
		fmt.Println("test tools:", t.pkg)
		if err := sh.Run("go", "build", "-o", t.out, t.pkg); err != nil {
			return err
		}
	}
	// cosign v3 is not a requirement of this module: go install builds it
	// with its own go.mod, at the pinned version.
	v3 := filepath.Join(dir, "cosign-v3")
	if !builtAt(filepath.Join(v3, exe("cosign")), CosignV3) {
		fmt.Println("test tools:", CosignV3)
		if err := sh.RunWith(map[string]string{"GOBIN": v3, "GOFLAGS": ""}, "go", "install", CosignV3); err != nil {
			return err
		}
	}
	// The release toolchain, into the module cache (checked against the
	// checksum database), where releases and rebuilds find it.
	g, err := releaseToolchain(context.Background())
	if err != nil {
		return fmt.Errorf("test tools: %w", err)
	}
	fmt.Println("test tools: release toolchain", g.Version, "at", g.GOROOT)
	return debianPackages("rpm", "jq", "unzip", "chromium")
}

// CosignV3 is the cosign v3 CLI the tests run beside v2.
const CosignV3 = "github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3"

// builtAt reports whether the binary at path was built by go install from
// the module version pkgAtVersion ("path@version") names.
func builtAt(path, pkgAtVersion string) bool {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return false
	}
	pkg, version, _ := strings.Cut(pkgAtVersion, "@")
	return info.Path == pkg && info.Main.Version == version
}

// debianPackages installs the Debian packages whose commands are missing.
func debianPackages(cmds ...string) error {
	var missing []string
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 || runtime.GOOS != "linux" {
		return nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("test tools: %v missing and no apt-get to install them", missing)
	}
	var pre []string
	if os.Geteuid() != 0 {
		pre = []string{"sudo", "-n"}
	}
	fmt.Println("test tools: apt-get install", missing)
	run := func(args ...string) error {
		args = append(pre, args...)
		return sh.RunWith(map[string]string{"DEBIAN_FRONTEND": "noninteractive"}, args[0], args[1:]...)
	}
	if err := run("apt-get", "update", "-qq"); err != nil {
		return err
	}
	return run(append([]string{"apt-get", "install", "-y", "-qq", "--no-install-recommends"}, missing...)...)
}

func exe(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}

// toolEnv returns the environment for the tests: the project's tool folders
// first in PATH (so `cosign` is v2), CAVRA_COSIGN_V2 and CAVRA_COSIGN_V3
// naming the two cosign CLIs, and CAVRA_REQUIRE_TOOLS=1 so a test fails rather than
// skips when a tool it needs is missing.
func toolEnv() (map[string]string, error) {
	dir, err := filepath.Abs(filepath.Join(".cache", "tools"))
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"PATH":                strings.Join([]string{dir, filepath.Join(dir, "cosign-v2"), os.Getenv("PATH")}, string(os.PathListSeparator)),
		"CAVRA_COSIGN_V2":     filepath.Join(dir, "cosign-v2", exe("cosign")),
		"CAVRA_COSIGN_V3":     filepath.Join(dir, "cosign-v3", exe("cosign")),
		"CAVRA_REQUIRE_TOOLS": "1",
	}, nil
}
