//go:build mage

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/magefile/mage/sh"
)

// TestTools installs what the tests need beyond Go, so that no test is
// skipped for a missing tool: the cosign and actionlint CLIs, built into
// .cache/tools from the module proxy at the versions go.mod pins (tool
// directives), and Debian's rpm (with apt-get, as root or through sudo) when
// rpm is missing.
func TestTools() error {
	dir := filepath.Join(".cache", "tools")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, t := range []struct{ name, pkg string }{
		{"cosign", "github.com/sigstore/cosign/v2/cmd/cosign"},
		{"actionlint", "github.com/rhysd/actionlint/cmd/actionlint"},
	} {
		fmt.Println("test tools:", t.name)
		if err := sh.Run("go", "build", "-o", filepath.Join(dir, exe(t.name)), t.pkg); err != nil {
			return err
		}
	}
	return debianPackages("rpm")
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

// toolEnv returns the environment for the tests: the project's tool folder
// first in PATH, and CAVRA_REQUIRE_TOOLS=1 so a test fails rather than skips
// when a tool it needs is missing.
func toolEnv() (map[string]string, error) {
	dir, err := filepath.Abs(filepath.Join(".cache", "tools"))
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"PATH":                dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"CAVRA_REQUIRE_TOOLS": "1",
	}, nil
}
