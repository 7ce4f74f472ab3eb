//go:build mage

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/magefile/mage/sh"
)

// TestTools installs what the tests need beyond Go into .cache/tools, so
// that no test is skipped for a missing tool: the cosign CLI, built from the
// module proxy at the version go.mod pins (a tool directive).
func TestTools() error {
	dir := filepath.Join(".cache", "tools")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Println("test tools: cosign")
	return sh.RunV("go", "build", "-o", filepath.Join(dir, exe("cosign")), "github.com/sigstore/cosign/v2/cmd/cosign")
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
