// Package testtools finds the command-line tools tests check our formats
// with: the stock cosign CLI of each major version, actionlint. `go run
// mage.go test` installs them (see magefiles/tools.go) and sets
// CAVRA_REQUIRE_TOOLS=1, so that a missing tool fails a test instead of
// skipping it.
package testtools

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Required reports whether a missing tool must fail the test.
func Required() bool { return os.Getenv("CAVRA_REQUIRE_TOOLS") == "1" }

// Missing fails the test when tools are required, and skips it otherwise.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// Cosign returns the path of the stock cosign CLI of major version major (2
// or 3): CAVRA_COSIGN_V<major>, or `cosign` from PATH when it is that
// version.
func Cosign(t testing.TB, major int) string {
	t.Helper()
	env := fmt.Sprintf("CAVRA_COSIGN_V%d", major)
	path := os.Getenv(env)
	if path == "" {
		p, err := exec.LookPath("cosign")
		if err != nil {
			Missing(t, "cosign v%d not found: set %s or run go run mage.go testTools", major, env)
			return ""
		}
		path = p
	}
	out, err := exec.Command(path, "version").CombinedOutput()
	if err != nil {
		Missing(t, "%s version: %v\n%s", path, err, out)
		return ""
	}
	want := fmt.Sprintf("v%d.", major)
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "GitVersion:"); ok && strings.HasPrefix(strings.TrimSpace(v), want) {
			return path
		}
	}
	Missing(t, "%s is not cosign %s*:\n%s", path, want, out)
	return ""
}
