//go:build mage

package main

import (
	"os"
	"path/filepath"
)

// TestTools installs what the tests need beyond Go, so that no test is
// skipped for a missing tool: nothing yet.
func TestTools() error { return nil }

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
